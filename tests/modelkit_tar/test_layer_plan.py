"""The layer walk: kit's order and ancestors, ignore rules, and where kitlab warns instead of losing data."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from kitlab.errors import InvalidInput
from kitlab.kitfile.model import (
    CodeEntry,
    DatasetEntry,
    DocsEntry,
    Kitfile,
    McpServer,
    Model,
    ModelPart,
    PromptEntry,
)
from kitlab.modelkit.layers import PackPlan, plan_layers


def _files(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())


def _names(plan: PackPlan, index: int = 0) -> list[str]:
    return [e.name for e in plan.layers[index].entries]


def _messages(plan: PackPlan, field: str | None = None) -> list[str]:
    return [p.message for p in plan.problems if field is None or p.field == field]


def test_walk_is_depth_first_byte_sorted_dir_before_contents(tmp_path: Path) -> None:
    _files(tmp_path, "B", "a.txt", "a/x", "a/Z/y", "_u")
    plan = plan_layers(Kitfile(code=[CodeEntry(path=".")]), tmp_path)
    # 'a/x' comes before 'a.txt': Go walks into 'a' before moving on to the next sibling name
    assert _names(plan) == ["B", "_u", "a", "a/Z", "a/Z/y", "a/x", "a.txt"]
    assert plan.problems == []


def test_file_layer_includes_its_ancestor_directories_only(tmp_path: Path) -> None:
    _files(tmp_path, "models/sub/w.bin", "models/sub/other.bin", "models/top.bin", "models2/x")
    plan = plan_layers(Kitfile(model=Model(path="./models/sub/w.bin")), tmp_path)
    assert _names(plan) == ["models", "models/sub", "models/sub/w.bin"]
    assert [e.is_dir for e in plan.layers[0].entries] == [True, True, False]
    assert plan.layers[0].clean_path == "models/sub/w.bin"
    assert plan.layers[0].path == "./models/sub/w.bin"
    assert plan.layers[0].size == len(b"models/sub/w.bin")


def test_layer_order_and_fields_follow_kit(tmp_path: Path) -> None:
    _files(tmp_path, "m/w", "p1", "p2", "src/a.py", "d/x.csv", "README.md", "prompts/p.txt", "srv.mcpb")
    kf = Kitfile(
        model=Model(path="m", parts=[ModelPart(path="p1"), ModelPart(path="p2")]),
        code=[CodeEntry(path="src")],
        datasets=[DatasetEntry(path="d"), DatasetEntry(path="remote", remote_path="s3://b/k")],
        docs=[DocsEntry(path="README.md")],
        prompts=[PromptEntry(path="prompts")],
        mcp_servers=[McpServer(name="s", path="srv.mcpb")],
    )
    plan = plan_layers(kf, tmp_path)
    assert [(layer.kind, layer.field_path) for layer in plan.layers] == [
        ("model", "model.path"),
        ("modelpart", "model.parts[0].path"),
        ("modelpart", "model.parts[1].path"),
        ("code", "code[0].path"),
        ("dataset", "datasets[0].path"),
        ("docs", "docs[0].path"),
        ("prompt", "prompts[0].path"),
        ("mcpb", "mcpServers[0].path"),
    ]
    assert plan.errors == []


def test_segment_cross_exclusion_keeps_database_csv_and_warns(tmp_path: Path) -> None:
    _files(tmp_path, "data/train.csv", "database.csv", "train.py")
    kf = Kitfile(code=[CodeEntry(path=".")], datasets=[DatasetEntry(path="data")])
    plan = plan_layers(kf, tmp_path)
    code, data = plan.layers
    assert [e.name for e in code.entries] == ["database.csv", "train.py"]
    assert [e.name for e in data.entries] == ["data", "data/train.csv"]
    (warning,) = plan.warnings
    assert warning.field == "code[0].path"
    assert warning.path == "database.csv"
    assert "kit v1.7.0 would drop" in warning.message
    assert "'data'" in warning.message


def test_nested_layers_put_each_file_in_exactly_one_layer(tmp_path: Path) -> None:
    _files(tmp_path, "main/model.bin", "main/sub/data.csv", "main/sub/deeper/x", "other.py")
    kf = Kitfile(
        model=Model(path="main"), datasets=[DatasetEntry(path="main/sub")], code=[CodeEntry(path=".")]
    )
    plan = plan_layers(kf, tmp_path)
    files = [e.name for layer in plan.layers for e in layer.entries if not e.is_dir]
    assert sorted(files) == ["main/model.bin", "main/sub/data.csv", "main/sub/deeper/x", "other.py"]
    assert [layer.kind for layer in plan.layers] == ["model", "code", "dataset"]
    assert _names(plan, 0) == ["main", "main/model.bin"]
    assert _names(plan, 1) == ["other.py"]
    assert _names(plan, 2) == [
        "main",
        "main/sub",
        "main/sub/data.csv",
        "main/sub/deeper",
        "main/sub/deeper/x",
    ]
    assert plan.problems == []


def test_dotdot_names_are_left_out_with_one_warning_per_top_entry(tmp_path: Path) -> None:
    _files(tmp_path, "m/model..bin", "m/v..2/a", "m/v..2/b", "m/ok")
    plan = plan_layers(Kitfile(model=Model(path="m")), tmp_path)
    assert _names(plan) == ["m", "m/ok"]
    assert [w.path for w in plan.warnings] == ["m/model..bin", "m/v..2"]
    assert all("kit cannot unpack names containing '..'" in w.message for w in plan.warnings)
    assert "--allow-kitlab-only-names" in plan.warnings[0].message
    assert "everything under it" in plan.warnings[1].message


def test_dotdot_names_are_packed_only_when_asked(tmp_path: Path) -> None:
    _files(tmp_path, "m/model..bin", "m/v..2/a", "m/v..2/b", "m/ok")
    plan = plan_layers(Kitfile(model=Model(path="m")), tmp_path, allow_kitlab_only_names=True)
    assert _names(plan) == ["m", "m/model..bin", "m/ok", "m/v..2", "m/v..2/a", "m/v..2/b"]
    assert [w.path for w in plan.warnings] == ["m/model..bin", "m/v..2"]
    assert all("only kitlab can unpack this kit" in w.message for w in plan.warnings)
    assert "everything under it" in plan.warnings[1].message


def test_dotdot_in_the_layer_path_leaves_the_layer_empty(tmp_path: Path) -> None:
    _files(tmp_path, "m/w..bin")
    plan = plan_layers(Kitfile(model=Model(path="m/w..bin")), tmp_path)
    assert _names(plan) == ["m"]
    assert [w.path for w in plan.warnings] == ["m/w..bin", "m/w..bin"]  # left out; the layer packs no files
    assert "packs no files" in plan.warnings[1].message


def test_trailing_space_path_gets_no_dotdot_warning(tmp_path: Path) -> None:
    _files(tmp_path, "src /a.py")
    plan = plan_layers(Kitfile(code=[CodeEntry(path="src ")]), tmp_path)
    assert _names(plan) == ["src ", "src /a.py"]
    assert plan.problems == []


def test_symlinks_are_reported_never_silently_dropped(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    _files(context, "models/w.bin", "real/a.txt")
    _files(tmp_path, "outside.bin")
    os.symlink("w.bin", context / "models/alias.bin")
    os.symlink("../real", context / "models/linked-dir")
    os.symlink(tmp_path / "outside.bin", context / "models/outside.bin")
    os.symlink("nowhere", context / "models/dangling")
    plan = plan_layers(Kitfile(model=Model(path="models")), context)
    assert _names(plan) == ["models", "models/w.bin"]
    by_path = {w.path: w.message for w in plan.warnings}
    assert set(by_path) == {"models/alias.bin", "models/linked-dir", "models/outside.bin", "models/dangling"}
    assert "symbolic link" in by_path["models/alias.bin"]
    assert "'models/w.bin' is inside the context" in by_path["models/alias.bin"]
    assert "symlinked directory" in by_path["models/linked-dir"]
    assert "outside the context" in by_path["models/outside.bin"]
    assert "does not exist" in by_path["models/dangling"]
    assert plan.errors == []


def test_symlinked_layer_path_warns_and_packs_nothing(tmp_path: Path) -> None:
    _files(tmp_path, "real/w.bin")
    os.symlink("real", tmp_path / "weights")
    plan = plan_layers(Kitfile(model=Model(path="weights")), tmp_path)
    assert _names(plan) == []
    messages = _messages(plan, "model.path")
    assert any("symlinked directory" in m for m in messages)
    assert any("packs no files" in m for m in messages)


def test_fifo_and_socket_are_skipped_with_a_warning(tmp_path: Path) -> None:
    _files(tmp_path, "d/file")
    os.mkfifo(tmp_path / "d/pipe")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "d/sock"))
        plan = plan_layers(Kitfile(code=[CodeEntry(path="d")]), tmp_path)
    finally:
        server.close()
    assert _names(plan) == ["d", "d/file"]
    by_path = {w.path: w.message for w in plan.warnings}
    assert "named pipe (FIFO)" in by_path["d/pipe"]
    assert "socket" in by_path["d/sock"]


def test_missing_and_escaping_paths_are_errors(tmp_path: Path) -> None:
    _files(tmp_path, "ok.txt")
    docs = [DocsEntry(path=p) for p in ("missing.md", "../x", "ok.txt", "/etc/hostname", "sub/../../x")]
    plan = plan_layers(Kitfile(docs=docs), tmp_path)
    assert [p.field for p in plan.errors] == ["docs[0].path", "docs[1].path", "docs[3].path", "docs[4].path"]
    assert {p.severity for p in plan.errors} == {"error"}
    assert "does not exist" in plan.errors[0].message
    assert "leaves the context" in plan.errors[1].message
    assert "absolute" in plan.errors[2].message
    assert "leaves the context" in plan.errors[3].message
    with pytest.raises(InvalidInput) as caught:
        plan.raise_for_errors()
    assert caught.value.details[0]["field"] == "docs[0].path"


def test_clean_plan_does_not_raise(tmp_path: Path) -> None:
    _files(tmp_path, "ok.txt")
    plan_layers(Kitfile(docs=[DocsEntry(path="ok.txt")]), tmp_path).raise_for_errors()


def test_empty_layer_and_swallowed_layer_warn(tmp_path: Path) -> None:
    _files(tmp_path, "m/w.bin")
    (tmp_path / "empty").mkdir()
    kf = Kitfile(model=Model(path="m"), code=[CodeEntry(path="empty")], docs=[DocsEntry(path="m")])
    plan = plan_layers(kf, tmp_path)
    assert _names(plan, 1) == ["empty"]
    assert any("packs no files" in m for m in _messages(plan, "code[0].path"))
    # model and docs share a path: like kit, each layer skips the other and both pack it
    assert _names(plan, 2) == ["m", "m/w.bin"]

    kf = Kitfile(model=Model(path="m"), code=[CodeEntry(path=".")])
    plan = plan_layers(kf, tmp_path)
    assert _names(plan, 1) == ["empty"]
    (tmp_path / "empty").rmdir()
    plan = plan_layers(kf, tmp_path)
    assert _names(plan, 1) == []
    assert any("already packed by other layers" in m for m in _messages(plan, "code[0].path"))


def test_model_reference_has_no_layer_but_a_real_file_named_like_one_is_packed(tmp_path: Path) -> None:
    _files(tmp_path, "x.py")
    plan = plan_layers(
        Kitfile(model=Model(path="registry.example/org/base:v1"), code=[CodeEntry(path=".")]), tmp_path
    )
    assert [layer.kind for layer in plan.layers] == ["code"]
    _files(tmp_path, "data:v1")
    plan = plan_layers(Kitfile(model=Model(path="data:v1")), tmp_path)
    assert _names(plan) == ["data:v1"]
    assert "ModelKit reference" in plan.warnings[0].message


def test_extra_layer_paths_from_a_parent_kit_are_excluded(tmp_path: Path) -> None:
    _files(tmp_path, "base/w.bin", "train.py")
    plan = plan_layers(Kitfile(code=[CodeEntry(path=".")]), tmp_path, extra_layer_paths=["./base"])
    assert _names(plan) == ["train.py"]


def test_kitignore_prunes_and_always_hides_kitfiles(tmp_path: Path) -> None:
    _files(
        tmp_path, "Kitfile", ".kitignore", "sub/Kitfile", "cache/x", "nb/.ipynb_checkpoints/a", "nb/a.ipynb"
    )
    (tmp_path / ".kitignore").write_text("cache\n**/.ipynb_checkpoints\n")
    plan = plan_layers(Kitfile(code=[CodeEntry(path=".")]), tmp_path)
    assert _names(plan) == ["nb", "nb/a.ipynb", "sub", "sub/Kitfile"]


def test_exclusions_write_children_without_their_ignored_directory(tmp_path: Path) -> None:
    _files(tmp_path, "docs/keep.md", "docs/drop.md", "docs/sub/also.md")
    (tmp_path / ".kitignore").write_text("docs\n!docs/keep.md\n")
    plan = plan_layers(Kitfile(code=[CodeEntry(path=".")]), tmp_path)
    assert _names(plan) == ["docs/keep.md"]


def test_ignored_layer_path_warns(tmp_path: Path) -> None:
    _files(tmp_path, "secret/key")
    (tmp_path / ".kitignore").write_text("secret\n")
    plan = plan_layers(Kitfile(datasets=[DatasetEntry(path="secret")]), tmp_path)
    assert _names(plan) == []
    assert any("ignored by .kitignore" in m for m in _messages(plan, "datasets[0].path"))


def test_mcpb_must_be_a_single_file(tmp_path: Path) -> None:
    (tmp_path / "bundle").mkdir()
    plan = plan_layers(Kitfile(mcp_servers=[McpServer(name="s", path="bundle")]), tmp_path)
    assert [p.field for p in plan.errors] == ["mcpServers[0].path"]


def test_invalid_kitignore_is_a_plan_error(tmp_path: Path) -> None:
    _files(tmp_path, "a.txt")
    (tmp_path / ".kitignore").write_text("[oops\n")
    plan = plan_layers(Kitfile(code=[CodeEntry(path=".")]), tmp_path)
    assert plan.layers == []
    (error,) = plan.errors
    assert error.path == ".kitignore"
    with pytest.raises(InvalidInput, match="kitignore"):
        plan.raise_for_errors()
