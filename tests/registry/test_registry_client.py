"""RegistryClient against the real docker-registry, with no auth, htpasswd and token auth."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest

from kitlab.modelkit.registry import RegistryNotFound, needs_monolithic_upload
from kitlab.progress import ProgressEvent
from tests.registry._helpers import MiB, file_sha256, make_client

KIT_CONFIG_TYPE = "application/vnd.kitops.modelkit.config.v1+json"
KIT_MODEL_TYPE = "application/vnd.kitops.modelkit.model.v1.tar"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _uploads(proxy):
    return [m for m, path in proxy.requests if m in ("PUT", "PATCH") and "/blobs/uploads/" in path]


def test_small_blob_is_one_monolithic_put_and_round_trips(registry, proxy_for, blob_factory, tmp_path):
    blob = blob_factory(3 * MiB)
    proxy = proxy_for(registry)
    events: list[ProgressEvent] = []
    with make_client(registry, "small/repo", host=proxy.host) as client:
        assert client.upload_blob(blob.digest, blob.size, blob.open_at, progress=events.append) is True
        assert _uploads(proxy) == ["PUT"]
        assert client.blob_exists(blob.digest)
        dest = client.fetch_blob(blob.digest, tmp_path / "back.bin", size=blob.size)
    assert file_sha256(dest) == blob.digest
    assert not (tmp_path / "back.bin.part").exists()
    assert events[-1].done == events[-1].total == blob.size
    assert {e.stage for e in events} == {"upload"}


def test_large_blob_goes_through_chunked_patches(token_registry, proxy_for, blob_factory, tmp_path):
    # One auth kind is enough for 120 MiB; the chunked path under every auth kind is in the fault tests.
    registry = token_registry
    blob = blob_factory(120 * MiB)
    proxy = proxy_for(registry)
    with make_client(registry, "large/repo", host=proxy.host) as client:
        assert client.upload_blob(blob.digest, blob.size, blob.open_at) is True
        # kit's rule: ≥ 100 MiB → PATCH in 100 MiB chunks, then a closing PUT without body.
        assert _uploads(proxy) == ["PATCH", "PATCH", "PUT"]
        assert blob.opened_at == [0]
        assert max(blob.reads) <= 8 * MiB  # streamed in pieces, never read whole
        assert client.blob_exists(blob.digest)
        dest = client.fetch_blob(blob.digest, tmp_path / "large.bin", size=blob.size)
    assert file_sha256(dest) == blob.digest


def test_existing_blob_is_skipped_without_sending_bytes(registry, proxy_for, blob_factory):
    blob = blob_factory(1 * MiB)
    proxy = proxy_for(registry)
    with make_client(registry, "skip/repo", host=proxy.host) as client:
        assert client.upload_blob(blob.digest, blob.size, blob.open_at) is True
        before = proxy.bytes_up
        events = []
        assert client.upload_blob(blob.digest, blob.size, blob.open_at, progress=events.append) is False
    assert proxy.bytes_up - before < 4096  # a HEAD or two, no body
    assert events[-1].done == blob.size


def test_cross_repo_mount_sends_no_bytes(registry, proxy_for, stored_blob):
    blob = stored_blob("mount/source", 2 * MiB)
    proxy = proxy_for(registry)
    with make_client(registry, "mount/target", host=proxy.host) as target:
        assert not target.blob_exists(blob.digest)
        assert target.mount_blob(blob.digest, "mount/source") is True
        assert target.blob_exists(blob.digest)
        unknown = "sha256:" + "0" * 64
        assert target.mount_blob(unknown, "mount/source") is False
    assert proxy.bytes_up < 16 * 1024
    assert _uploads(proxy) == []  # no PUT/PATCH: the declined mount's session is just DELETEd


def _push_kit(client, blob_factory, tag):
    layer = blob_factory(256 * 1024)
    config = json.dumps({"manifestVersion": "1.0.0", "package": {"name": "demo"}}).encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    client.upload_blob(layer.digest, layer.size, layer.open_at)
    client.upload_blob(config_digest, len(config), lambda off: __import__("io").BytesIO(config[off:]))
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": KIT_CONFIG_TYPE, "digest": config_digest, "size": len(config)},
            "layers": [
                {
                    "mediaType": KIT_MODEL_TYPE,
                    "digest": layer.digest,
                    "size": layer.size,
                    "annotations": {"org.opencontainers.image.title": "model.bin"},
                }
            ],
            "annotations": {"ml.kitops.modelkit.kitfile": "manifestVersion: 1.0.0"},
        },
        separators=(",", ":"),
    ).encode()
    digest = client.put_manifest(tag, manifest, OCI_MANIFEST)
    return manifest, digest


def test_manifest_round_trip_and_skopeo_reads_it(registry, blob_factory):
    with make_client(registry, "kits/demo") as client:
        manifest, digest = _push_kit(client, blob_factory, "v1")
        assert digest == "sha256:" + hashlib.sha256(manifest).hexdigest()
        body, media_type, got_digest = client.get_manifest("v1")
        assert (body, media_type, got_digest) == (manifest, OCI_MANIFEST, digest)
        assert client.get_manifest(digest)[0] == manifest
    skopeo = shutil.which("skopeo")
    assert skopeo, "skopeo is required (apt-get install skopeo)"
    cmd = [skopeo, "inspect", "--raw", "--tls-verify=false", f"docker://{registry.host}/kits/demo:v1"]
    if registry.creds:
        cmd[2:2] = ["--creds", registry.creds]
    out = subprocess.run(cmd, capture_output=True, check=True, timeout=30).stdout
    assert out.strip() == manifest
    assert json.loads(out)["config"]["mediaType"] == KIT_CONFIG_TYPE


def test_tags_paginate_and_delete_removes_manifest(registry, blob_factory):
    with make_client(registry, "kits/tags") as client:
        _, digest = _push_kit(client, blob_factory, "a")
        for tag in ("b", "c"):
            client.put_manifest(tag, client.get_manifest("a")[0], OCI_MANIFEST)
        assert sorted(client.list_tags()) == ["a", "b", "c"]
        assert sorted(client.list_tags(page_size=1)) == ["a", "b", "c"]
        client.delete_manifest(digest)
        with pytest.raises(RegistryNotFound, match="no such repository or tag"):
            client.get_manifest("a")


def test_missing_repository_is_not_found(registry):
    with make_client(registry, "no/such/repo") as client, pytest.raises(RegistryNotFound) as info:
        client.get_manifest("latest")
    assert registry.host in str(info.value)
    assert info.value.code == "not_found"


def test_monolithic_hosts_follow_kits_list():
    for host in (
        "ghcr.io",
        "europe-docker.pkg.dev",
        "gcr.io",
        "eu.gcr.io",
        "1.dkr.ecr.us-east-1.amazonaws.com",
    ):
        assert needs_monolithic_upload(host), host
    for host in ("docker.io", "127.0.0.1:5000", "quay.io", "jozu.ml"):
        assert not needs_monolithic_upload(host), host
