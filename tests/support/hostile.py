"""Hand-made hostile kits and workspace files for the hardening tests (docs/hardening.md): layer tars,
configs and manifests written straight into a real local store, with no kitlab code deciding what is
valid."""

from __future__ import annotations

import io
import json
import tarfile

from kitlab.modelkit.manifest import Descriptor, build_manifest
from kitlab.modelkit.store import LocalStore, encode_repo
from tests.support.wire import sha256_of

SECRET = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
KEY = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET}\n-----END OPENSSH PRIVATE KEY-----\n"
CONFIG_TYPE = "application/vnd.kitops.modelkit.config.v1+json"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
MODEL_TAR = "application/vnd.kitops.modelkit.model.v1.tar"
CODE_TAR = "application/vnd.kitops.modelkit.code.v1.tar"
DOCS_TAR = "application/vnd.kitops.modelkit.docs.v1.tar"


def make_tar(entries: list[tuple[str, bytes | None]]) -> bytes:
    """A tar of files (bytes) and directories (None), names taken as given (``..`` and all)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tf.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def entry(path: str, layer: bytes) -> dict:
    """A Kitfile entry recording its layer's digest, as kit ≥ 1.0 writes it into the config."""
    return {"path": path, "digest": sha256_of(layer), "diffId": sha256_of(layer)}


def put_kit(
    store: LocalStore,
    tag: str,
    entries: dict[str, object],
    layers: list[tuple[str, bytes]],
    *,
    sizes: list[int] | None = None,
    repo: str = "localhost/hostile",
) -> None:
    """A classic kit at ``repo:tag``; ``sizes`` overrides the declared layer sizes."""
    descs = []
    for i, (media_type, data) in enumerate(layers):
        stored = store.put_blob_bytes(data)
        descs.append(Descriptor(media_type, stored.digest, sizes[i] if sizes else stored.size))
    config = {"manifestVersion": "1.0.0", "package": {"name": "hostile"}, **entries}
    config_desc = store.put_blob_bytes(json.dumps(config).encode(), media_type=CONFIG_TYPE)
    store.add_manifest(repo, build_manifest(config_desc, descs, "x"), [tag])


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def list_by_hand(store: LocalStore, repo: str, tag: str, manifest: bytes) -> str:
    """List a manifest the way a hostile writer would: no parsing, straight into the index files."""
    store.ensure_layout()
    digest = store.put_blob_bytes(manifest).digest
    desc = {"mediaType": MANIFEST_TYPE, "digest": digest, "size": len(manifest)}
    (store.storage / f"{encode_repo(repo)}-index.json").write_text(
        json.dumps({"schemaVersion": 2, "manifests": [desc]})
    )
    (store.storage / f"{encode_repo(repo)}-tags.json").write_text(json.dumps({tag: desc}))
    return digest


def put_deep_config_kit(store: LocalStore, repo: str, depth: int = 5000) -> None:
    """A kit whose config nests ``depth`` levels in ``model.parameters``."""
    parameters = nested(depth)
    config = (
        f'{{"manifestVersion":"1.0.0","package":{{"name":"deep"}},"model":{{"parameters":{parameters}}}}}'
    )
    config_desc = store.put_blob_bytes(config.encode(), media_type=CONFIG_TYPE)
    store.add_manifest(repo, build_manifest(config_desc, [], "x"), ["v1"])
