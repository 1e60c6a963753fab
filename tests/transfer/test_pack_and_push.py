"""pack_and_push (kit ≥ 1.16's ``pack --push``): one pass over the files, nothing in the local store."""

from __future__ import annotations

import hashlib
import time
import tracemalloc
from pathlib import Path

import pytest

from kitlab.errors import InvalidInput
from kitlab.modelkit import statcache
from kitlab.modelkit.layerstream import LayerStream
from kitlab.modelkit.pack import pack
from kitlab.modelkit.packpush import pack_and_push
from kitlab.modelkit.pull import pull
from kitlab.modelkit.registry import RegistryNotFound
from kitlab.modelkit.store import LocalStore
from kitlab.modelkit.tarwriter import FileChangedWhilePacking, Sink
from kitlab.modelkit.unpack import unpack
from kitlab.progress import ProgressEvent
from tests.registry._helpers import make_client
from tests.support.registry import RunningRegistry
from tests.support.workspace import tree
from tests.transfer._helpers import make_context, remote_kw, skopeo_raw, upload_requests


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_pack_and_push_matches_pack_and_writes_nothing_locally(
    registry: RunningRegistry, proxy_for, tmp_path: Path, compression: str
) -> None:
    ctx = make_context(tmp_path / "ctx")
    home = tmp_path / "home"
    ref = f"{registry.host}/packpush/{compression}:v1"
    events: list[ProgressEvent] = []
    result = pack_and_push(
        ctx,
        ref,
        compression=compression,
        store=LocalStore(home),
        progress=events.append,
        **remote_kw(registry),
    )
    assert not (home / "storage").exists()  # no blob, no temp file, no index in the local store
    assert {e.stage for e in events} == {"hash", "upload"}

    # Same bytes as a local pack of the same tree (deterministic tar and compression).
    local = pack(ctx, tags=["same:v1"], store=LocalStore(tmp_path / "other"), compression=compression)
    assert result.digest == local.manifest_digest
    # The kit's size, as kit list shows it: its layers, the same number a local pack gives.
    assert result.kit_size == sum(layer.size for layer in local.layers) > 0
    assert skopeo_raw(registry, ref) == LocalStore(tmp_path / "other").get_manifest_bytes(
        LocalStore(tmp_path / "other").resolve("same:v1")
    )

    fresh = LocalStore(tmp_path / "fresh")
    pull(ref, store=fresh, **remote_kw(registry))
    unpack(ref, tmp_path / "out", store=fresh)
    assert {k: v for k, v in tree(tmp_path / "out").items() if k != "Kitfile"} == {
        k: v for k, v in tree(ctx).items() if k != "Kitfile"
    }

    # Again, unchanged: every layer is hashed, found by HEAD and skipped.
    proxy = proxy_for(registry)
    again = pack_and_push(
        ctx,
        f"{proxy.host}/packpush/{compression}:v1",
        compression=compression,
        store=LocalStore(home),
        **remote_kw(registry),
    )
    assert (again.digest, again.uploaded_bytes, again.skipped_blobs) == (result.digest, 0, 4)
    assert again.kit_size == result.kit_size  # the kit's size, not what was sent
    assert upload_requests(proxy) == []


def test_file_changed_between_passes_fails_and_registry_keeps_nothing(
    plain_registry: RunningRegistry, tmp_path: Path
) -> None:
    reg = plain_registry
    ctx = make_context(tmp_path / "ctx", model_bytes=3 << 20)
    before = pack(ctx, tags=["x:v1"], store=LocalStore(tmp_path / "a")).layers[0].digest
    model = ctx / "models/w.bin"

    def tamper(event: ProgressEvent) -> None:
        # Right after pass 1 has read the whole model: same size, different content.
        if event.stage == "hash" and event.item == "models/w.bin" and event.done == event.total:
            with model.open("r+b") as fh:
                fh.write(b"changed!")

    with pytest.raises(FileChangedWhilePacking, match="changed between hashing and uploading"):
        pack_and_push(
            ctx,
            f"{reg.host}/packpush/changed:v1",
            store=LocalStore(tmp_path / "home"),
            progress=tamper,
            **remote_kw(reg),
        )
    after = pack(ctx, tags=["x:v1"], store=LocalStore(tmp_path / "b")).layers[0].digest
    with make_client(reg, "packpush/changed") as client:
        assert not client.blob_exists(before)
        assert not client.blob_exists(after)
        with pytest.raises(RegistryNotFound):
            client.get_manifest("v1")


def test_pack_and_push_needs_a_registry_and_a_tag(tmp_path: Path) -> None:
    ctx = make_context(tmp_path / "ctx")
    with pytest.raises(InvalidInput, match="localhost"):
        pack_and_push(ctx, "demo:v1")
    with pytest.raises(InvalidInput, match="needs a tag"):
        pack_and_push(ctx, "registry.example.com/demo")


def _producer(data: bytes) -> object:
    def produce(sink: Sink) -> None:
        for i in range(0, len(data), 100_000):  # many small writes, gathered by the stream
            sink.write(data[i : i + 100_000])

    return produce


def test_layer_stream_serves_any_offset_and_refuses_other_bytes() -> None:
    data = bytes(range(256)) * 40_000  # ~10 MiB: several pieces across the thread boundary
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    for offset in (0, 5, 4 << 20, len(data)):
        with LayerStream(_producer(data), digest=digest, size=len(data), offset=offset, label="x") as stream:
            got = b"".join(iter(lambda s=stream: s.read(1 << 20), b""))  # type: ignore[misc]
        assert got == data[offset:]
    received: list[bytes] = []

    def read_all(stream: LayerStream) -> None:
        while chunk := stream.read(1 << 20):
            received.append(chunk)

    wrong = "sha256:" + "0" * 64
    with (
        LayerStream(_producer(data), digest=wrong, size=len(data), label="model") as stream,
        pytest.raises(FileChangedWhilePacking, match="model changed"),
    ):
        read_all(stream)
    assert 0 < sum(map(len, received)) < len(data)  # the last piece is withheld when the digest is wrong


def test_layer_stream_close_stops_the_producer() -> None:
    data = b"z" * (20 << 20)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    stream = LayerStream(_producer(data), digest=digest, size=len(data), label="x")
    assert stream.read(10) == b"z" * 10
    stream.close()
    assert not stream._thread.is_alive()


def test_pack_and_push_memory_stays_flat(plain_registry: RunningRegistry, tmp_path: Path) -> None:
    """A 160 MiB model goes up through chunked PATCHes generated on the fly; Python's peak allocation
    stays a fraction of it (the bounded hand-over queue, not the layer)."""
    reg = plain_registry
    ctx = make_context(tmp_path / "ctx", model_bytes=160 << 20)
    tracemalloc.start()
    try:
        result = pack_and_push(
            ctx, f"{reg.host}/packpush/big:v1", store=LocalStore(tmp_path / "h"), **remote_kw(reg)
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.uploaded_bytes > 160 << 20
    # About 60 MiB measured: the pieces in flight between the threads, never the 160 MiB layer.
    assert peak < 96 << 20, f"peak Python allocation {peak >> 20} MiB"


def test_unchanged_files_skip_the_first_pass(
    registries: dict[str, RunningRegistry], proxy_for, tmp_path, monkeypatch
) -> None:
    ctx = make_context(tmp_path / "ctx")
    # The stat cache ignores files modified within RACY_WINDOW_NS of its clock: move the clock on
    # rather than sleep past the window.
    monkeypatch.setattr(statcache, "now_ns", lambda: time.time_ns() + 2 * statcache.RACY_WINDOW_NS)
    home = tmp_path / "home"
    plain, basic = registries["none"], registries["htpasswd"]
    first = pack_and_push(ctx, f"{plain.host}/cached/kit:v1", store=LocalStore(home), **remote_kw(plain))

    # Same registry: digests come from the cache, HEAD finds every blob: no file is read.
    proxy = proxy_for(plain)
    events: list[ProgressEvent] = []
    again = pack_and_push(
        ctx, f"{proxy.host}/cached/kit:v1", store=LocalStore(home), progress=events.append, **remote_kw(plain)
    )
    assert (again.digest, again.uploaded_bytes) == (first.digest, 0)
    assert [e for e in events if e.stage == "hash"] == []

    # Another registry: cached digests, one streaming pass that is verified against them.
    events.clear()
    other = pack_and_push(
        ctx, f"{basic.host}/cached/kit:v1", store=LocalStore(home), progress=events.append, **remote_kw(basic)
    )
    assert other.digest == first.digest
    assert other.uploaded_bytes == first.uploaded_bytes
    assert [e for e in events if e.stage == "hash"] == []
    assert skopeo_raw(basic, f"{basic.host}/cached/kit:v1") == skopeo_raw(
        plain, f"{plain.host}/cached/kit:v1"
    )
