"""Secrets on every pack path through the REST API, authentication on (issue 14): a Kitfile saved by hand
with ``code: [{path: .}]`` in a folder holding a ``.env``, an SSH key and a notebook whose outputs carry
AWS and Hugging Face tokens. Save, validate and plan say which file and why; a pack or pack-and-push
job stops before anything is written or sent; ``allowSecrets: true`` is the explicit override."""

from __future__ import annotations

import json

import pytest
import tornado.httpclient

from tests.modelkit.test_pack_secrets import KITFILE, SECRET_TEXTS, leaky_folder
from tests.support.jobs import call, run_job
from tests.support.registry import run_registry

# The files of leaky_folder that hold a secret, in the order kitlab names them.
SECRET_FILES = [".env", "keys/id_ed25519", "train.ipynb"]


def assert_no_secret_text(payload: object) -> None:
    text = json.dumps(payload)
    for secret in SECRET_TEXTS:
        assert secret not in text


@pytest.fixture
def leaky(jp_root_dir):
    folder = leaky_folder(jp_root_dir)
    (folder / "Kitfile").unlink()  # saved through the API below, as the form would
    return folder


async def test_save_validate_and_plan_name_each_file_and_why(jp_fetch, leaky):
    code, saved = await call(
        jp_fetch, "kitfile", method="PUT", body={"text": KITFILE}, params={"path": "project"}
    )
    assert code == 200  # a secret is a warning on the form: saving must stay possible
    secret_problems = [p for p in saved["problems"] if "looks like a secret" in p["message"]]
    assert [(p["path"], p["severity"]) for p in secret_problems] == [("code[0].path", "warning")] * 3
    assert any(p["message"].startswith(".env looks like a secret (dotenv file") for p in secret_problems)
    assert_no_secret_text(saved)

    _, validated = await call(
        jp_fetch, "kitfile", "validate", method="POST", body={"text": KITFILE}, params={"path": "project"}
    )
    assert [p["message"] for p in validated["problems"] if "secret" in p["message"]] == [
        p["message"] for p in secret_problems
    ]

    _, plan = await call(jp_fetch, "plan", params={"path": "project"})
    assert {s["path"]: s["kinds"] for s in plan["secrets"]} == {
        ".env": ["dotenv file", "AWS access key id", "AWS secret access key"],
        "keys/id_ed25519": ["SSH private key", "private key"],
        "train.ipynb": ["AWS access key id", "Hugging Face token"],
    }
    assert {w["path"] for w in plan["warnings"] if "secret" in w["message"]} == set(SECRET_FILES)
    assert_no_secret_text(plan)

    # What "Write .kitignore" would write: the existing file kept, each secret's file added.
    (leaky / ".kitignore").write_text("# mine\n*.tmp\n")
    _, plan = await call(jp_fetch, "plan", params={"path": "project"})
    suggested = plan["suggestedKitignore"]
    assert suggested.startswith("# mine\n*.tmp\n")
    assert set(SECRET_FILES) <= set(suggested.splitlines())
    (leaky / ".kitignore").write_text(suggested)
    _, plan = await call(jp_fetch, "plan", params={"path": "project"})
    assert plan["secrets"] == []
    assert plan["suggestedKitignore"] == ""


async def test_write_kitignore_keeps_the_users_lines_and_clears_the_plan(jp_fetch, leaky):
    """issue 20: "Write .kitignore" adds the plan's files of secrets, merged with the file as it is."""
    (leaky / "Kitfile").write_text(KITFILE)
    (leaky / ".kitignore").write_text("# mine\n*.tmp\n.env\n")
    _, plan = await call(jp_fetch, "plan", params={"path": "project"})
    assert plan["folder"] == "project"
    paths = [s["path"] for s in plan["secrets"]]
    assert paths == ["keys/id_ed25519", "train.ipynb"]  # .env is ignored already
    (leaky / ".kitignore").write_text("# mine\n*.tmp\n.env\nlate-edit/\n")  # edited after the plan
    code, written = await call(
        jp_fetch, "kitignore", method="POST", body={"paths": paths}, params={"path": "project"}
    )
    assert code == 200
    assert written["path"] == "project/.kitignore"
    assert written["added"] == ["keys/id_ed25519", "train.ipynb"]
    text = (leaky / ".kitignore").read_text()
    assert written["text"] == text
    assert text.startswith("# mine\n*.tmp\n.env\nlate-edit/\n")
    assert text.count("train.ipynb") == 1
    _, plan = await call(jp_fetch, "plan", params={"path": "project"})
    assert plan["secrets"] == []
    # Nothing new: the file is left as it is.
    _, again = await call(
        jp_fetch, "kitignore", method="POST", body={"paths": paths}, params={"path": "project"}
    )
    assert again["added"] == []
    assert (leaky / ".kitignore").read_text() == text


@pytest.mark.parametrize(
    ("setup", "body", "status"),
    [
        ("symlink", {"paths": [".env"]}, 403),
        ("latin1", {"paths": [".env"]}, 400),
        ("", {"paths": ["a\nb"]}, 400),
        ("", {"paths": "x"}, 400),
        ("", {"paths": ["x"] * 1001}, 400),
    ],
)
async def test_write_kitignore_refuses_and_changes_nothing(jp_fetch, leaky, tmp_path, setup, body, status):
    ignore = leaky / ".kitignore"
    if setup == "symlink":
        outside = tmp_path / "outside.txt"
        outside.write_text("theirs\n")
        ignore.symlink_to(outside)
    elif setup == "latin1":
        ignore.write_bytes(b"caf\xe9\n")
    before = ignore.read_bytes() if ignore.exists() else None
    with pytest.raises(tornado.httpclient.HTTPClientError) as excinfo:
        await call(jp_fetch, "kitignore", method="POST", body=body, params={"path": "project"})
    assert excinfo.value.code == status
    assert (ignore.read_bytes() if ignore.exists() else None) == before
    if setup == "latin1":
        # The plan still previews (the refusal is only for the rewrite).
        (leaky / "Kitfile").write_text(KITFILE)
        code, plan = await call(jp_fetch, "plan", params={"path": "project"})
        assert code == 200
        assert plan["suggestedKitignore"].startswith("caf\ufffd\n")
    if setup == "symlink":
        assert ignore.is_symlink()
        assert (tmp_path / "outside.txt").read_text() == "theirs\n"
    with pytest.raises(tornado.httpclient.HTTPClientError) as outside_root:
        await call(jp_fetch, "kitignore", method="POST", body={"paths": []}, params={"path": "../x"})
    assert outside_root.value.code in (403, 404)


async def test_a_pack_job_stops_and_allow_secrets_packs(jp_fetch, leaky):
    (leaky / "Kitfile").write_text(KITFILE)
    params = {"path": "project", "reference": "leaky:v1"}
    done = await run_job(jp_fetch, "pack", params)
    assert done["state"] == "failed"
    assert done["error"]["code"] == "invalid"
    assert [s["path"] for s in done["error"]["details"]["secrets"]] == SECRET_FILES
    assert_no_secret_text(done)
    _, kits = await call(jp_fetch, "kits")
    assert kits["kits"] == []

    with pytest.raises(tornado.httpclient.HTTPClientError) as refused:  # the override is a boolean
        await call(
            jp_fetch, "jobs", method="POST", body={"kind": "pack", "params": {**params, "allowSecrets": 1}}
        )
    assert refused.value.code == 400

    done = await run_job(jp_fetch, "pack", {**params, "allowSecrets": True})
    assert done["state"] == "succeeded", done["error"]
    assert any(".env looks like a secret" in w for w in done["result"]["warnings"])
    assert_no_secret_text(done)


async def test_a_pack_push_job_sends_nothing_without_the_override(jp_fetch, leaky, tmp_path):
    (leaky / "Kitfile").write_text(KITFILE)
    with run_registry("none", tmp_path / "reg") as registry:
        params = {"path": "project", "reference": f"{registry.host}/team/leaky:v1", "plainHttp": True}
        done = await run_job(jp_fetch, "pack-push", params)
        assert done["state"] == "failed"
        assert "looks like a secret" in done["error"]["message"]
        assert_no_secret_text(done)
        blobs = registry.storage / "docker/registry/v2/blobs"
        assert not blobs.exists() or not any(blobs.rglob("data"))

        params["allowSecrets"] = True
        done = await run_job(jp_fetch, "pack-push", params)
        assert done["state"] == "succeeded", done["error"]
        _, tags = await call(
            jp_fetch,
            "remote",
            "tags",
            params={"repository": f"{registry.host}/team/leaky", "plainHttp": "true"},
        )
        assert tags["tags"] == ["v1"]


async def test_a_push_job_of_a_stored_kit_with_secrets_needs_allow_secrets(jp_fetch, leaky, tmp_path):
    (leaky / "Kitfile").write_text(KITFILE)
    params = {"path": "project", "reference": "leaky:v1", "allowSecrets": True}
    assert (await run_job(jp_fetch, "pack", params))["state"] == "succeeded"
    with run_registry("none", tmp_path / "reg") as registry:
        push = {"reference": "leaky:v1", "destination": f"{registry.host}/team/leaky:v1", "plainHttp": True}
        done = await run_job(jp_fetch, "push", push)
        assert done["state"] == "failed"
        assert [s["path"] for s in done["error"]["details"]["secrets"]] == SECRET_FILES
        assert_no_secret_text(done)
        done = await run_job(jp_fetch, "push", {**push, "allowSecrets": True})
        assert done["state"] == "succeeded", done["error"]
