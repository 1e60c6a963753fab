"""Pack the same trees with kitlab and with the kit CLI (real kit when installed, else tools/kitref):
the config bytes and every layer digest must be equal, and kit must unpack kitlab's kit file for file.

The trees follow kit's own pack-unpack cases (docs/kit-format.md, ".kitignore and layer exclusion") plus the
byte-level edge cases: long and non-ASCII names, file modes, empty directories, nested layers, parts inside
and outside the model directory, and a Kitfile with parameters.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kitlab.modelkit.pack import pack
from kitlab.modelkit.store import LocalStore

Tree = dict[str, bytes | None]  # path -> file content, or None for an empty directory; modes in MODES
MODES = {"scripts/run.sh": 0o755, "secrets-free/private.txt": 0o600}

CASES: dict[str, tuple[Tree, str]] = {
    "basic-model": (
        {"model/weights.bin": b"w" * 5000, "data/train.csv": b"a,b\n1,2\n", "src/train.py": b"print(1)\n"},
        "model:\n  path: model\ndatasets:\n  - name: train\n    path: data\ncode:\n  - path: src\n",
    ),
    "path-formats": (
        {
            "test1/a.txt": b"1",
            "test2/b.txt": b"2",
            "test3/sub/c.txt": b"3",
            "test7/test7/d.txt": b"7",
            "sibling/e.txt": b"never packed",
        },
        "code:\n  - path: ./test1\n  - path: test2/\n  - path: test3/sub/c.txt\n  - path: test7/test7\n",
    ),
    "context-dir-model": (
        {"weights.bin": b"x" * 100, "nested/deeper/notes.md": b"# notes\n"},
        "model:\n  path: .\n",
    ),
    "intersecting-paths": (
        {"main-dir/model.bin": b"m", "main-dir/subdir/data.csv": b"d", "top.py": b"t"},
        "model:\n  path: main-dir\ndatasets:\n  - name: sub\n    path: main-dir/subdir\ncode:\n  - path: .\n",
    ),
    "parts-inside-and-outside": (
        {"model/base.safetensors": b"s" * 300, "model/tokenizer.json": b"{}", "adapter/lora.bin": b"l" * 40},
        "model:\n  path: ./model\n  parts:\n    - path: model/tokenizer.json\n    - path: adapter/lora.bin\n",
    ),
    "ignores": (
        {
            ".kitignore": b"dir1\n**/*.md\nignored-?.txt\n!keep/readme.md\n",
            "dir1/x.txt": b"x",
            "keep/readme.md": b"kept",
            "keep/other.md": b"dropped",
            "ignored-1.txt": b"i",
            "real.txt": b"r",
        },
        "code:\n  - path: .\n",
    ),
    "names-modes-empty-dirs": (
        {
            "deep/" + "d" * 60 + "/" + "e" * 60 + "/weights.bin": b"long",
            "données/modèle-ü.bin": b"non-ascii",
            "scripts/run.sh": b"#!/bin/sh\n",
            "secrets-free/private.txt": b"p",
            "empty/inner": None,
        },
        "code:\n  - path: .\n",
    ),
    "parameters": (
        {"m.gguf": b"GGUF"},
        "manifestVersion: 1.0.0\npackage:\n  name: p\n  version: 1.10\n  authors: [a <b@c.d>, e & f]\n"
        "model:\n  path: m.gguf\n  parameters:\n    z: 1.2e+3\n    a: [0xFF, .5, yes, ~]\n"
        "    nested: {k: 'v', n: -0}\n",
    ),
}


def build(root: Path, tree: Tree, kitfile: str) -> Path:
    for name, content in tree.items():
        path = root / name
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        os.chmod(path, MODES.get(name, 0o644))
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        os.chmod(folder, 0o755)
    (root / "Kitfile").write_text(kitfile)
    return root


def layer_digests(manifest: dict) -> list[tuple[str, str]]:
    return [(layer["mediaType"], layer["digest"]) for layer in manifest["layers"] or []]


def files_of(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode & 0o777)
        for p in root.rglob("*")
        if p.is_file() and p.name != "Kitfile"
    }


@pytest.fixture
def home_env(tmp_path: Path) -> Callable[[str], dict[str, str]]:
    def env(name: str) -> dict[str, str]:
        return {"KITOPS_HOME": str(tmp_path / name)}

    return env


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_tree_gives_the_same_config_and_layers(case, kit, tmp_path, home_env):
    tree, kitfile = CASES[case]
    context = build(tmp_path / "ctx", tree, kitfile)

    kit.run("pack", str(context), "-t", f"{case}:v1", env=home_env("kit-home"))
    theirs = json.loads(kit.run("inspect", f"{case}:v1", env=home_env("kit-home")).stdout)

    store = LocalStore(tmp_path / "kitlab-home")
    pack(context, tags=[f"{case}:v1"], store=store)
    desc = store.resolve(f"{case}:v1")
    ours_manifest = json.loads(store.get_manifest_bytes(desc))
    ours_config = store.get_config_bytes(store.get_manifest(desc))

    assert layer_digests(ours_manifest) == layer_digests(theirs["manifest"])
    assert ours_manifest["config"]["digest"] == theirs["manifest"]["config"]["digest"]
    config_path = tmp_path / "kit-home" / "storage" / "blobs" / "sha256"
    assert ours_config == (config_path / theirs["manifest"]["config"]["digest"].split(":")[1]).read_bytes()


@pytest.mark.parametrize("case", sorted(CASES))
def test_kit_unpacks_what_kitlab_packed(case, kit, tmp_path):
    tree, kitfile = CASES[case]
    context = build(tmp_path / "ctx", tree, kitfile)
    pack(context, tags=[f"{case}:v1"], store=LocalStore())  # the shared store: $KITOPS_HOME
    out = tmp_path / "out"
    kit.run("unpack", f"{case}:v1", "-d", str(out))
    unpacked = files_of(out)
    assert unpacked, "kit unpacked nothing"
    for name, (data, mode) in unpacked.items():
        assert (context / name).read_bytes() == data, name
        assert (context / name).stat().st_mode & 0o777 == mode, name
