"""push and pull between kitlab's local store (kit's layout) and real registries, checked with skopeo and
the kit oracle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kitlab.errors import InvalidInput
from kitlab.modelkit.pack import pack
from kitlab.modelkit.pull import pull
from kitlab.modelkit.push import push
from kitlab.modelkit.remotekits import list_tags
from kitlab.modelkit.store import LocalStore
from kitlab.modelkit.transfer import BlobLocations
from kitlab.modelkit.unpack import unpack
from tests.support.kit import KitCLI
from tests.support.registry import RunningRegistry
from tests.support.workspace import tree
from tests.transfer._helpers import make_context, remote_kw, skopeo_raw, upload_requests


def _packed(tmp_path: Path, ref: str) -> tuple[LocalStore, Path, str]:
    ctx = make_context(tmp_path / "ctx")
    store = LocalStore(tmp_path / "home")
    result = pack(ctx, tags=[ref], store=store)
    return store, ctx, result.manifest_digest


def test_push_then_repush_then_mount_then_pull(registry: RunningRegistry, proxy_for, tmp_path: Path) -> None:
    ref = f"{registry.host}/kits/demo:v1"
    store, ctx, digest = _packed(tmp_path, ref)
    manifest_bytes = store.get_manifest_bytes(store.resolve(ref))
    layer_bytes = sum(d.size for d in store.get_manifest(store.resolve(ref)).layers)

    first = push(ref, store=store, **remote_kw(registry))
    assert first.digest == digest
    assert first.uploaded_bytes >= layer_bytes
    assert skopeo_raw(registry, ref) == manifest_bytes  # the exact bytes, so the digest is unchanged

    # Re-push through a byte-counting proxy: every blob is found by HEAD, no upload session is opened.
    proxy = proxy_for(registry)
    again = push(ref, f"{proxy.host}/kits/demo:v1", store=store, **remote_kw(registry))
    assert (again.uploaded_bytes, again.skipped_blobs, again.mounted_blobs) == (0, 4, 0)
    assert first.kit_size == again.kit_size == layer_bytes  # the kit's size, whatever was sent
    assert upload_requests(proxy) == []
    assert proxy.bytes_up < 64 * 1024  # headers and the manifest; the model layer alone is 256 KiB

    # Another repository on the same registry: blobs are mounted from the source repository.
    before = proxy.bytes_up
    other = push(ref, f"{proxy.host}/kits/copy:v2", store=store, **remote_kw(registry))
    assert (other.uploaded_bytes, other.mounted_blobs) == (0, 4)
    assert upload_requests(proxy) == []
    assert proxy.bytes_up - before < 64 * 1024
    assert skopeo_raw(registry, f"{registry.host}/kits/copy:v2") == manifest_bytes

    # Pull into a fresh store: same digest, same files.
    fresh = LocalStore(tmp_path / "fresh")
    pulled = pull(f"{registry.host}/kits/copy:v2", store=fresh, **remote_kw(registry))
    assert pulled.digest == digest
    assert pulled.downloaded_bytes == first.uploaded_bytes
    assert fresh.resolve(f"{registry.host}/kits/copy:v2").digest == digest
    unpack(f"{registry.host}/kits/copy:v2", tmp_path / "out", store=fresh)
    assert {k: v for k, v in tree(tmp_path / "out").items() if k != "Kitfile"} == {
        k: v for k, v in tree(ctx).items() if k != "Kitfile"
    }
    # Pulling again downloads nothing.
    assert pull(f"{registry.host}/kits/copy:v2", store=fresh, **remote_kw(registry)).downloaded_bytes == 0


def test_mount_uses_the_record_of_earlier_pushes(
    plain_registry: RunningRegistry, proxy_for, tmp_path
) -> None:
    reg = plain_registry
    store, _, _ = _packed(tmp_path, "local/only:v1")  # the source repository is not on the registry
    push("local/only:v1", f"{reg.host}/record/first:v1", store=store, **remote_kw(reg))
    locations = BlobLocations.for_home(store.home)
    config = store.get_manifest(store.resolve("local/only:v1")).config
    assert locations.candidates(reg.host, config.digest) == ["record/first"]
    proxy = proxy_for(reg)
    # The proxy is another host name for the same registry; record what we pushed under that name too.
    push("local/only:v1", f"{proxy.host}/record/first:v1", store=store, **remote_kw(reg))
    second = push("local/only:v1", f"{proxy.host}/record/second:v1", store=store, **remote_kw(reg))
    assert (second.mounted_blobs, second.uploaded_bytes) == (4, 0)
    assert upload_requests(proxy) == []


def test_push_refuses_the_local_store_name(tmp_path: Path) -> None:
    store, _, _ = _packed(tmp_path, "demo:v1")
    with pytest.raises(InvalidInput, match="localhost"):
        push("demo:v1", store=store)
    with pytest.raises(InvalidInput, match="localhost"):
        pull("localhost/demo:v1", store=store)


def test_kit_lists_and_unpacks_a_pulled_kit_byte_for_byte(
    plain_registry: RunningRegistry, kit: KitCLI, tmp_path: Path
) -> None:
    reg = plain_registry
    ref = f"{reg.host}/interop/lab:v1"
    store, ctx, digest = _packed(tmp_path, ref)
    push(ref, store=store, **remote_kw(reg))
    home = tmp_path / "fresh-home"
    pull(ref, store=LocalStore(home), **remote_kw(reg))
    env = {"KITOPS_HOME": str(home)}
    listing = json.loads(kit.run("list", "--format", "json", env=env).stdout)
    assert [(x["repo"], x["tags"], x["digest"]) for x in listing] == [
        (f"{reg.host}/interop/lab", ["v1"], digest)
    ]
    kit.run("unpack", ref, "-d", str(tmp_path / "by-kit"), env=env)
    unpack(ref, tmp_path / "by-lab", store=LocalStore(home))
    assert tree(tmp_path / "by-kit") == tree(tmp_path / "by-lab")
    assert tree(tmp_path / "by-kit")["models/w.bin"] == (ctx / "models/w.bin").read_bytes()


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_kit_packed_kit_round_trips_through_a_registry(
    plain_registry: RunningRegistry, kit: KitCLI, tmp_path: Path, compression: str
) -> None:
    reg = plain_registry
    ref = f"{reg.host}/interop/bykit-{compression}:v1"
    ctx = make_context(tmp_path / "ctx")
    kit_home = tmp_path / "kit-home"
    kit.run("pack", str(ctx), "-t", ref, "--compression", compression, env={"KITOPS_HOME": str(kit_home)})
    kit_store = LocalStore(kit_home)
    digest = kit_store.resolve(ref).digest
    pushed = push(ref, store=kit_store, **remote_kw(reg))
    assert pushed.digest == digest
    fresh = LocalStore(tmp_path / "fresh")
    assert pull(ref, store=fresh, **remote_kw(reg)).digest == digest
    media_types = {d.media_type for d in fresh.get_manifest(fresh.resolve(ref)).layers}
    assert all(m.endswith("+gzip") == (compression == "gzip") for m in media_types)
    unpack(ref, tmp_path / "out", store=fresh)
    expected = {k: v for k, v in tree(ctx).items() if k != "Kitfile"}
    assert {k: v for k, v in tree(tmp_path / "out").items() if k != "Kitfile"} == expected


def test_list_tags_pages(plain_registry: RunningRegistry, tmp_path: Path) -> None:
    reg = plain_registry
    store, _, _ = _packed(tmp_path, f"{reg.host}/tags/demo:v1")
    push(f"{reg.host}/tags/demo:v1", store=store, **remote_kw(reg))
    push(f"{reg.host}/tags/demo:v1", f"{reg.host}/tags/demo:v2", store=store, **remote_kw(reg))
    first = list_tags(f"{reg.host}/tags/demo", limit=1, **remote_kw(reg))
    assert (first.items, first.next) == (["v1"], "v1")
    second = list_tags(f"{reg.host}/tags/demo", limit=1, last="v1", **remote_kw(reg))
    assert second.items == ["v2"]
    assert list_tags(f"{reg.host}/tags/demo:v2", **remote_kw(reg)).items == ["v1", "v2"]  # the tag is ignored


def test_push_and_pull_by_digest(plain_registry: RunningRegistry, tmp_path: Path) -> None:
    reg = plain_registry
    store, _, digest = _packed(tmp_path, "bydigest:v1")
    pushed = push("bydigest:v1", f"{reg.host}/digests/kit@{digest}", store=store, **remote_kw(reg))
    assert pushed.digest == digest
    manifest_bytes = store.get_manifest_bytes(store.resolve("bydigest:v1"))
    assert skopeo_raw(reg, f"{reg.host}/digests/kit@{digest}") == manifest_bytes
    with pytest.raises(InvalidInput, match="not sha256:"):
        push("bydigest:v1", f"{reg.host}/digests/kit@sha256:{'0' * 64}", store=store, **remote_kw(reg))
    fresh = LocalStore(tmp_path / "fresh")
    assert pull(f"{reg.host}/digests/kit@{digest}", store=fresh, **remote_kw(reg)).digest == digest
    assert fresh.resolve(f"{reg.host}/digests/kit@{digest}").digest == digest
    assert fresh.tags_for(f"{reg.host}/digests/kit", digest) == []
