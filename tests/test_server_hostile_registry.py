"""Issue 14, registries, through the REST API with authentication on: the administrator's
``allowed_registries`` holds for every registry a job reaches (a parent kit's too), and a cancel ends
a pull stuck on a registry that stopped sending. The registries are hand-made hostile ones
(tests/support/hostile_registry.py)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import tornado.httpclient

from tests.support.hostile_registry import HostileRegistry
from tests.support.jobs import call, run_job, wait_job


@pytest.fixture
def allowed():
    with HostileRegistry() as reg:
        yield reg


@pytest.fixture
def outside():
    with HostileRegistry() as reg:
        yield reg


@pytest.fixture
def jp_server_config(jp_server_config: dict, allowed: HostileRegistry) -> dict:
    return {**jp_server_config, "Kitlab": {"allowed_registries": [allowed.host]}}


async def test_a_parent_kit_on_a_registry_outside_the_allow_list_is_refused(jp_fetch, allowed, outside):
    outside.add_kit("other/base", "v1")
    allowed.add_parent_kit("team/child", "v1", f"{outside.host}/other/base:v1")
    params = {"reference": f"{allowed.host}/team/child:v1", "plainHttp": True}
    done = await run_job(jp_fetch, "pull", params)
    assert done["state"] == "failed"
    assert f"registry {outside.host} is not allowed here" in json.dumps(done["error"])
    assert outside.requests == []  # not one byte was asked of it
    _, kits = await call(jp_fetch, "kits")
    assert kits["kits"] == []


async def test_the_allow_list_also_guards_tags_and_direct_pulls(jp_fetch, allowed, outside):
    outside.add_kit("other/base", "v1")
    with pytest.raises(tornado.httpclient.HTTPClientError) as info:
        await call(
            jp_fetch,
            "remote",
            "tags",
            params={"repository": f"{outside.host}/other/base", "plainHttp": "true"},
        )
    assert info.value.code == 403
    params = {"reference": f"{outside.host}/other/base:v1", "plainHttp": True}
    try:  # refused when the job is created, or (before parameters were checked up front) when it runs
        code, job = await call(jp_fetch, "jobs", method="POST", body={"kind": "pull", "params": params})
    except tornado.httpclient.HTTPClientError as exc:
        code, job = exc.code, None
    if job is None:
        assert code == 403
    else:
        done = await wait_job(jp_fetch, job["id"])
        assert done["state"] == "failed"
        assert "not allowed" in json.dumps(done["error"])
    assert outside.requests == []


async def test_cancel_ends_a_pull_stuck_on_a_silent_registry(jp_fetch, allowed):
    allowed.add_kit("stuck/kit", "v1", layer=b"x" * 100_000)
    allowed.stall_blobs = True  # headers, then nothing: the read timeout is 60 s
    params = {"reference": f"{allowed.host}/stuck/kit:v1", "plainHttp": True}
    _, job = await call(jp_fetch, "jobs", method="POST", body={"kind": "pull", "params": params})
    await wait_job(jp_fetch, job["id"], states=("running",))
    deadline = time.monotonic() + 10
    while not allowed.seen("GET", "/v2/stuck/kit/blobs/"):  # then inside the stalled blob download
        assert time.monotonic() < deadline, "the pull never asked for the blob"
        await asyncio.sleep(0.01)
    started = time.monotonic()
    await call(jp_fetch, "jobs", job["id"], "cancel", method="POST", body={})
    done = await wait_job(jp_fetch, job["id"], timeout=5)
    assert done["state"] == "cancelled"
    assert time.monotonic() - started < 2.0


@pytest.fixture
def token_service():
    with HostileRegistry() as other:
        yield other


async def test_login_never_sends_the_password_to_a_token_service_on_another_host(
    jp_fetch, allowed, token_service, kitops_home
):
    # "localhost" is this machine, but not the registry's host name (127.0.0.1).
    allowed.challenge = f'Bearer realm="http://localhost:{token_service.port}/token",service="x"'
    password = "rest-login-password-7h2"
    body = {"host": allowed.host, "username": "ann", "password": password, "plainHttp": True}
    with pytest.raises(tornado.httpclient.HTTPClientError) as info:
        await call(jp_fetch, "registries", method="POST", body=body)
    assert info.value.code == 401
    text = info.value.response.body.decode()
    assert f"token service on localhost:{token_service.port}" in text
    assert password not in text
    assert token_service.seen(prefix="/token")  # asked anonymously
    assert all("Authorization" not in s.headers for s in token_service.requests)
    saved = kitops_home / "credentials.json"  # kit's file: nothing was saved for that host
    assert not saved.exists() or allowed.host not in saved.read_text()
