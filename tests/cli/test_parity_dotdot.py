"""Names containing '..': kit cannot unpack them ("illegal file path"), so a kit kitlab packs leaves them
out with a warning naming each one, unless the user asks for a kit only kitlab can unpack."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import kitlab

KITFILE = """\
manifestVersion: 1.0.0
package:
  name: dots
model:
  path: models
code:
  - path: src
"""


@pytest.fixture
def context(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for rel in ("models/weights.bin", "models/weights..v2.bin", "models/v..2/extra.bin", "src/train.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(rel.encode())
    (root / "Kitfile").write_text(KITFILE)
    return root


def test_dotdot_names_are_left_out_and_kit_unpacks_the_kit(capsys, kit, context, tmp_path):
    code, _, err = kitlab(capsys, "pack", str(context), "-t", "dots:v1")
    assert code == 0
    assert "'models/weights..v2.bin' is left out of this layer" in err
    assert "'models/v..2' is left out of this layer with everything under it" in err
    assert err.count("kit cannot unpack names containing '..'") == 2

    out = tmp_path / "out"
    kit.run("unpack", "dots:v1", "-d", str(out))
    assert (out / "models/weights.bin").read_bytes() == b"models/weights.bin"
    assert (out / "src/train.py").exists()
    assert not (out / "models/weights..v2.bin").exists()
    assert not (out / "models/v..2").exists()


def test_a_kitlab_only_kit_packs_them_and_kit_refuses_to_unpack_it(capsys, kit, context, tmp_path):
    code, _, err = kitlab(capsys, "pack", str(context), "-t", "dots:v2", "--allow-kitlab-only-names")
    assert code == 0
    assert "only kitlab can unpack this kit" in err

    refused = kit.run("unpack", "dots:v2", "-d", str(tmp_path / "kit-out"), check=False)
    assert refused.returncode != 0
    assert "illegal file path" in refused.stderr

    code, _, _ = kitlab(capsys, "unpack", "dots:v2", "-d", str(tmp_path / "kitlab-out"))
    assert code == 0
    assert (tmp_path / "kitlab-out/models/weights..v2.bin").read_bytes() == b"models/weights..v2.bin"
    assert (tmp_path / "kitlab-out/models/v..2/extra.bin").exists()


def test_plan_lists_what_is_left_out(capsys, context):
    code, out, err = kitlab(capsys, "pack", str(context), "--plan")
    assert code == 0
    assert "'models/weights..v2.bin' is left out" in err
    model_row = next(line for line in out.splitlines() if line.startswith("model"))
    assert " 1 files" in model_row


async def test_server_pack_jobs_leave_them_out_unless_asked(jp_fetch, jp_root_dir):
    from tests.support.jobs import call, wait_job

    folder = jp_root_dir / "dots"
    (folder / "models").mkdir(parents=True)
    (folder / "models/weights.bin").write_bytes(b"w")
    (folder / "models/weights..v2.bin").write_bytes(b"v2")
    (folder / "Kitfile").write_text("manifestVersion: 1.0.0\nmodel:\n  path: models\n")
    results = []
    for extra in ({}, {"allowKitlabOnlyNames": True}):
        params = {"path": "dots", "reference": f"dots:v{len(results)}", **extra}
        code, job = await call(jp_fetch, "jobs", method="POST", body={"kind": "pack", "params": params})
        assert code == 202
        done = await wait_job(jp_fetch, job["id"])
        assert done["state"] == "succeeded", done["error"]
        results.append(done["result"])
    left_out, packed = results
    assert any("'models/weights..v2.bin' is left out" in w for w in left_out["warnings"])
    assert any("only kitlab can unpack this kit" in w for w in packed["warnings"])
    assert left_out["layers"][0]["digest"] != packed["layers"][0]["digest"]
