"""pull: CNCF ModelPack artifacts, foreign artifacts, and parent chains named by ``model.path``."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from kitlab.cli import main
from kitlab.errors import InvalidInput
from kitlab.modelkit.manifest import NotAModelKit
from kitlab.modelkit.pack import pack
from kitlab.modelkit.pull import pull
from kitlab.modelkit.push import push
from kitlab.modelkit.registry import RegistryClient
from kitlab.modelkit.store import LocalStore
from kitlab.modelkit.unpack import unpack
from tests.registry._helpers import make_client
from tests.support.registry import RunningRegistry
from tests.support.wire import sha256_of
from tests.support.workspace import tree
from tests.transfer._helpers import remote_kw, temp_files

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MODELPACK_CONFIG = "application/vnd.cncf.model.config.v1+json"
MODELPACK_ARTIFACT = "application/vnd.cncf.model.manifest.v1+json"
KIT_CONFIG = "application/vnd.kitops.modelkit.config.v1+json"


def _put_blob(client: RegistryClient, data: bytes) -> dict:
    client.upload_blob(sha256_of(data), len(data), lambda offset: io.BytesIO(data[offset:]))
    return {"digest": sha256_of(data), "size": len(data)}


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = sorted({str(Path(n).parent) for n in files} - {"."})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _push_modelpack(client: RegistryClient, tag: str, *, with_kitfile: bool) -> tuple[str, dict[str, bytes]]:
    files = {"models/w.bin": b"\x07" * 5000, "models/config.json": b'{"layers": 2}'}
    weight = _tar({"models/w.bin": files["models/w.bin"]})
    weight_config = _tar({"models/config.json": files["models/config.json"]})
    layers = [
        {"mediaType": "application/vnd.cncf.model.weight.v1.tar", **_put_blob(client, weight)},
        {"mediaType": "application/vnd.cncf.model.weight.config.v1.tar", **_put_blob(client, weight_config)},
    ]
    layers[0]["annotations"] = {"org.cncf.model.filepath": "models/w.bin"}
    layers[1]["annotations"] = {"org.cncf.model.filepath": "models/config.json"}
    config = json.dumps({"descriptor": {"name": "mp"}, "modelfs": {"type": "layers", "diffIds": []}}).encode()
    manifest: dict = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": MODELPACK_ARTIFACT,
        "config": {"mediaType": MODELPACK_CONFIG, **_put_blob(client, config)},
        "layers": layers,
    }
    if with_kitfile:
        kitfile = {
            "manifestVersion": "1.0.0",
            "package": {"name": "mp"},
            "model": {
                "path": "models/w.bin",
                "digest": layers[0]["digest"],
                "parts": [{"path": "models/config.json", "digest": layers[1]["digest"]}],
            },
        }
        manifest["annotations"] = {"ml.kitops.modelkit.kitfile": json.dumps(kitfile)}
    data = json.dumps(manifest).encode()
    return client.put_manifest(tag, data, OCI_MANIFEST), files


@pytest.mark.parametrize("with_kitfile", [True, False])
def test_modelpack_artifact_pulls_and_unpacks(
    plain_registry: RunningRegistry, tmp_path: Path, with_kitfile: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = plain_registry
    with make_client(reg, "modelpack/demo") as client:
        digest, files = _push_modelpack(client, f"kf-{with_kitfile}", with_kitfile=with_kitfile)
    ref = f"{reg.host}/modelpack/demo:kf-{with_kitfile}"
    store = LocalStore(tmp_path / "home")
    # Said before anything is downloaded: kit < 1.10 cannot list a store holding a ModelPack.
    blobs_when_warned: list[int] = []
    warnings: list[str] = []

    def warn(message: str) -> None:
        warnings.append(message)
        blobs_when_warned.append(len(list(store.blobs_dir.iterdir())))

    result = pull(ref, store=store, warn=warn, **remote_kw(reg))
    assert result.digest == digest
    assert len(warnings) == 1
    assert "CNCF ModelPack" in warnings[0]
    assert "kit >= 1.10" in warnings[0]
    assert blobs_when_warned == [0]
    assert result.warnings == warnings
    assert pull(ref, store=store, warn=warnings.append, **remote_kw(reg)).warnings == []  # already stored
    assert [k.format for k in store.list_kits()] == ["modelpack"]
    code = main(["pull", ref, "--plain-http"])  # the CLI says it on stderr, into its own store
    assert code == 0
    assert "kit >= 1.10" in capsys.readouterr().err
    unpack(ref, tmp_path / "out", store=store)
    out = tree(tmp_path / "out")
    assert {k: out[k] for k in files} == files


def test_foreign_artifacts_are_refused_and_nothing_is_stored(
    plain_registry: RunningRegistry, tmp_path
) -> None:
    reg = plain_registry
    with make_client(reg, "foreign/image") as client:
        config = _put_blob(client, b"{}")
        image = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
            "layers": [],
        }
        image_digest = client.put_manifest("img", json.dumps(image).encode(), OCI_MANIFEST)
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {"mediaType": OCI_MANIFEST, "digest": image_digest, "size": len(json.dumps(image))}
            ],
        }
        client.put_manifest("idx", json.dumps(index).encode(), "application/vnd.oci.image.index.v1+json")
    store = LocalStore(tmp_path / "home")
    for tag in ("img", "idx"):
        with pytest.raises(NotAModelKit, match="is not a ModelKit"):
            pull(f"{reg.host}/foreign/image:{tag}", store=store, **remote_kw(reg))
    assert store.repositories() == []
    assert list(store.blobs_dir.iterdir()) == []


CHAIN_KITFILES = {
    "base": "manifestVersion: 1.0.0\npackage: {name: base}\nmodel:\n  path: models/w.bin\n",
    "mid": (
        "manifestVersion: 1.0.0\npackage: {name: mid}\nmodel:\n  path: {parent}\n  parts:\n"
        "    - path: parts/p.bin\ndocs:\n  - path: mid.md\n"
    ),
    "top": (
        "manifestVersion: 1.0.0\npackage: {name: top}\nmodel:\n  path: {parent}\ndatasets:\n  - path: data\n"
    ),
}
CHAIN_FILES = {
    "base": {"models/w.bin": b"base weights"},
    "mid": {"parts/p.bin": b"mid part", "mid.md": b"# mid"},
    "top": {"data/t.csv": b"a,b\n"},
}


def _pack_chain(reg: RunningRegistry, root: Path, levels: list[str]) -> tuple[LocalStore, list[str]]:
    """Pack each level (the previous one as its parent) into one store and push them all."""
    store = LocalStore(root / "home")
    refs: list[str] = []
    for level in levels:
        ctx = root / level
        for name, data in CHAIN_FILES[level].items():
            (ctx / name).parent.mkdir(parents=True, exist_ok=True)
            (ctx / name).write_bytes(data)
        parent = refs[-1] if refs else ""
        (ctx / "Kitfile").write_text(CHAIN_KITFILES[level].replace("{parent}", parent))
        ref = f"{reg.host}/chain/{level}:v1"
        pack(ctx, tags=[ref], store=store)
        push(ref, store=store, **remote_kw(reg))
        refs.append(ref)
    return store, refs


def test_parent_chain_is_pulled_and_unpacked(plain_registry: RunningRegistry, tmp_path: Path) -> None:
    reg = plain_registry
    _, refs = _pack_chain(reg, tmp_path, ["base", "mid"])
    fresh = LocalStore(tmp_path / "fresh")
    result = pull(refs[-1], store=fresh, **remote_kw(reg))
    assert result.parents == [refs[0]]
    assert {k.repo for k in fresh.list_kits()} == {f"{reg.host}/chain/base", f"{reg.host}/chain/mid"}
    unpack(refs[-1], tmp_path / "out", store=fresh)
    out = tree(tmp_path / "out")
    assert out["models/w.bin"] == b"base weights"
    assert out["parts/p.bin"] == b"mid part"


def test_three_level_chain(plain_registry: RunningRegistry, tmp_path: Path) -> None:
    reg = plain_registry
    _, refs = _pack_chain(reg, tmp_path, ["base", "mid", "top"])
    fresh = LocalStore(tmp_path / "fresh")
    assert pull(refs[-1], store=fresh, **remote_kw(reg)).parents == [refs[1], refs[0]]
    unpack(refs[-1], tmp_path / "out", store=fresh)
    out = tree(tmp_path / "out")
    # Parents contribute their model and parts only (kit's rule); the child everything.
    assert out["models/w.bin"] == b"base weights"
    assert out["parts/p.bin"] == b"mid part"
    assert out["data/t.csv"] == b"a,b\n"
    assert "mid.md" not in out


def _push_config_only_kit(client: RegistryClient, tag: str, parent: str) -> None:
    kitfile = {"manifestVersion": "1.0.0", "package": {"name": tag}, "model": {"path": parent}}
    config = _put_blob(client, json.dumps(kitfile).encode())
    manifest = {"schemaVersion": 2, "config": {"mediaType": KIT_CONFIG, **config}, "layers": []}
    client.put_manifest(tag, json.dumps(manifest).encode(), OCI_MANIFEST)


def test_cycle_is_refused_and_nothing_is_stored(plain_registry: RunningRegistry, tmp_path: Path) -> None:
    reg = plain_registry
    with make_client(reg, "cycle/kit") as client:
        _push_config_only_kit(client, "a", f"{reg.host}/cycle/kit:b")
        _push_config_only_kit(client, "b", f"{reg.host}/cycle/kit:a")
    store = LocalStore(tmp_path / "home")
    with pytest.raises(InvalidInput, match="found cycle in modelkit references"):
        pull(f"{reg.host}/cycle/kit:a", store=store, **remote_kw(reg))
    assert store.repositories() == []
    assert list(store.blobs_dir.iterdir()) == []
    assert temp_files(store.home) == []


def test_chain_longer_than_ten_is_refused(plain_registry: RunningRegistry, tmp_path: Path) -> None:
    reg = plain_registry
    with make_client(reg, "long/kit") as client:
        for i in range(12):
            _push_config_only_kit(client, f"k{i}", f"{reg.host}/long/kit:k{i + 1}" if i < 11 else "")
    store = LocalStore(tmp_path / "home")
    with pytest.raises(InvalidInput, match="reached maximum number of model references"):
        pull(f"{reg.host}/long/kit:k0", store=store, **remote_kw(reg))
    assert store.repositories() == []
    # Ten parents are fine.
    assert len(pull(f"{reg.host}/long/kit:k1", store=store, **remote_kw(reg)).parents) == 10
