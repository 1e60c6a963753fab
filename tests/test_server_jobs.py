"""Jobs, kits, plan and registries through a real Jupyter server (authentication on), with the
progress events observed on jupyter_server's event bus and a real registry for logins."""

import asyncio
import json
import os

import pytest
import tornado.httpclient

from tests.support.jobs import call, run_job, wait_job
from tests.support.registry import run_registry

KITFILE = """\
manifestVersion: 1.0.0
package:
  name: churn
model:
  name: churn
  path: models/churn.joblib
datasets:
  - name: train
    path: data/train.csv
"""
JOB_EVENT = "https://events.kitlab.dev/job"


@pytest.fixture
def project(jp_root_dir):
    folder = jp_root_dir / "project"
    (folder / "models").mkdir(parents=True)
    (folder / "models" / "churn.joblib").write_bytes(os.urandom(256 * 1024))
    (folder / "data").mkdir()
    (folder / "data" / "train.csv").write_text("a,b\n1,2\n")
    (folder / "Kitfile").write_text(KITFILE)
    return folder


@pytest.fixture
def job_events(jp_serverapp):
    events = []

    async def listener(logger, schema_id, data):
        events.append(data)

    jp_serverapp.event_logger.add_listener(schema_id=JOB_EVENT, listener=listener)
    return events


async def wait_event(events, job_id, state, timeout=5.0):
    """Until the job's event with ``state`` has come through the event bus (it hops through the IOLoop
    after the job record changed), polling with a deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not any(e["id"] == job_id and e["state"] == state for e in events):
        assert asyncio.get_running_loop().time() < deadline, f"no {state} event for job {job_id}"
        await asyncio.sleep(0.01)


async def test_pack_job_reports_progress_and_the_kit_is_listed(jp_fetch, project, job_events):
    code, job = await call(
        jp_fetch,
        "jobs",
        method="POST",
        body={"kind": "pack", "params": {"path": "project", "reference": "churn:v1"}},
    )
    assert code == 202
    assert job["state"] in ("queued", "running")
    done = await wait_job(jp_fetch, job["id"])
    assert done["state"] == "succeeded", done["error"]
    assert done["result"]["reference"].endswith("churn:v1")
    assert done["progress"]["done"] == done["progress"]["total"] > 256 * 1024

    await wait_event(job_events, job["id"], "succeeded")  # events hop through the IOLoop
    mine = [e for e in job_events if e["id"] == job["id"]]
    assert mine[0]["state"] == "queued"
    assert mine[-1]["state"] == "succeeded"
    assert mine[-1]["done"] == mine[-1]["total"]

    _, kits = await call(jp_fetch, "kits")
    assert [(k["display"], k["tags"], k["digest"]) for k in kits["kits"]] == [
        ("churn", ["v1"], done["result"]["digest"])
    ]
    # kit writes no creation date; the list dates the kit by when it came into the store.
    assert kits["kits"][0]["created"] is None
    assert done["startedAt"] - 1 <= kits["kits"][0]["storedAt"] <= done["finishedAt"] + 1
    _, listed = await call(jp_fetch, "jobs")
    assert listed["jobs"][0]["id"] == job["id"]


async def test_kits_inspect_tag_and_remove(jp_fetch, project):
    await run_job(jp_fetch, "pack", {"path": "project", "reference": "churn:v1"})
    _, detail = await call(jp_fetch, "kits", "churn:v1")
    assert detail["kitfile"]["model"]["path"] == "models/churn.joblib"
    assert detail["manifest"]["config"]["mediaType"] == "application/vnd.kitops.modelkit.config.v1+json"

    code, tagged = await call(jp_fetch, "kits", "churn:prod", method="PUT", body={"source": "churn:v1"})
    assert code == 200
    assert sorted(tagged["tags"]) == ["prod", "v1"]
    code, _ = await call(jp_fetch, "kits", "churn:v1", method="DELETE")
    assert code == 204
    _, kits = await call(jp_fetch, "kits")
    assert kits["kits"][0]["tags"] == ["prod"]


async def test_unpack_job_writes_the_files_into_the_workspace(jp_fetch, project, jp_root_dir):
    await run_job(jp_fetch, "pack", {"path": "project", "reference": "churn:v1"})
    done = await run_job(jp_fetch, "unpack", {"reference": "churn:v1", "path": "copy"})
    assert done["state"] == "succeeded", done["error"]
    assert done["result"]["path"] == "copy"
    assert (jp_root_dir / "copy" / "models" / "churn.joblib").read_bytes() == (
        project / "models" / "churn.joblib"
    ).read_bytes()


async def test_jobs_cannot_escape_the_root(jp_fetch, project):
    # Refused when the job is asked for: it never exists, so it never starts.
    with pytest.raises(tornado.httpclient.HTTPClientError) as excinfo:
        await call(
            jp_fetch,
            "jobs",
            method="POST",
            body={"kind": "unpack", "params": {"reference": "churn:v1", "path": "../evil"}},
        )
    assert excinfo.value.code == 403
    assert json.loads(excinfo.value.response.body)["error"]["code"] == "forbidden_path"
    _, listed = await call(jp_fetch, "jobs")
    assert listed["jobs"] == []


async def test_cancel_a_running_pack_leaves_no_kit_and_no_temp_files(
    jp_fetch, jp_root_dir, job_events, kitops_home
):
    folder = jp_root_dir / "big"
    (folder / "models").mkdir(parents=True)
    with open(folder / "models" / "weights.bin", "wb") as f:
        f.truncate(2 << 30)  # 2 GiB, sparse: cheap to create, real bytes to tar and hash
    (folder / "Kitfile").write_text("manifestVersion: 1.0.0\nmodel:\n  path: models/weights.bin\n")
    _, job = await call(jp_fetch, "jobs", method="POST", body={"kind": "pack", "params": {"path": "big"}})
    for _ in range(400):
        if any(e["id"] == job["id"] and e["done"] > 0 for e in job_events):
            break
        await asyncio.sleep(0.01)
    code, _ = await call(jp_fetch, "jobs", job["id"], "cancel", method="POST", body={})
    assert code == 202
    done = await wait_job(jp_fetch, job["id"], timeout=5)
    assert done["state"] == "cancelled"
    assert done["progress"]["done"] < done["progress"]["total"]
    _, kits = await call(jp_fetch, "kits")
    assert kits["kits"] == []
    temp_dir = kitops_home / "storage" / ".kitlab-tmp"
    assert not temp_dir.exists() or list(temp_dir.iterdir()) == []


async def test_plan_lists_layers_and_what_is_unchanged(jp_fetch, project):
    _, plan = await call(jp_fetch, "plan", params={"path": "project"})
    assert [(layer["kind"], layer["path"], layer["unchanged"]) for layer in plan["layers"]] == [
        ("model", "models/churn.joblib", False),
        ("dataset", "data/train.csv", False),
    ]
    assert (
        plan["layers"][0]["files"] == ["models", "models/churn.joblib"] or plan["layers"][0]["fileCount"] >= 1
    )
    assert plan["totalSize"] >= 256 * 1024


async def test_unknown_job_kind_is_a_clear_400(jp_fetch):
    with pytest.raises(tornado.httpclient.HTTPClientError) as excinfo:
        await call(jp_fetch, "jobs", method="POST", body={"kind": "frobnicate"})
    assert excinfo.value.code == 400
    assert "unknown job kind" in json.loads(excinfo.value.response.body)["error"]["message"]


async def test_registry_login_is_verified_and_never_echoes_the_secret(jp_fetch, tmp_path):
    with run_registry("htpasswd", tmp_path / "reg") as registry:
        wrong = {
            "host": registry.host,
            "username": registry.username,
            "password": "not-the-password",
            "plainHttp": True,
        }
        with pytest.raises(tornado.httpclient.HTTPClientError) as excinfo:
            await call(jp_fetch, "registries", method="POST", body=wrong)
        assert excinfo.value.code == 401
        assert b"not-the-password" not in excinfo.value.response.body
        _, listed = await call(jp_fetch, "registries")
        assert listed["registries"] == []

        right = {**wrong, "password": registry.password}
        code, state = await call(jp_fetch, "registries", method="POST", body=right)
        assert code == 200
        assert state == {"host": registry.host, "loggedIn": True, "username": registry.username}
        response = await jp_fetch("kitlab", "registries")
        assert registry.password.encode() not in response.body
        assert json.loads(response.body)["registries"] == [state]

        code, _ = await call(jp_fetch, "registries", registry.host, method="DELETE")
        assert code == 204
        _, listed = await call(jp_fetch, "registries")
        assert listed["registries"] == []


@pytest.fixture
def big_project(jp_root_dir):
    """A 200 MB model beside a notebook, as the issue's push scenario has it."""
    import nbformat

    folder = jp_root_dir / "big"
    (folder / "models").mkdir(parents=True)
    with open(folder / "models" / "weights.bin", "wb") as f:
        for _ in range(25):
            f.write(os.urandom(8 << 20))
    (folder / "Kitfile").write_text("manifestVersion: 1.0.0\nmodel:\n  path: models/weights.bin\n")
    nbformat.write(nbformat.v4.new_notebook(), folder / "train.ipynb")
    return folder


async def test_push_a_200mb_kit_records_lineage_and_progress(jp_fetch, big_project, job_events, tmp_path):
    import nbformat

    with run_registry("none", tmp_path / "reg") as registry:
        ref = f"{registry.host}/team/big:v1"
        params = {"path": "big", "reference": ref, "plainHttp": True, "notebook": "big/train.ipynb"}
        _, job = await call(jp_fetch, "jobs", method="POST", body={"kind": "pack-push", "params": params})
        done = await wait_job(jp_fetch, job["id"], timeout=120)
        assert done["state"] == "succeeded", done["error"]
        assert (
            done["result"]["uploadedBytes" if "uploadedBytes" in done["result"] else "uploaded_bytes"] > 200e6
        )
        await wait_event(job_events, job["id"], "succeeded")
        uploads = [
            e for e in job_events if e["id"] == job["id"] and e["state"] == "running" and e["done"] > 0
        ]
        assert len(uploads) >= 2, "progress should arrive while the upload runs, not only at the end"

        lineage = nbformat.read(big_project / "train.ipynb", as_version=4).metadata["kitlab"]["pushed"]
        assert lineage[-1]["reference"] == ref
        assert lineage[-1]["digest"] == done["result"]["digest"]


async def test_cancel_mid_push_stops_within_a_second(jp_fetch, big_project, job_events, tmp_path):
    with run_registry("none", tmp_path / "reg") as registry:
        ref = f"{registry.host}/team/big:v2"
        params = {"path": "big", "reference": ref, "plainHttp": True}
        _, job = await call(jp_fetch, "jobs", method="POST", body={"kind": "pack-push", "params": params})
        for _ in range(1000):
            if any(e["id"] == job["id"] and e["stage"] == "upload" and e["done"] > 0 for e in job_events):
                break
            await asyncio.sleep(0.01)
        asked = asyncio.get_running_loop().time()
        await call(jp_fetch, "jobs", job["id"], "cancel", method="POST", body={})
        done = await wait_job(jp_fetch, job["id"], timeout=5)
        assert done["state"] == "cancelled"
        assert asyncio.get_running_loop().time() - asked < 1.5
        # Nothing was tagged on the registry.
        with pytest.raises(tornado.httpclient.HTTPClientError):
            await call(
                jp_fetch,
                "remote",
                "tags",
                params={"repository": f"{registry.host}/team/big", "plainHttp": "true"},
            )


async def test_unpack_of_a_remote_kit_pulls_it_and_opens_a_notebook(jp_fetch, project, jp_root_dir, tmp_path):
    with run_registry("none", tmp_path / "reg") as registry:
        ref = f"{registry.host}/team/churn:v1"
        push = {"path": "project", "reference": ref, "plainHttp": True}
        assert (await run_job(jp_fetch, "pack-push", push))["state"] == "succeeded"
        params = {"reference": ref, "path": "pulled", "notebook": True, "plainHttp": True}
        done = await run_job(jp_fetch, "unpack", params)
        assert done["state"] == "succeeded", done["error"]
        notebook = jp_root_dir / done["result"]["notebook"]
        assert notebook.parent == jp_root_dir / "pulled"
        assert ref in notebook.read_text()
        _, kits = await call(jp_fetch, "kits")
        assert any(ref.rsplit(":", 1)[0] == k["repository"] for k in kits["kits"])


async def test_a_self_signed_registry_needs_tls_verify_false_for_push_tags_and_pull(
    jp_fetch, project, tmp_path
):
    # HTTPS with a certificate from a throwaway CA the server does not trust: kit's --tls-verify=false case.
    with run_registry("none", tmp_path / "reg", tls=True) as registry:
        ref = f"{registry.host}/team/churn:v1"
        params = {"path": "project", "reference": ref}
        refused = await run_job(jp_fetch, "pack-push", params)
        assert refused["state"] == "failed"
        assert "certificate" in refused["error"]["message"].lower()

        params["tlsVerify"] = False
        done = await run_job(jp_fetch, "pack-push", params)
        assert done["state"] == "succeeded", done["error"]

        repository = {"repository": f"{registry.host}/team/churn"}
        with pytest.raises(tornado.httpclient.HTTPClientError):
            await call(jp_fetch, "remote", "tags", params=repository)
        _, tags = await call(jp_fetch, "remote", "tags", params={**repository, "tlsVerify": "false"})
        assert tags["tags"] == ["v1"]

        pull = {"reference": ref, "path": "pulled", "tlsVerify": False}
        assert (await run_job(jp_fetch, "unpack", pull))["state"] == "succeeded"
