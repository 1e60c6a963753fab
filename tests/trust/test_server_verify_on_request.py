"""Without `require_signature`, a pull job checks the signature only when asked (`verify: true`), with the
server's `trusted_keys` (docs/trust.md)."""

from __future__ import annotations

import json

import pytest

from kitlab.trust import generate_key_pair
from tests.support.jobs import call, run_job


@pytest.fixture
def jp_server_config(jp_server_config: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    pub = generate_key_pair(tmp_path_factory.mktemp("trusted"), b"pw").public_path
    return {**jp_server_config, "Kitlab": {"trusted_keys": [str(pub)]}}


async def test_an_unsigned_kit_pulls_unless_the_job_asks_to_verify(jp_fetch, push_kit):
    ref = push_kit("trust/verify-on-request")

    asked = {"reference": ref, "plainHttp": True, "verify": True}
    done = await run_job(jp_fetch, "pull", asked)
    assert done["state"] == "failed"
    assert "is not signed" in json.dumps(done["error"])
    _, kits = await call(jp_fetch, "kits")
    assert kits["kits"] == []

    plain = {"reference": ref, "plainHttp": True}
    done = await run_job(jp_fetch, "pull", plain)
    assert done["state"] == "succeeded", done["error"]
    assert done["result"]["signature"] is None  # not checked, so nothing is claimed
