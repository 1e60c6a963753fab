"""The walk (order, ancestors, .kitignore, layer cross-exclusion) against kit's own logic replayed in Go.

gen_ignore.go's ``walk`` mode runs kit's writeLayerToTar loop with the real moby/patternmatcher, in two
flavours: ``segment`` (newer kit's isWithin) and ``prefix`` (kit v1.7.0's string prefix). kitlab must
equal ``segment`` wherever kit does not lose data, and must equal ``prefix`` once the entries it warns
about ("kit would drop …") are taken out — so every warning is necessary and none is missing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kitlab.kitfile.model import CodeEntry, DatasetEntry, DocsEntry, Kitfile, Model, ModelPart
from kitlab.modelkit.layers import PackPlan, plan_layers


def _files(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())


def _layer_paths(kf: Kitfile) -> list[str]:
    """Layer paths in kit's pack order (model, parts, code, datasets, docs)."""
    paths = []
    if kf.model is not None:
        paths.append(kf.model.path)
        paths.extend(part.path for part in kf.model.parts)
    paths.extend(entry.path for entry in (*kf.code, *kf.datasets, *kf.docs))
    return paths


def _kit_drops(plan: PackPlan, layer_index: int, prefix_mode: bool) -> list[str]:
    field = plan.layers[layer_index].field_path
    markers = ["kit v1.7.0 would drop"] if prefix_mode else []
    return [w.path for w in plan.warnings if w.field == field and any(m in w.message for m in markers)]


def _as_kit(plan: PackPlan, prefix_mode: bool) -> list[list[str]]:
    layers = []
    for index, layer in enumerate(plan.layers):
        dropped = _kit_drops(plan, index, prefix_mode)
        layers.append(
            [
                e.name
                for e in layer.entries
                if not any(e.name == d or e.name.startswith(d + "/") for d in dropped)
            ]
        )
    return layers


def _compare(gen_ignore, context: Path, kf: Kitfile) -> PackPlan:
    plan = plan_layers(kf, context)
    assert plan.errors == []
    paths = _layer_paths(kf)
    for mode in ("segment", "prefix"):
        go_names = json.loads(gen_ignore("walk", str(context), mode, *paths))
        # Names containing '..' are left out (kit cannot unpack them, though its walk keeps a few).
        readable = [[n for n in layer if ".." not in n] for layer in go_names]
        assert _as_kit(plan, prefix_mode=mode == "prefix") == readable, mode
    return plan


def test_kitignore_basic_and_nested_layers(gen_ignore, tmp_path: Path) -> None:
    _files(
        tmp_path,
        "Kitfile",
        "README.md",
        "main-dir/model.bin",
        "main-dir/notes.md",
        "main-dir/subdir/data.csv",
        "main-dir/subdir/ignored",
        "main-dir/subdir/deep/ignored-1.txt",
        "dir1/a.txt",
        "dir4/x/y/skip",
        "dir4/x/keep",
        "parts/p1.bin",
        "parts/p2.bin",
        "train.py",
        "ignored-2.txt",
        "ignored-10.txt",
        "nb/.ipynb_checkpoints/a-checkpoint.ipynb",
        "nb/a.ipynb",
    )
    (tmp_path / "empty").mkdir()
    (tmp_path / ".kitignore").write_text(
        "dir1\n**/*.md\n**/ignored\nignored-?.txt\ndir4/*/y\n**/.ipynb_checkpoints\n"
    )
    kf = Kitfile(
        model=Model(path="main-dir", parts=[ModelPart(path="parts/p1.bin")]),
        datasets=[DatasetEntry(path="main-dir/subdir")],
        code=[CodeEntry(path=".")],
        docs=[DocsEntry(path="README.md")],
    )
    plan = _compare(gen_ignore, tmp_path, kf)
    docs_warnings = [w.message for w in plan.warnings if w.field == "docs[0].path"]
    assert any("ignored by .kitignore" in m for m in docs_warnings)  # README.md matches **/*.md
    assert any("packs no files" in m for m in docs_warnings)


def test_exclusions_walk_into_ignored_directories(gen_ignore, tmp_path: Path) -> None:
    _files(
        tmp_path,
        "docs/keep.md",
        "docs/drop.md",
        "docs/sub/keep.md",
        "cache/a.tmp",
        "cache/important.tmp",
        "src/a.py",
        "src/b.tmp",
        "models/w.bin",
        "models/sub/x.bin",
    )
    (tmp_path / ".kitignore").write_text(
        "docs\n!docs/keep.md\n!**/keep.md\n*.tmp\n**/*.tmp\n!cache/important.tmp\n"
    )
    kf = Kitfile(
        model=Model(path="models/sub"), code=[CodeEntry(path=".")], datasets=[DatasetEntry(path="cache")]
    )
    plan = _compare(gen_ignore, tmp_path, kf)
    assert "docs" not in [e.name for e in plan.layers[1].entries]
    assert "docs/keep.md" in [e.name for e in plan.layers[1].entries]


def test_string_prefix_trap_is_warned_exactly(gen_ignore, tmp_path: Path) -> None:
    _files(
        tmp_path,
        "data/train.csv",
        "database.csv",
        "data-v2/x.csv",
        "model.bin",
        "model.bin.bak",
        "models-old/a",
        "src/x.py",
        "src2/y.py",
    )
    kf = Kitfile(
        model=Model(path="model.bin"),
        datasets=[DatasetEntry(path="data")],
        code=[CodeEntry(path="."), CodeEntry(path="src")],
    )
    plan = _compare(gen_ignore, tmp_path, kf)
    warned = sorted(w.path for w in plan.warnings)
    assert warned == ["data-v2", "database.csv", "model.bin.bak", "src2"]


@pytest.mark.parametrize("with_exclusions", [False, True])
def test_dotdot_links_and_fifos(gen_ignore, tmp_path: Path, with_exclusions: bool) -> None:
    _files(tmp_path, "m/model..bin", "m/a..b/c", "m/ok", "x..y/z", "top.txt")
    os.symlink("ok", tmp_path / "m/link")
    os.mkfifo(tmp_path / "m/pipe")
    if with_exclusions:
        (tmp_path / ".kitignore").write_text("m/ok\n!m/ok\n")
    kf = Kitfile(model=Model(path="m"), code=[CodeEntry(path=".")], docs=[DocsEntry(path="x..y/z")])
    plan = _compare(gen_ignore, tmp_path, kf)
    assert "m/model..bin" not in [e.name for e in plan.layers[0].entries]
    left_out = [w.path for w in plan.warnings if "kit cannot unpack names containing '..'" in w.message]
    assert left_out == ["m/a..b", "m/model..bin", "x..y", "x..y"]  # in the code layer and docs[0]
