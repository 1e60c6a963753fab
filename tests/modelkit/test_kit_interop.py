"""kitlab's store and packs against the kit oracle (the real kit when installed, else tools/kitref).

Same tree + same CLI version ⇒ same manifest digest and byte-identical store files; each tool lists,
unpacks and removes (with GC) what the other wrote.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kitlab.modelkit.pack import pack
from kitlab.modelkit.store import LocalStore
from kitlab.modelkit.unpack import unpack
from tests.support.kit import KitCLI
from tests.support.workspace import tree, write_context

KITFILE = """\
manifestVersion: 1.0.0
package:
  name: demo
  authors: [ann, bob]
model:
  name: m
  path: models/sub/w.bin
  parameters:
    lr: 1.0e-3
    layers: [64, 32]
code:
  - path: .
    description: "<code> & stuff"
datasets:
  - name: t
    path: data
docs:
  - path: README.md
"""

FILES = {
    "models/sub/w.bin": b"\x01" * 3000,
    "models/other.bin": b"sibling",
    "src/a.py": b"print(1)\n",
    "data/t.csv": b"a,b\n",
    "README.md": b"# hi\n",
    "deep/" + "n" * 60 + "/" + "m" * 70 + ".txt": b"long name",
}


def make_context(root: Path) -> Path:
    return write_context(root / "ctx", FILES, KITFILE)


def store_files(home: Path) -> dict[str, bytes]:
    storage = home / "storage"
    return {
        name: (storage / name).read_bytes()
        for name in sorted(os.listdir(storage))
        if name.endswith(".json") or name == "oci-layout"
    }


def kit_in(kit: KitCLI, home: Path, *args: str, cwd: Path | None = None) -> str:
    return kit.run(*args, cwd=cwd, env={"KITOPS_HOME": str(home)}).stdout


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_same_tree_same_digest_and_store_files(tmp_path: Path, kit: KitCLI, compression: str) -> None:
    ctx = make_context(tmp_path)
    kit_home, lab_home = tmp_path / "kit", tmp_path / "lab"
    out = kit_in(kit, kit_home, "pack", str(ctx), "-t", "demo:v1,extra", "--compression", compression)
    kit_digest = out.strip().splitlines()[-1].split()[-1]
    res = pack(
        ctx, tags=["demo:v1,extra"], store=LocalStore(lab_home), cli_version="1.7.0", compression=compression
    )
    if compression == "none":
        assert res.manifest_digest == kit_digest
        assert store_files(lab_home) == store_files(kit_home)
    else:
        # zlib's deflate stream differs from Go's: same uncompressed tars (diffIds), different blobs
        kit_store = LocalStore(kit_home)
        kit_manifest = kit_store.get_manifest(kit_store.resolve("demo:v1"))
        kit_config = kit_store.get_config(kit_manifest)
        assert kit_config.model is not None
        assert kit_config.model.layer is not None
        assert kit_config.model.layer.diff_id == res.layers[0].diff_id
        assert [d.media_type for d in kit_manifest.layers] == [layer.media_type for layer in res.layers]
        # kitlab reads Go's gzip streams
        unpack("demo:v1", tmp_path / "from-kit", store=kit_store)
        unpack("demo:v1", tmp_path / "from-lab", store=LocalStore(lab_home))
        assert tree(tmp_path / "from-kit") == tree(tmp_path / "from-lab")


def test_kit_reads_lists_unpacks_and_removes_kitlab_kits(tmp_path: Path, kit: KitCLI) -> None:
    ctx = make_context(tmp_path)
    home = tmp_path / "home"
    store = LocalStore(home)
    plain = pack(ctx, tags=["demo:v1"], store=store)
    zipped = pack(ctx, tags=["demo:gz"], store=store, compression="gzip")
    listing = json.loads(kit_in(kit, home, "list", "--format", "json"))
    assert {(x["repo"], tuple(x["tags"]), x["digest"]) for x in listing} == {
        ("demo", ("v1",), plain.manifest_digest),
        ("demo", ("gz",), zipped.manifest_digest),
    }
    for tag in ("v1", "gz"):
        out_kit, out_lab = tmp_path / f"kit-{tag}", tmp_path / f"lab-{tag}"
        kit_in(kit, home, "unpack", f"demo:{tag}", "-d", str(out_kit))
        unpack(f"demo:{tag}", out_lab, store=store)
        assert tree(out_kit) == tree(out_lab)
        assert "models/sub/w.bin" in tree(out_kit)
    kit_in(kit, home, "remove", "demo:v1")
    kit_in(kit, home, "remove", "demo:gz")
    assert store.list_kits() == []
    # kit's GC (driven by our root index.json) removed every blob
    assert os.listdir(store.blobs_dir) == []


def test_kitlab_reads_and_removes_kit_kits_in_a_shared_store(tmp_path: Path, kit: KitCLI) -> None:
    ctx = make_context(tmp_path)
    home = tmp_path / "home"
    kit_in(kit, home, "pack", str(ctx), "-t", "bykit:v1")
    store = LocalStore(home)
    ours = pack(ctx, tags=["bylab:v1"], store=store, compression="zstd")
    kits = {k.repo: k for k in store.list_kits()}
    assert set(kits) == {"bykit", "bylab"}
    assert kits["bykit"].author == "ann"
    listing = json.loads(kit_in(kit, home, "list", "--format", "json"))
    assert {x["repo"] for x in listing} == {"bykit", "bylab"}
    out_kit, out_lab = tmp_path / "kit", tmp_path / "lab"
    kit_in(kit, home, "unpack", "bykit:v1", "-d", str(out_kit))
    unpack("bykit:v1", out_lab, store=store)
    assert tree(out_kit) == tree(out_lab)
    kit_info = kit_in(kit, home, "info", "bykit:v1")
    assert (out_lab / "Kitfile").read_text() == kit_info
    store.remove("bykit:v1")
    assert [x["repo"] for x in json.loads(kit_in(kit, home, "list", "--format", "json"))] == ["bylab"]
    assert store.resolve("bylab:v1").digest == ours.manifest_digest
