"""Without `require_signature`, a pull job checks the signature only when asked (`verify: true`), with the
server's `trusted_keys` (docs/trust.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kitlab.trust import generate_key_pair
from tests.support.registry import RunningRegistry
from tests.test_server_jobs import call, wait_job
from tests.trust._helpers import kitlab


@pytest.fixture
def jp_server_config(jp_server_config: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    pub = generate_key_pair(tmp_path_factory.mktemp("trusted"), b"pw").public_path
    return {**jp_server_config, "Kitlab": {"trusted_keys": [str(pub)]}}


async def test_an_unsigned_kit_pulls_unless_the_job_asks_to_verify(
    jp_fetch, jp_root_dir: Path, plain_registry: RunningRegistry, capsys
):
    project = jp_root_dir / "project"
    project.mkdir()
    (project / "model.bin").write_text("weights")
    (project / "Kitfile").write_text(
        "manifestVersion: 1.0.0\npackage:\n  name: tiny\nmodel:\n  name: tiny\n  path: model.bin\n"
    )
    ref = f"{plain_registry.host}/trust/verify-on-request:v1"
    assert kitlab(capsys, "pack", str(project), "-t", ref, "--push", "--plain-http")[0] == 0

    asked = {"reference": ref, "plainHttp": True, "verify": True}
    _, job = await call(jp_fetch, "jobs", method="POST", body={"kind": "pull", "params": asked})
    done = await wait_job(jp_fetch, job["id"])
    assert done["state"] == "failed"
    assert "is not signed" in json.dumps(done["error"])
    _, kits = await call(jp_fetch, "kits")
    assert kits["kits"] == []

    plain = {"reference": ref, "plainHttp": True}
    _, job = await call(jp_fetch, "jobs", method="POST", body={"kind": "pull", "params": plain})
    done = await wait_job(jp_fetch, job["id"])
    assert done["state"] == "succeeded", done["error"]
    assert done["result"]["signature"] is None  # not checked, so nothing is claimed
