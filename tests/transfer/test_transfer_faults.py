"""Dropped connections, corrupt downloads, a full disk and cancels: clear outcomes, nothing half-done."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kitlab.errors import Cancelled
from kitlab.modelkit.pack import pack
from kitlab.modelkit.packpush import pack_and_push
from kitlab.modelkit.pull import StorageFull, pull
from kitlab.modelkit.push import push
from kitlab.modelkit.registry import DigestMismatch, RegistryNotFound, RegistryUnreachable, RetryPolicy
from kitlab.modelkit.store import LocalStore
from kitlab.modelkit.unpack import unpack
from kitlab.progress import CancelToken, ProgressEvent
from tests.registry._helpers import make_client
from tests.support.registry import RunningRegistry
from tests.support.workspace import tree
from tests.transfer._helpers import MiB, make_context, remote_kw, temp_files, upload_requests

NO_RETRY = RetryPolicy(attempts=1, backoff=0.01, max_backoff=0.01)


def _kit(tmp_path: Path, ref: str, model_bytes: int) -> tuple[LocalStore, Path, str]:
    """A packed kit whose first layer is a random model of ``model_bytes``; returns its layer digest."""
    ctx = make_context(tmp_path / "ctx", model_bytes=model_bytes)
    store = LocalStore(tmp_path / "home")
    return store, ctx, pack(ctx, tags=[ref], store=store).layers[0].digest


def _pushed_kit(tmp_path: Path, reg: RunningRegistry, ref: str, model_bytes: int) -> str:
    """``_kit`` pushed to ``reg`` as ``ref``; returns the model layer's digest."""
    store, _, model_digest = _kit(tmp_path, ref, model_bytes)
    push(ref, store=store, **remote_kw(reg))
    return model_digest


def _blob_ok(store: LocalStore, path: Path) -> bool:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest() == f"sha256:{path.name}"


def test_dropped_upload_is_retried_and_the_blob_is_intact(
    registry: RunningRegistry, proxy_for, tmp_path: Path
) -> None:
    store, _, model_digest = _kit(tmp_path, "drop:v1", 3 * MiB)
    proxy = proxy_for(registry)
    proxy.drop_during("PUT", after_body_bytes=1 * MiB)  # the model's monolithic PUT, 1 MiB in
    pushed = push(
        "drop:v1", f"{proxy.host}/faults/drop:v1", store=store, concurrency=1, **remote_kw(registry)
    )
    assert len(upload_requests(proxy)) == 5  # four blobs, and the model's PUT once more
    fresh = LocalStore(tmp_path / "fresh")
    assert pull(f"{registry.host}/faults/drop:v1", store=fresh, **remote_kw(registry)).digest == pushed.digest
    assert _blob_ok(fresh, fresh.blob_path(model_digest))


def test_dropped_upload_without_retries_fails_clearly_and_registry_has_no_blob(
    plain_registry: RunningRegistry, proxy_for, tmp_path: Path
) -> None:
    reg = plain_registry
    store, _, model_digest = _kit(tmp_path, "drop:v1", 3 * MiB)
    proxy = proxy_for(reg)
    proxy.drop_during("PUT", after_body_bytes=1 * MiB)
    # The registry was reached: the error says the connection broke, not "is the registry running?".
    with pytest.raises(RegistryUnreachable, match=r"the connection to 127\.0\.0\.1:\d+ broke"):
        push(
            "drop:v1",
            f"{proxy.host}/faults/nodrop:v1",
            store=store,
            concurrency=1,
            **remote_kw(reg, retries=NO_RETRY),
        )
    with make_client(reg, "faults/nodrop") as client:
        assert not client.blob_exists(model_digest)
        with pytest.raises(RegistryNotFound):
            client.get_manifest("v1")


def test_pack_and_push_regenerates_the_layer_after_a_drop(
    plain_registry: RunningRegistry, proxy_for, tmp_path: Path
) -> None:
    reg = plain_registry
    ctx = make_context(tmp_path / "ctx", model_bytes=3 * MiB)
    proxy = proxy_for(reg)
    proxy.drop_during("PUT", after_body_bytes=2 * MiB)
    result = pack_and_push(
        ctx, f"{proxy.host}/faults/pp:v1", store=LocalStore(tmp_path / "h"), **remote_kw(reg)
    )
    fresh = LocalStore(tmp_path / "fresh")
    assert pull(f"{reg.host}/faults/pp:v1", store=fresh, **remote_kw(reg)).digest == result.digest
    unpack(f"{reg.host}/faults/pp:v1", tmp_path / "out", store=fresh)
    assert tree(tmp_path / "out")["models/w.bin"] == (ctx / "models/w.bin").read_bytes()


def test_interrupted_pull_keeps_its_part_and_the_next_pull_resumes(
    plain_registry: RunningRegistry, proxy_for, tmp_path: Path
) -> None:
    reg = plain_registry
    model_digest = _pushed_kit(tmp_path, reg, f"{reg.host}/faults/resume:v1", 12 * MiB)
    proxy = proxy_for(reg)
    ref = f"{proxy.host}/faults/resume:v1"
    fresh = LocalStore(tmp_path / "fresh")
    proxy.drop_response_after(6 * MiB)
    with pytest.raises(RegistryUnreachable):
        pull(ref, store=fresh, concurrency=1, **remote_kw(reg, retries=NO_RETRY))
    assert fresh.repositories() == []
    assert not fresh.has_blob(model_digest)
    assert [p.name for p in temp_files(fresh.home)] == [f"pull-{model_digest[7:]}.part"]
    before = proxy.bytes_down
    pull(ref, store=fresh, concurrency=1, **remote_kw(reg))
    assert proxy.bytes_down - before < 8 * MiB  # resumed: about 6 MiB were already here
    assert fresh.has_blob(model_digest)
    assert _blob_ok(fresh, fresh.blob_path(model_digest))
    assert temp_files(fresh.home) == []


def test_corrupt_download_is_rejected_and_nothing_kept(
    plain_registry: RunningRegistry, proxy_for, tmp_path: Path
) -> None:
    reg = plain_registry
    model_digest = _pushed_kit(tmp_path, reg, f"{reg.host}/faults/corrupt:v1", 3 * MiB)
    proxy = proxy_for(reg)
    fresh = LocalStore(tmp_path / "fresh")
    proxy.corrupt_response_at(2 * MiB)
    with pytest.raises(DigestMismatch):
        pull(f"{proxy.host}/faults/corrupt:v1", store=fresh, concurrency=1, **remote_kw(reg))
    assert fresh.repositories() == []
    assert not fresh.has_blob(model_digest)
    assert all(_blob_ok(fresh, p) for p in fresh.blobs_dir.iterdir())
    assert temp_files(fresh.home) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (the tests run as root here); unmounted afterwards."""
    mountpoint = tmp_path / "small-disk"
    mountpoint.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mountpoint)], check=True)
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


def test_disk_full_during_pull_leaves_no_partial_blob_and_no_index_entry(
    plain_registry: RunningRegistry, small_disk: Path, tmp_path: Path
) -> None:
    reg = plain_registry
    model_digest = _pushed_kit(tmp_path, reg, f"{reg.host}/faults/full:v1", 3 * MiB)
    full = LocalStore(small_disk / "kitops")
    with pytest.raises(StorageFull, match="no space left"):
        pull(f"{reg.host}/faults/full:v1", store=full, **remote_kw(reg))
    assert full.repositories() == []
    assert b'"manifests":[]' in full.root_index_path.read_bytes()
    assert not full.has_blob(model_digest)
    assert all(_blob_ok(full, p) for p in full.blobs_dir.iterdir())  # what landed is whole
    assert temp_files(full.home) == []


def _cancel_when(stage: str, token: CancelToken, after: int) -> object:
    def progress(event: ProgressEvent) -> None:
        if event.stage == stage and event.done >= after:
            token.cancel()

    return progress


def test_cancel_mid_push_stops_without_a_manifest(plain_registry: RunningRegistry, tmp_path: Path) -> None:
    reg = plain_registry
    store, _, model_digest = _kit(tmp_path, "cancel:v1", 20 * MiB)
    token = CancelToken()
    with pytest.raises(Cancelled):
        push(
            "cancel:v1",
            f"{reg.host}/faults/cancel:v1",
            store=store,
            cancel=token,
            progress=_cancel_when("upload", token, 1),
            **remote_kw(reg),
        )
    with make_client(reg, "faults/cancel") as client:
        assert not client.blob_exists(model_digest)
        with pytest.raises(RegistryNotFound):
            client.get_manifest("v1")
    assert temp_files(store.home) == []


def test_cancel_mid_pack_and_push_stops_without_a_manifest(plain_registry: RunningRegistry, tmp_path) -> None:
    reg = plain_registry
    ctx = make_context(tmp_path / "ctx", model_bytes=20 * MiB)
    token = CancelToken()
    home = tmp_path / "home"
    with pytest.raises(Cancelled):
        pack_and_push(
            ctx,
            f"{reg.host}/faults/cancel-pp:v1",
            store=LocalStore(home),
            cancel=token,
            progress=_cancel_when("upload", token, 1),
            **remote_kw(reg),
        )
    with make_client(reg, "faults/cancel-pp") as client, pytest.raises(RegistryNotFound):
        client.get_manifest("v1")
    assert not (home / "storage").exists()


def test_cancel_mid_pull_leaves_no_temp_files(plain_registry: RunningRegistry, tmp_path: Path) -> None:
    reg = plain_registry
    ref = f"{reg.host}/faults/cancel-pull:v1"
    model_digest = _pushed_kit(tmp_path, reg, ref, 20 * MiB)
    fresh = LocalStore(tmp_path / "fresh")
    token = CancelToken()
    with pytest.raises(Cancelled):
        pull(ref, store=fresh, cancel=token, progress=_cancel_when("download", token, 1), **remote_kw(reg))
    assert fresh.repositories() == []
    assert not fresh.has_blob(model_digest)
    assert temp_files(fresh.home) == []
