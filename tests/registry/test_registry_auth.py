"""Credentials and the auth challenge flow against real htpasswd and token registries."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from kitlab.modelkit.registry import (
    AccessDenied,
    AuthenticationRequired,
    Credential,
    Remote,
    Secret,
    auth,
    login,
    logout,
    status,
)
from kitlab.modelkit.registry.auth import merge_scopes, parse_challenge
from kitlab.modelkit.registry.credentials import DOCKER_HUB_KEY, DefaultCredentials
from tests.registry._helpers import MiB, client_for, make_client


@pytest.fixture(params=["htpasswd", "token"])
def auth_registry(request, registries):
    return registries[request.param]


def _default_client(reg, repository="auth/repo", **kw):
    """A client that finds its credentials itself (kit's file, Docker's config, helpers)."""
    return client_for(reg.host, repository, plain_http=True, **kw)


def test_no_credentials_asks_to_log_in(auth_registry):
    # (A token registry lets an anonymous token see /v2/ itself, so ask for repository content.)
    with _default_client(auth_registry) as client, pytest.raises(AuthenticationRequired) as info:
        client.blob_exists("sha256:" + "5" * 64)
    assert f"log in to {auth_registry.host}" in str(info.value)
    assert info.value.code == "auth_required"


def test_wrong_password_is_a_clear_error_without_the_password(auth_registry, kitops_home):
    wrong = "definitely-wrong-" + "x" * 8
    cred = Credential(username=auth_registry.username, password=Secret(wrong))
    with (
        make_client(auth_registry, "auth/repo", credentials=cred) as client,
        pytest.raises(AuthenticationRequired) as info,
    ):
        client.blob_exists("sha256:" + "5" * 64)
    text = f"{info.value} {info.value!r} {info.value.details!r}"
    assert "rejected the credentials" in text
    assert auth_registry.username in text
    assert wrong not in text
    with pytest.raises(AuthenticationRequired, match="wrong username or password") as info:
        login(auth_registry.host, auth_registry.username, wrong, remote=Remote(plain_http=True))
    assert wrong not in str(info.value)
    assert not (kitops_home / "credentials.json").exists()


def test_login_writes_kit_credentials_and_a_fresh_client_uses_them(auth_registry, kitops_home):
    kitops_home.mkdir(parents=True, exist_ok=True)
    creds_file = kitops_home / "credentials.json"
    creds_file.write_text(json.dumps({"auths": {"other.example": {"auth": "b3RoZXI6cHc="}}, "keep": 1}))
    assert status(auth_registry.host) == {"logged_in": False, "username": None, "source": None}

    login(auth_registry.host, auth_registry.username, auth_registry.password, remote=Remote(plain_http=True))

    saved = json.loads(creds_file.read_text())
    assert saved["keep"] == 1
    assert saved["auths"]["other.example"] == {"auth": "b3RoZXI6cHc="}
    raw = base64.b64decode(saved["auths"][auth_registry.host]["auth"]).decode()
    assert raw == f"{auth_registry.username}:{auth_registry.password}"
    assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
    assert [p.name for p in kitops_home.iterdir()] == ["credentials.json"]  # no temp file left

    with _default_client(auth_registry) as client:
        assert client.blob_exists("sha256:" + "2" * 64) is False
    state = status(auth_registry.host)
    assert state["logged_in"] is True
    assert state["username"] == auth_registry.username
    assert auth_registry.password not in json.dumps(state)

    assert logout(auth_registry.host) is True
    assert status(auth_registry.host)["logged_in"] is False
    assert json.loads(creds_file.read_text())["auths"] == {"other.example": {"auth": "b3RoZXI6cHc="}}
    assert logout(auth_registry.host) is False


def test_basic_credentials_go_up_front_so_bodies_are_sent_once(basic_registry, proxy_for, blob_factory):
    blob = blob_factory(2 * MiB)
    proxy = proxy_for(basic_registry)
    with make_client(basic_registry, "auth/basic", host=proxy.host) as client:
        client.upload_blob(blob.digest, blob.size, blob.open_at)
    methods = [m for m, _ in proxy.requests]
    # One challenge on the first HEAD, then every request (and the 2 MiB PUT) goes out exactly once.
    assert methods == ["HEAD", "HEAD", "POST", "PUT"]
    assert blob.size < proxy.bytes_up < blob.size + 16 * 1024


def test_docker_config_is_the_fallback(basic_registry, tmp_path):
    docker_dir = Path(os.environ["DOCKER_CONFIG"])
    docker_dir.mkdir(parents=True, exist_ok=True)
    token = base64.b64encode(f"{basic_registry.username}:{basic_registry.password}".encode()).decode()
    (docker_dir / "config.json").write_text(
        json.dumps({"auths": {f"http://{basic_registry.host}/v2/": {"auth": token}}})
    )
    with _default_client(basic_registry) as client:
        assert client.blob_exists("sha256:" + "0" * 64) is False
    assert status(basic_registry.host)["source"] == str(docker_dir / "config.json")


HELPER_SCRIPT = """#!{python}
import json, sys, pathlib
store = pathlib.Path({store!r})
data = json.loads(store.read_text()) if store.exists() else {{}}
action = sys.argv[1]
payload = sys.stdin.read()
with open({calls!r}, "a") as log:
    log.write(action + " " + (payload if action != "store" else json.loads(payload)["ServerURL"]) + "\\n")
if action == "get":
    if payload.strip() not in data:
        print("credentials not found in native keychain")
        sys.exit(1)
    user, secret = data[payload.strip()]
    print(json.dumps({{"ServerURL": payload.strip(), "Username": user, "Secret": secret}}))
elif action == "store":
    req = json.loads(payload)
    data[req["ServerURL"]] = [req["Username"], req["Secret"]]
    store.write_text(json.dumps(data))
elif action == "erase":
    data.pop(payload.strip(), None)
    store.write_text(json.dumps(data))
"""


@pytest.fixture
def cred_helper(tmp_path, monkeypatch):
    """A docker-credential-kittest program on PATH backed by a JSON file; returns (store, calls)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    store, calls = tmp_path / "helper-store.json", tmp_path / "helper-calls.log"
    script = bindir / "docker-credential-kittest"
    script.write_text(HELPER_SCRIPT.format(python=sys.executable, store=str(store), calls=str(calls)))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return store, calls


def test_credential_helper_is_used_for_lookup_and_login(auth_registry, cred_helper, kitops_home):
    store, calls = cred_helper
    kitops_home.mkdir(parents=True, exist_ok=True)
    (kitops_home / "credentials.json").write_text(
        json.dumps({"credHelpers": {auth_registry.host: "kittest"}})
    )
    store.write_text(json.dumps({auth_registry.host: [auth_registry.username, auth_registry.password]}))
    with _default_client(auth_registry) as client:
        assert client.blob_exists("sha256:" + "0" * 64) is False
    assert f"get {auth_registry.host}" in calls.read_text()

    # login through the configured helper: the secret goes to the helper, not into the file.
    store.write_text("{}")
    login(auth_registry.host, auth_registry.username, auth_registry.password, remote=Remote(plain_http=True))
    assert json.loads(store.read_text()) == {
        auth_registry.host: [auth_registry.username, auth_registry.password]
    }
    assert auth_registry.password not in (kitops_home / "credentials.json").read_text()
    assert status(auth_registry.host)["username"] == auth_registry.username


def test_identity_token_uses_the_oauth2_refresh_flow(token_registry, kitops_home):
    kitops_home.mkdir(parents=True, exist_ok=True)
    entry = {"identitytoken": token_registry.issuer.refresh_token}
    (kitops_home / "credentials.json").write_text(json.dumps({"auths": {token_registry.host: entry}}))
    with _default_client(token_registry, "auth/oauth") as client:
        assert client.blob_exists("sha256:" + "3" * 64) is False
        assert client.transport.auth.tokens_fetched >= 1
    assert token_registry.issuer.issued[-1] == ["repository:auth/oauth:pull,push"]


def wait_until_the_registry_refuses_the_token(registry, client, timeout: float = 15.0) -> None:
    """The registry's clock decides when a token has expired: ask it, with the client's current
    token, until it answers 401 (instead of sleeping for the token's lifetime and hoping)."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        headers: dict[str, str] = {}
        client.transport.auth.apply(headers)
        if requests.get(f"{registry.url}/v2/", headers=headers, timeout=5, verify=False).status_code == 401:
            return
        assert time.monotonic() < deadline, "the registry still accepts the token"
        time.sleep(0.1)


def test_expired_token_is_refreshed_after_a_401(token_registry, blob_factory):
    issuer = token_registry.issuer
    blob = blob_factory(64 * 1024)
    # The registry stops accepting tokens after 2 s but the issuer claims an hour: only the registry's
    # 401 can tell the client, which must fetch a new token and repeat the request.
    issuer.ttl, issuer.advertised_expires_in = 2, 3600
    with make_client(token_registry, "auth/expiry") as client:
        client.upload_blob(blob.digest, blob.size, blob.open_at)
        fetched = client.transport.auth.tokens_fetched
        wait_until_the_registry_refuses_the_token(token_registry, client)
        assert client.blob_exists(blob.digest)
        assert client.transport.auth.tokens_fetched == fetched + 1


def test_token_is_renewed_before_it_expires(token_registry, proxy_for, monkeypatch):
    issuer = token_registry.issuer
    issuer.ttl = 2  # expires_in says 2 as well: the client renews on its own, no 401 round trip
    proxy = proxy_for(token_registry)
    digest = "sha256:" + "4" * 64
    with make_client(token_registry, "auth/renew", host=proxy.host) as client:
        assert client.blob_exists(digest) is False  # first HEAD → 401 challenge → token → HEAD
        later = auth.now() + 2.2  # the client's clock moves past expires_in; no need to wait
        monkeypatch.setattr(auth, "now", lambda: later)
        assert client.blob_exists(digest) is False
        assert client.transport.auth.tokens_fetched == 2
    assert [m for m, _ in proxy.requests] == ["HEAD", "HEAD", "HEAD"]


def test_token_requests_carry_the_repository_scope(token_registry):
    issuer = token_registry.issuer
    with make_client(token_registry, "auth/scoped") as client:
        client.blob_exists("sha256:" + "1" * 64)
    assert issuer.issued[-1] == ["repository:auth/scoped:pull,push"]


def test_secret_never_shows_itself():
    secret = Secret("hunter2")
    cred = Credential(username="me", password=secret)
    for text in (repr(secret), str(secret), f"{secret}", repr(cred)):
        assert "hunter2" not in text
    assert secret.reveal() == "hunter2"


def test_challenge_and_scope_parsing():
    ch = parse_challenge(
        'Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull"'
    )
    assert ch.scheme == "bearer"
    assert ch.params == {
        "realm": "https://auth.example/token",
        "service": "reg",
        "scope": "repository:a/b:pull",
    }
    assert parse_challenge('Basic realm="x"').scheme == "basic"
    assert merge_scopes(["repository:a:pull,push"], ["repository:a:delete repository:b:pull"]) == (
        "repository:a:delete,pull,push",
        "repository:b:pull",
    )


def test_docker_hub_is_keyed_by_its_historic_url(kitops_home):
    kitops_home.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(b"hubuser:hubpass").decode()
    (kitops_home / "credentials.json").write_text(json.dumps({"auths": {DOCKER_HUB_KEY: {"auth": auth}}}))
    cred = DefaultCredentials().lookup("docker.io")
    assert cred is not None
    assert cred.username == "hubuser"
    assert cred.password.reveal() == "hubpass"


def test_token_expiring_mid_upload_resumes_after_reauthenticating(token_registry, blob_factory):
    issuer = token_registry.issuer
    issuer.ttl, issuer.advertised_expires_in = 2, 3600  # only a 401 reveals the expiry
    blob = blob_factory(12 * MiB)
    slept = []

    def progress(event):
        if event.done >= 4 * MiB and not slept:
            slept.append(event.done)
            wait_until_the_registry_refuses_the_token(token_registry, client)  # before chunk 2

    with make_client(token_registry, "auth/midway", chunk_size=4 * MiB, monolithic_limit=MiB) as client:
        assert client.upload_blob(blob.digest, blob.size, blob.open_at, progress=progress)
        assert client.blob_exists(blob.digest)
        assert client.transport.auth.tokens_fetched >= 2
    # The refused chunk never reached the upload, so the session survives and chunk 2 is re-sent.
    assert blob.opened_at == [0, 4 * MiB]


def test_read_only_token_is_access_denied_on_push(token_registry, blob_factory):
    token_registry.issuer.allowed_actions = {"pull"}
    blob = blob_factory(64 * 1024)
    with make_client(token_registry, "auth/readonly") as client:
        assert client.blob_exists(blob.digest) is False  # pulling is allowed
        with pytest.raises(AccessDenied, match="denied") as info:
            client.upload_blob(blob.digest, blob.size, blob.open_at)
    assert info.value.code == "denied"


def test_creds_store_in_docker_config_is_used(basic_registry, cred_helper):
    store, calls = cred_helper
    docker_dir = Path(os.environ["DOCKER_CONFIG"])
    docker_dir.mkdir(parents=True, exist_ok=True)
    (docker_dir / "config.json").write_text(json.dumps({"credsStore": "kittest"}))
    store.write_text(json.dumps({basic_registry.host: [basic_registry.username, basic_registry.password]}))
    with _default_client(basic_registry) as client:
        assert client.blob_exists("sha256:" + "0" * 64) is False
    assert calls.read_text().splitlines() == [f"get {basic_registry.host}"]


def test_no_secret_reaches_the_logs(registries, caplog, blob_factory, kitops_home):
    caplog.set_level(logging.DEBUG)
    blob = blob_factory(64 * 1024)
    for kind in ("htpasswd", "token"):
        reg = registries[kind]
        login(reg.host, reg.username, reg.password, remote=Remote(plain_http=True))
        with _default_client(reg, "auth/logs") as client:
            client.upload_blob(blob.digest, blob.size, blob.open_at)
        with pytest.raises(AuthenticationRequired):
            login(reg.host, reg.username, reg.password + "-wrong", remote=Remote(plain_http=True))
    assert caplog.records  # urllib3 did log the requests
    secrets = [*registries["token"].issuer.tokens]
    for reg in (registries["htpasswd"], registries["token"]):
        secrets += [reg.password, base64.b64encode(f"{reg.username}:{reg.password}".encode()).decode()]
    for secret in secrets:
        assert secret not in caplog.text
