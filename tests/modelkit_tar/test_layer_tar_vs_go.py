"""Whole layer tars: kitlab's plan + writer against Go archive/tar driven by kit's walk (gen_golden.go)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from kitlab.errors import Cancelled, InvalidInput
from kitlab.kitfile.model import CodeEntry, Kitfile, McpServer, Model
from kitlab.modelkit.layers import LayerPlan, TarEntry, plan_layers, write_layer_tar
from kitlab.modelkit.tarwriter import CHUNK_SIZE, FileChangedWhilePacking
from kitlab.progress import CancelToken


def _write(path: Path, content: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.chmod(path, mode)


def _realistic_tree(root: Path) -> None:
    """A model dir with sub dirs, long and non-ASCII names, several modes, an empty dir and empty file."""
    deep = "checkpoints/" + "epoch-" + "0" * 60 + "/" + "shard-" + "s" * 70
    _write(root / "models/weights.safetensors", os.urandom(70_000), 0o644)
    # Over two 8 MiB chunks and not a multiple of 512: read ahead on the helper thread, then padded.
    _write(root / "models/shards/big.bin", os.urandom(2 * CHUNK_SIZE + 12_345), 0o644)
    _write(root / "models/config.json", b'{"layers": 12}\n', 0o600)
    _write(root / "models/run.sh", b"#!/bin/sh\necho hi\n", 0o755)
    _write(root / "models/tokenizer/vocab.txt", b"a\nb\nc\n", 0o644)
    _write(root / "models/tokenizer/merges.txt", b"", 0o644)
    _write(root / "models" / deep / ("w" * 90 + ".bin"), b"x" * 1025, 0o644)
    _write(root / "models" / ("n" * 101), b"no slash in this long name", 0o644)
    _write(root / "models/données/été.csv", "é,à\n1,2\n".encode(), 0o644)
    _write(root / "models/bin/tool", b"\x7fELF", 0o4755)
    _write(root / "models" / os.fsdecode(b"latin1-caf\xe9.txt"), b"not UTF-8 in the name", 0o644)
    (root / "models/empty").mkdir()
    (root / "data").mkdir()
    _write(root / "data/train.csv", b"1,2,3\n" * 100, 0o644)
    _write(root / "README.md", b"# model\n", 0o644)
    for directory in [root / "models", root / "data", root / "models/tokenizer", root / "models/empty"]:
        os.chmod(directory, 0o755)
    os.chmod(root / "models/données", 0o750)
    os.chmod(root / "models/bin", 0o2775)


def _python_tar(layer: LayerPlan) -> bytes:
    sink = io.BytesIO()
    write_layer_tar(layer, sink)
    return sink.getvalue()


def _go_tar(gen_golden, context: Path, layer_path: str, out: Path) -> bytes:
    gen_golden("tree", str(context), layer_path, str(out))
    return out.read_bytes()


@pytest.mark.parametrize("layer_path", [".", "models", "./models/", "models/tokenizer/vocab.txt", "data"])
def test_layer_tar_is_byte_identical_to_go(gen_golden, tmp_path: Path, layer_path: str) -> None:
    context = tmp_path / "ctx"
    _realistic_tree(context)
    plan = plan_layers(Kitfile(code=[CodeEntry(path=layer_path)]), context)
    plan.raise_for_errors()
    (layer,) = plan.layers
    ours = _python_tar(layer)
    theirs = _go_tar(gen_golden, context, layer_path, tmp_path / "go.tar")
    assert hashlib.sha256(ours).hexdigest() == hashlib.sha256(theirs).hexdigest()
    assert len(ours) > 1024


def test_tree_exercises_pax_prefix_and_modes(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    _realistic_tree(context)
    (layer,) = plan_layers(Kitfile(model=Model(path="models")), context).layers
    names = [e.name for e in layer.entries]
    assert any(len(n.encode()) > 100 and "/" in n for n in names)
    assert any(not n.isascii() for n in names)
    assert {e.mode for e in layer.entries} >= {0o644, 0o600, 0o755, 0o4755, 0o2775, 0o750}
    assert "models/empty" in names
    tar = _python_tar(layer)
    assert b"PaxHeaders.0" in tar


def test_dotdot_names_are_left_out_as_kit_does(gen_golden, tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    _realistic_tree(context)
    _write(context / "models/model..bin", b"kit drops me", 0o644)
    theirs = _go_tar(gen_golden, context, "models", tmp_path / "go.tar")
    (layer,) = plan_layers(Kitfile(model=Model(path="models")), context).layers
    assert "models/model..bin" not in [e.name for e in layer.entries]
    assert _python_tar(layer) == theirs
    (kitlab_only,) = plan_layers(
        Kitfile(model=Model(path="models")), context, allow_kitlab_only_names=True
    ).layers
    assert "models/model..bin" in [e.name for e in kitlab_only.entries]
    assert _python_tar(kitlab_only) != theirs


def test_file_changed_after_planning_fails_the_write(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    _write(context / "m/w.bin", b"1234", 0o644)
    (layer,) = plan_layers(Kitfile(model=Model(path="m")), context).layers
    (context / "m/w.bin").write_bytes(b"123456")
    with pytest.raises(FileChangedWhilePacking):
        _python_tar(layer)
    (context / "m/w.bin").unlink()
    with pytest.raises(FileChangedWhilePacking):
        _python_tar(layer)


def test_entries_carry_stat_details(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    _write(context / "m/w.bin", b"1234", 0o640)
    os.chmod(context / "m", 0o711)
    (layer,) = plan_layers(Kitfile(model=Model(path="m/w.bin")), context).layers
    directory, weights = layer.entries
    dir_st, file_st = os.stat(context / "m"), os.stat(context / "m/w.bin")
    assert directory == TarEntry("m", context / "m", True, 0o711, 0, dir_st.st_mtime_ns, dir_st.st_ino)
    assert weights == TarEntry(
        "m/w.bin", context / "m/w.bin", False, 0o640, 4, file_st.st_mtime_ns, file_st.st_ino
    )
    assert layer.size == 4


def test_write_layer_reports_progress_and_honours_cancel(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    _write(context / "m/a.bin", b"a" * 1000, 0o644)
    _write(context / "m/b.bin", b"b" * 24, 0o644)
    (layer,) = plan_layers(Kitfile(model=Model(path="m")), context).layers
    seen: list[int] = []
    write_layer_tar(layer, io.BytesIO(), on_bytes=seen.append)
    assert sum(seen) == layer.size == 1024

    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        write_layer_tar(layer, io.BytesIO(), cancel=token)


def test_raw_mcpb_layer_is_not_written_as_tar(tmp_path: Path) -> None:
    _write(tmp_path / "s.mcpb", b"PK\x03\x04", 0o644)
    (layer,) = plan_layers(Kitfile(mcp_servers=[McpServer(name="s", path="s.mcpb")]), tmp_path).layers
    assert [e.name for e in layer.entries] == ["s.mcpb"]
    with pytest.raises(InvalidInput, match="raw layer"):
        write_layer_tar(layer, io.BytesIO())
