"""Issue 14, registries: a hand-made hostile registry (tests/support/hostile_registry.py) against the
library and the CLI. One test per class of attack; docs/hardening.md lists what each one refuses.

Slow and stalled bodies, lying lengths, wrong content, 503 floods, token realms on other hosts and
upload locations elsewhere, concurrent pulls and packs into one store. Limits are scaled down (short
retry windows, fast backoff) so nothing here sleeps for long.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kitlab.errors import Cancelled, NotAllowed
from kitlab.modelkit.pull import pull
from kitlab.modelkit.reference import parse_reference
from kitlab.modelkit.registry import (
    Credential,
    DigestMismatch,
    RegistryClient,
    RegistryError,
    RegistryUnavailable,
    RegistryUnreachable,
    Remote,
    RetryBudget,
    RetryPolicy,
    Secret,
)
from kitlab.modelkit.registry.credentials import save_credential
from kitlab.modelkit.store import LocalStore
from kitlab.progress import CancelToken, ProgressEvent
from tests.support.hostile_registry import HostileRegistry
from tests.support.registry import make_tls_material

FAST = RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.05, max_wait=5.0)
PASSWORD = "hostile-test-password-9f3k"
CLI = "import sys; from kitlab.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture
def hostile():
    with HostileRegistry() as reg:
        yield reg


@pytest.fixture
def realm():
    """A second server, used as a token service or upload target on "another host"."""
    with HostileRegistry() as other:
        yield other


def _remote(**kw: object) -> Remote:
    kw.setdefault("plain_http", True)
    kw.setdefault("retries", FAST)
    return Remote(**kw)  # type: ignore[arg-type]


def _tmp_files(store: LocalStore) -> list[str]:
    return sorted(p.name for p in store.tmp_dir.iterdir()) if store.tmp_dir.is_dir() else []


def _cli(
    home: Path, *argv: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KITOPS_HOME": str(home), **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", CLI, *argv], capture_output=True, text=True, timeout=timeout, env=env
    )


def _pull_in_thread(ref: str, store: LocalStore, remote: Remote, token: CancelToken, events: list):
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = pull(ref, store=store, remote=remote, cancel=token, progress=events.append)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


# ---------------------------------------------------------------------------------------- cancel
def test_cancel_interrupts_a_slow_download_within_two_seconds_and_progress_moves(hostile, tmp_path):
    hostile.add_kit("slow/kit", "v1", layer=os.urandom(2 << 20))
    hostile.blob_rate = 20_000  # 20 KB/s: the 2 MiB layer would take 100 s
    store, token, events = LocalStore(tmp_path / "home"), CancelToken(), []
    thread, outcome = _pull_in_thread(f"{hostile.host}/slow/kit:v1", store, _remote(), token, events)
    deadline = time.monotonic() + 5
    while not any(e.stage == "download" and 0 < e.done < e.total for e in events):
        assert time.monotonic() < deadline, "no progress while bytes were arriving"
        time.sleep(0.05)
    token.cancel()
    cancelled_at = time.monotonic()
    thread.join(5)
    assert time.monotonic() - cancelled_at < 2.0
    assert isinstance(outcome.get("error"), Cancelled)
    assert store.repositories() == []
    assert _tmp_files(store) == []


def test_cancel_interrupts_a_stalled_body(hostile, tmp_path):
    hostile.add_kit("stall/kit", "v1", layer=os.urandom(64 << 10))
    hostile.stall_blobs = True  # headers, then silence: only the 60 s read timeout would end it
    store, token = LocalStore(tmp_path / "home"), CancelToken()
    thread, outcome = _pull_in_thread(f"{hostile.host}/stall/kit:v1", store, _remote(), token, [])
    deadline = time.monotonic() + 10
    while not hostile.seen("GET", "/v2/stall/kit/blobs/"):  # then stuck in the silent body
        assert time.monotonic() < deadline, "the pull never asked for a blob"
        time.sleep(0.01)
    assert thread.is_alive()
    token.cancel()
    cancelled_at = time.monotonic()
    thread.join(5)
    assert time.monotonic() - cancelled_at < 2.0
    assert isinstance(outcome.get("error"), Cancelled)


def test_ctrl_c_ends_a_cli_pull_stuck_on_a_silent_registry(hostile, tmp_path):
    hostile.add_kit("stall/kit", "v1", layer=os.urandom(64 << 10))
    hostile.stall_blobs, hostile.stall_min_size = True, 1000  # the layer, on a worker thread
    env = {**os.environ, "KITOPS_HOME": str(tmp_path / "home")}
    argv = [sys.executable, "-c", CLI, "pull", f"{hostile.host}/stall/kit:v1", "--plain-http"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 15
    while len([s for s in hostile.seen("GET") if "/blobs/" in s.path]) < 2:  # config, then the layer
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)  # the layer's body is silent: the CLI is stuck reading it
    interrupted_at = time.monotonic()
    try:
        _, err = proc.communicate(timeout=10)
    finally:
        proc.kill()  # only alive if the test already failed
    assert time.monotonic() - interrupted_at < 2.0
    assert proc.returncode == 130
    assert "interrupted" in err


# ------------------------------------------------------------------------------------------ retries
def test_a_503_flood_spends_one_budget_for_the_whole_pull(hostile, tmp_path):
    hostile.add_kit("busy/kit", "v1")
    hostile.flood = (503, "0")
    with pytest.raises(RegistryUnavailable, match=r"HTTP 503.*gave up after 3 retries"):
        pull(f"{hostile.host}/busy/kit:v1", store=LocalStore(tmp_path / "h"), remote=_remote())
    assert len(hostile.requests) == FAST.attempts  # not attempts × attempts


def test_a_retry_after_beyond_the_budget_fails_at_once(hostile, tmp_path):
    hostile.add_kit("later/kit", "v1")
    hostile.flood = (503, "60")
    started = time.monotonic()
    with pytest.raises(RegistryUnavailable, match=r"asked to retry after 60 s, more than the 5 s left"):
        pull(f"{hostile.host}/later/kit:v1", store=LocalStore(tmp_path / "h"), remote=_remote())
    assert time.monotonic() - started < 1.0
    assert len(hostile.requests) == 1


def test_the_cli_fails_fast_on_a_huge_retry_after(hostile, tmp_path):
    hostile.add_kit("later/kit", "v1")
    hostile.flood = (503, "3600")
    started = time.monotonic()
    done = _cli(tmp_path / "home", "pull", f"{hostile.host}/later/kit:v1", "--plain-http")
    assert done.returncode == 1
    assert "asked to retry after 3600 s" in done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < 15  # the interpreter start included; no retry waits


def test_retry_budget_window_attempts_and_refunds_on_a_controlled_clock():
    now = [0.0]
    budget = RetryBudget(
        RetryPolicy(attempts=4, backoff=1.0, max_backoff=1.0, max_wait=10.0, refund_bytes=100),
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    assert budget.take() == (1.0, "")
    assert budget.wait(1.0, lambda: False)
    assert budget.take()[0] == 1.0
    assert budget.take()[0] == 1.0
    delay, why = budget.take()  # the fourth retry: over the attempts
    assert delay is None
    assert "gave up after 3 retries" in why
    budget.moved(100)  # data moved: one retry back, the clock restarts
    assert budget.take()[0] == 1.0
    now[0] += 9.5  # 9.5 s into the window: a 1 s wait would pass the 10 s
    budget.moved(100)
    budget.take()
    now[0] += 9.5
    assert budget.take()[0] is None
    assert not budget.wait(5.0, lambda: True)  # a cancel ends a wait at once


# ------------------------------------------------------------------------------------------ errors
def test_a_lying_content_length_is_named_at_once(hostile, tmp_path):
    hostile.add_kit("liar/kit", "v1", layer=os.urandom(300_000))
    hostile.announce_extra = 10_000_000
    started = time.monotonic()
    with pytest.raises(DigestMismatch, match=r"announced \d+ bytes for a blob of \d+ bytes") as info:
        pull(f"{hostile.host}/liar/kit:v1", store=LocalStore(tmp_path / "h"), remote=_remote())
    assert "is the registry running" not in str(info.value)
    assert time.monotonic() - started < 2.0


def test_the_cli_names_a_lying_registry_and_wrong_content(hostile, tmp_path):
    hostile.add_kit("liar/kit", "v1", layer=os.urandom(300_000))
    hostile.announce_extra = 10_000_000
    done = _cli(tmp_path / "home", "pull", f"{hostile.host}/liar/kit:v1", "--plain-http")
    assert done.returncode == 1
    assert "the registry announced" in done.stderr
    hostile.announce_extra, hostile.wrong_content = 0, True
    done = _cli(tmp_path / "home", "pull", f"{hostile.host}/liar/kit:v1", "--plain-http")
    assert done.returncode == 1
    assert "failed verification: received" in done.stderr
    assert "Traceback" not in done.stderr
    assert "e3b0c442" not in done.stderr


def test_a_body_cut_short_says_so_with_the_byte_counts(hostile, tmp_path):
    hostile.add_kit("cut/kit", "v1", layer=os.urandom(300_000))
    hostile.cut_after = 100_000  # announces the full size, sends a third, closes
    with pytest.raises(RegistryUnreachable) as info:
        pull(f"{hostile.host}/cut/kit:v1", store=LocalStore(tmp_path / "h"), remote=_remote())
    message = str(info.value)
    assert "is the registry running" not in message
    assert f"the connection to {hostile.host} broke after 100000 of " in message
    assert "gave up after 3 retries" in message


def test_a_digest_mismatch_reports_what_was_received(hostile, tmp_path):
    layer = os.urandom(50_000)
    hostile.add_kit("bad/kit", "v1", layer=layer)
    hostile.wrong_content = True
    store = LocalStore(tmp_path / "h")
    with pytest.raises(DigestMismatch, match=r"received (\d+) bytes of \1 hashing to sha256:") as info:
        pull(f"{hostile.host}/bad/kit:v1", store=store, remote=_remote())
    assert "e3b0c442" not in str(info.value)  # the hash of nothing, which every mismatch used to show
    assert _tmp_files(store) == []


def test_oversized_answers_are_refused_before_they_fill_memory(hostile, tmp_path):
    hostile.manifests["big/kit:v1"] = (b" " * (9 << 20), "application/vnd.oci.image.manifest.v1+json")
    with pytest.raises(RegistryError, match=r"manifest v1 from .* is 9437184 bytes, more than the 8388608"):
        pull(f"{hostile.host}/big/kit:v1", store=LocalStore(tmp_path / "h"), remote=_remote())


def _every_tag(repository: str) -> list[str]:
    """Every tag, following the registry's Link pages, as ``kitlab list REPOSITORY`` reads them."""
    with _remote().client(parse_reference(repository)) as client:
        return client.list_tags()


def test_a_tag_list_that_links_to_itself_ends(hostile):
    assert _every_tag(f"{hostile.host}/loop/kit") == ["v1"]  # junk entries dropped
    hostile.tags_loop = True
    with pytest.raises(RegistryError, match="kept sending tag list pages"):
        _every_tag(f"{hostile.host}/loop/kit")
    assert len(hostile.seen("GET")) < 5


def test_an_oversized_tag_list_is_refused_whole_list_or_page(hostile):
    """Both ways of reading tags (every tag for pull and list, one page for browsing) read the answer
    bounded: a registry cannot make kitlab hold gigabytes of tag list in memory."""
    from kitlab.modelkit.remotekits import list_tags

    hostile.tags_padding = 5 << 20
    with pytest.raises(RegistryError, match="more than the 4194304"):
        _every_tag(f"{hostile.host}/big/kit")
    with pytest.raises(RegistryError, match="more than the 4194304"):
        list_tags(f"{hostile.host}/big/kit", remote=_remote())


def test_a_chunked_upload_the_registry_never_keeps_is_abandoned(hostile, tmp_path):
    data = os.urandom(3 << 20)
    blob = tmp_path / "blob"
    blob.write_bytes(data)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    hostile.upload_range = "0-0"  # every chunk "accepted", nothing kept
    client = RegistryClient(hostile.host, "up/repo", _remote(), chunk_size=1 << 20, monolithic_limit=1)

    def open_at(offset: int):
        fh = blob.open("rb")
        fh.seek(offset)
        return fh

    with client, pytest.raises(RegistryError, match=r"accepted 3 chunks .* in a row but kept only 1 of"):
        client.upload_blob(digest, len(data), open_at)
    assert len(hostile.seen("PATCH")) == 4  # the first one moved the registry from 0 to 1 byte


# ----------------------------------------------------------------------------- allowed registries
def test_a_parent_on_a_registry_outside_the_allow_list_is_never_contacted(hostile, realm, tmp_path):
    realm.add_kit("other/base", "v1")
    hostile.add_parent_kit("team/child", "v1", f"{realm.host}/other/base:v1")
    store = LocalStore(tmp_path / "h")
    remote = _remote(allowed_registries=(hostile.host,))
    with pytest.raises(NotAllowed, match=f"registry {realm.host} is not allowed"):
        pull(f"{hostile.host}/team/child:v1", store=store, remote=remote)
    assert realm.requests == []
    assert store.repositories() == []
    with pytest.raises(NotAllowed):  # any client, however it is made
        RegistryClient(realm.host, "other/base", remote)


# ------------------------------------------------------------------------------------- credentials
def _auths(server: HostileRegistry, prefix: str = "") -> list[str]:
    return [s.headers.get("Authorization", "") for s in server.seen(prefix=prefix)]


def test_credentials_never_go_to_a_token_realm_on_another_host(hostile, realm, tmp_path):
    hostile.add_kit("auth/kit", "v1")
    # "localhost" is the same machine but not the registry's host name (127.0.0.1).
    hostile.challenge = f'Bearer realm="http://localhost:{realm.port}/token",service="hostile"'
    cred = Credential(username="ann", password=Secret(PASSWORD))
    pull(f"{hostile.host}/auth/kit:v1", store=LocalStore(tmp_path / "h"), remote=_remote(credentials=cred))
    assert realm.seen(prefix="/token"), "the token service was asked (anonymously)"
    assert _auths(realm) == [""] * len(realm.requests)
    assert "Bearer anon-token" in _auths(hostile)


def test_credentials_go_to_a_realm_on_the_registrys_own_host(hostile, realm, tmp_path):
    hostile.add_kit("auth/kit", "v1")
    hostile.challenge = f'Bearer realm="http://127.0.0.1:{realm.port}/token",service="hostile"'
    cred = Credential(username="ann", password=Secret(PASSWORD))
    pull(f"{hostile.host}/auth/kit:v1", store=LocalStore(tmp_path / "h"), remote=_remote(credentials=cred))
    assert all(a.startswith("Basic ") for a in _auths(realm, "/token"))


def test_an_https_registry_never_sends_credentials_to_a_plain_http_realm(realm, tmp_path):
    tls = make_tls_material(tmp_path / "tls")
    with HostileRegistry(tls=tls) as secure:
        secure.add_kit("auth/kit", "v1")
        secure.challenge = f'Bearer realm="http://127.0.0.1:{realm.port}/token",service="hostile"'
        cred = Credential(username="ann", password=Secret(PASSWORD))
        remote = Remote(tls_verify=str(tls.ca), credentials=cred, retries=FAST)
        pull(f"{secure.host}/auth/kit:v1", store=LocalStore(tmp_path / "h"), remote=remote)
    assert realm.seen(prefix="/token")
    assert _auths(realm) == [""] * len(realm.requests)


def test_an_upload_location_on_another_host_gets_no_credentials(hostile, realm, tmp_path):
    hostile.challenge = 'Basic realm="hostile"'
    hostile.upload_location = f"http://localhost:{realm.port}/upload/stolen"
    cred = Credential(username="ann", password=Secret(PASSWORD))
    data = os.urandom(1000)
    blob = tmp_path / "blob"
    blob.write_bytes(data)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with RegistryClient(hostile.host, "up/repo", _remote(credentials=cred)) as client:
        client.upload_blob(digest, len(data), lambda offset: blob.open("rb"))
    assert realm.seen("PUT", "/upload/stolen")
    assert _auths(realm) == [""] * len(realm.requests)
    assert any(a.startswith("Basic ") for a in _auths(hostile))


def test_a_blob_redirect_to_another_host_carries_no_credentials(hostile, realm, tmp_path):
    layer = os.urandom(10_000)
    hostile.add_kit("cdn/kit", "v1", layer=layer)
    for digest, data in hostile.blobs.items():
        realm.blobs[digest] = data  # the "CDN" serves the same bytes
    hostile.challenge = 'Basic realm="hostile"'
    hostile.redirect_blobs = f"http://localhost:{realm.port}"
    cred = Credential(username="ann", password=Secret(PASSWORD))
    store = LocalStore(tmp_path / "h")
    pull(f"{hostile.host}/cdn/kit:v1", store=store, remote=_remote(credentials=cred))
    assert realm.seen("GET", "/cdn/")
    assert _auths(realm) == [""] * len(realm.requests)
    assert any(a.startswith("Basic ") for a in _auths(hostile))


def test_the_cli_says_why_credentials_were_withheld(hostile, realm, tmp_path):
    home = tmp_path / "home"
    hostile.add_kit("auth/kit", "v1")
    hostile.challenge = f'Bearer realm="http://localhost:{realm.port}/token",service="hostile"'
    hostile.require_user_token = True  # this registry refuses the anonymous token
    save_credential(hostile.host, "ann", Secret(PASSWORD), home)
    done = _cli(home, "pull", f"{hostile.host}/auth/kit:v1", "--plain-http")
    assert done.returncode == 1
    assert f"token service on localhost:{realm.port}" in done.stderr
    assert f"your credentials for {hostile.host} were not sent there" in done.stderr
    assert "Traceback" not in done.stderr
    assert _auths(realm) == [""] * len(realm.requests)
    assert PASSWORD not in done.stderr + done.stdout


def test_a_trusted_https_realm_on_another_host_receives_the_credentials(hostile, tmp_path):
    """A self-hosted GitLab's token service lives on another host: an administrator trusts it with
    ``c.Kitlab.trusted_token_realms``, a CLI user with ``KITLAB_TRUSTED_TOKEN_REALMS``."""
    tls = make_tls_material(tmp_path / "tls")
    home = tmp_path / "home"
    with HostileRegistry(tls=tls) as token_service:
        hostile.add_kit("auth/kit", "v1")
        hostile.challenge = f'Bearer realm="https://127.0.0.1:{token_service.port}/token",service="x"'
        ref = f"localhost:{hostile.port}/auth/kit:v1"  # the registry's host name is "localhost"
        save_credential(f"localhost:{hostile.port}", "ann", Secret(PASSWORD), home)
        env = {"REQUESTS_CA_BUNDLE": str(tls.ca)}
        assert _cli(home, "pull", ref, "--plain-http", env=env).returncode == 0
        assert set(_auths(token_service, "/token")) == {""}  # not trusted: asked anonymously
        asked = len(token_service.requests)
        LocalStore(home).remove(ref, force=True)
        trusted = {**env, "KITLAB_TRUSTED_TOKEN_REALMS": f"example.org, 127.0.0.1:{token_service.port}"}
        done = _cli(home, "pull", ref, "--plain-http", env=trusted)
        assert done.returncode == 0, done.stderr
        assert PASSWORD not in done.stderr + done.stdout
        assert {a[:6] for a in _auths(token_service, "/token")[asked:]} == {"Basic "}


# ------------------------------------------------------------------------------------- concurrency
def test_two_cli_pulls_of_one_kit_into_one_store_both_succeed(hostile, tmp_path):
    hostile.add_kit("twin/kit", "v1", layer=os.urandom(1 << 20))
    hostile.blob_rate = 2_000_000  # ~0.5 s per pull: the two overlap
    home = tmp_path / "home"
    env = {**os.environ, "KITOPS_HOME": str(home)}
    argv = [sys.executable, "-c", CLI, "pull", f"{hostile.host}/twin/kit:v1", "--plain-http"]
    procs = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    store = LocalStore(home)
    assert store.repositories() == [f"{hostile.host}/twin/kit"]
    assert _tmp_files(store) == []


def test_two_cli_packs_of_one_folder_into_one_store_both_succeed(tmp_path):
    ctx = tmp_path / "ctx"
    (ctx / "models").mkdir(parents=True)
    (ctx / "models" / "w.bin").write_bytes(os.urandom(4 << 20))
    (ctx / "Kitfile").write_text(
        "manifestVersion: 1.0.0\npackage:\n  name: twin\nmodel:\n  name: m\n  path: models/w.bin\n"
    )
    home = tmp_path / "home"
    env = {**os.environ, "KITOPS_HOME": str(home)}
    argv = [sys.executable, "-c", CLI, "pack", str(ctx), "-t", "twin:v1"]
    procs = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert len(LocalStore(home).list_kits()) == 1


def test_a_concurrent_pull_waits_for_the_blob_another_is_downloading(hostile, tmp_path):
    hostile.add_kit("wait/kit", "v1", layer=os.urandom(600_000))
    hostile.blob_rate = 1_000_000
    store_a, store_b = LocalStore(tmp_path / "home"), LocalStore(tmp_path / "home")
    events: list[ProgressEvent] = []
    ta, oa = _pull_in_thread(f"{hostile.host}/wait/kit:v1", store_a, _remote(), CancelToken(), events)
    tb, ob = _pull_in_thread(f"{hostile.host}/wait/kit:v1", store_b, _remote(), CancelToken(), [])
    ta.join(30)
    tb.join(30)
    assert "error" not in oa, oa
    assert "error" not in ob, ob
    layer_gets = [s for s in hostile.seen("GET") if "/blobs/" in s.path]
    assert len(layer_gets) <= 3  # each config once per pull at most, the layer once in all
