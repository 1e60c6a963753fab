"""GET /kitlab/diff and pack jobs with useModelPack, through a real Jupyter server (authentication on)."""

import json
import time

import pytest
import tornado.httpclient

from kitlab.modelkit import statcache
from tests.support.jobs import call, run_job
from tests.test_server_jobs import project  # noqa: F401  (a fixture)


async def _pack(jp_fetch, reference, **params):
    done = await run_job(jp_fetch, "pack", {"path": "project", "reference": reference, **params})
    assert done["state"] == "succeeded", done["error"]
    return done["result"]


async def test_diff_of_two_packs_and_a_modelpack_job(jp_fetch, project):  # noqa: F811
    classic = await _pack(jp_fetch, "churn:v1")
    (project / "models" / "churn.joblib").write_bytes(b"retrained")
    kitfile = project / "Kitfile"
    kitfile.write_text(
        kitfile.read_text().replace("name: churn\nmodel", "name: churn\n  version: 2.0\nmodel")
    )
    modelpack = await _pack(jp_fetch, "churn:v2", useModelPack=True)

    _, detail = await call(jp_fetch, "kits", "churn:v2")
    assert detail["manifest"]["artifactType"] == "application/vnd.cncf.model.manifest.v1+json"
    # The job's result names each layer's media type as the kit's manifest has it.
    assert [layer["mediaType"] for layer in modelpack["layers"]] == [
        layer["mediaType"] for layer in detail["manifest"]["layers"]
    ]
    assert [layer["mediaType"] for layer in modelpack["layers"]] == [
        "application/vnd.cncf.model.weight.v1.tar",
        "application/vnd.cncf.model.dataset.v1.tar",
    ]
    assert [layer["mediaType"] for layer in classic["layers"]] == [
        "application/vnd.kitops.modelkit.model.v1.tar",
        "application/vnd.kitops.modelkit.dataset.v1.tar",
    ]

    code, diff = await call(jp_fetch, "diff", params={"a": "churn:v1", "b": "churn:v2"})
    assert code == 200
    assert (diff["a"]["format"], diff["b"]["format"]) == ("kit", "modelpack")
    assert [(layer["kind"], layer["path"], layer["status"]) for layer in diff["layers"]] == [
        ("model", "models/churn.joblib", "changed"),
        ("dataset", "data/train.csv", "unchanged"),
    ]
    assert diff["kitfile"] == [{"field": "package.version", "status": "added", "a": None, "b": "2.0"}]
    assert diff["summary"] == {"added": 0, "removed": 0, "changed": 1, "unchanged": 1}


async def test_diff_errors_are_clear(jp_fetch, project):  # noqa: F811
    await _pack(jp_fetch, "churn:v1")
    with pytest.raises(tornado.httpclient.HTTPClientError) as missing:
        await call(jp_fetch, "diff", params={"a": "churn:v1"})
    assert missing.value.code == 400
    with pytest.raises(tornado.httpclient.HTTPClientError) as unknown:
        await call(jp_fetch, "diff", params={"a": "churn:v1", "b": "local://churn:nope"})
    assert unknown.value.code == 404
    assert "churn:nope" in json.loads(unknown.value.response.body)["error"]["message"]


async def test_diff_of_the_workspace_against_its_last_pack(jp_fetch, project, monkeypatch):  # noqa: F811
    # The stat cache distrusts files written within RACY_WINDOW_NS of its clock: move it on, not sleep.
    monkeypatch.setattr(statcache, "now_ns", lambda: time.time_ns() + 2 * statcache.RACY_WINDOW_NS)
    await _pack(jp_fetch, "churn:v1")
    (project / "data" / "train.csv").write_text("a,b\n1,2\n3,4\n")
    code, diff = await call(jp_fetch, "diff", params={"a": "churn:v1", "path": "project"})
    assert code == 200
    assert diff["b"]["source"] == "workspace"
    assert diff["b"]["reference"] == "project"  # the folder under the root, never the server's own path
    assert [(layer["path"], layer["status"]) for layer in diff["layers"]] == [
        ("models/churn.joblib", "unchanged"),
        ("data/train.csv", "changed"),
    ]
    with pytest.raises(tornado.httpclient.HTTPClientError) as outside:
        await call(jp_fetch, "diff", params={"a": "churn:v1", "path": "../elsewhere"})
    assert outside.value.code in (403, 404)
