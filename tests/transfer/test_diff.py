"""``kitlab diff A B``: layers added, removed, changed and unchanged (matched by kind and path), Kitfile
field differences, config and manifest digests; local kits, kits on a real registry, kits packed by
kit (kitref: no file-path annotations, so paths come from the Kitfile) and ModelPacks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kitlab.cli import main
from kitlab.errors import NotFound
from kitlab.modelkit import statcache
from kitlab.modelkit.diff import diff_kits, diff_workspace
from kitlab.modelkit.pack import pack
from kitlab.modelkit.push import push
from kitlab.modelkit.store import LocalStore
from tests.support.kit import KitCLI
from tests.support.registry import RunningRegistry
from tests.support.workspace import write_context
from tests.transfer._helpers import remote_kw

KITFILE_V1 = """\
manifestVersion: 1.0.0
package:
  name: demo
  version: 1.0.0
  authors: [ann]
model:
  name: m
  path: models/w.bin
code:
  - path: src
datasets:
  - name: train
    path: data
    license: MIT
"""
KITFILE_V2 = """\
manifestVersion: 1.0.0
package:
  name: demo
  version: 1.1.0
  authors: [ann, bob]
model:
  name: m
  path: models/w.bin
code:
  - path: src
docs:
  - path: README.md
    description: what it is
"""
FILES_V1 = {"models/w.bin": b"weights-1" * 100, "src/a.py": b"print(1)\n", "data/t.csv": b"x\n1\n"}


def _two_versions(tmp_path: Path, store: LocalStore) -> None:
    v1 = write_context(
        tmp_path / "v1",
        FILES_V1,
        KITFILE_V1,
    )
    v2 = write_context(
        tmp_path / "v2",
        {"models/w.bin": b"weights-2" * 100, "src/a.py": b"print(1)\n", "README.md": b"# demo\n"},
        KITFILE_V2,
    )
    pack(v1, tags=["demo/d:v1"], store=store)
    pack(v2, tags=["demo/d:v2"], store=store)


def test_local_kits_layers_and_kitfile_fields(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "home")
    _two_versions(tmp_path, store)
    result = diff_kits("demo/d:v1", "demo/d:v2", store=store)
    assert not result.identical
    assert not result.same_config
    assert result.annotations_match  # the same CLI version wrote both
    assert [(c.kind, c.path, c.status) for c in result.layers] == [
        ("model", "models/w.bin", "changed"),
        ("code", "src", "unchanged"),
        ("dataset", "data", "removed"),
        ("docs", "README.md", "added"),
    ]
    model = result.layers[0]
    assert model.a is not None
    assert model.b is not None
    assert model.a.digest != model.b.digest
    assert result.layers[1].a == result.layers[1].b
    assert [(c.field, c.status, c.a, c.b) for c in result.kitfile] == [
        ("package.version", "changed", "1.0.0", "1.1.0"),
        ("datasets[data].name", "removed", "train", None),
        ("datasets[data].path", "removed", "data", None),
        ("datasets[data].license", "removed", "MIT", None),
        ("package.authors[1]", "added", None, "bob"),
        ("docs[README.md].path", "added", None, "README.md"),
        ("docs[README.md].description", "added", None, "what it is"),
    ]
    api = result.to_api()
    assert api["summary"] == {"added": 1, "removed": 1, "changed": 1, "unchanged": 1}
    assert api["a"]["digest"] == store.resolve("demo/d:v1").digest
    assert api["a"]["source"] == "local"
    assert api["layers"][2]["b"] is None
    # The REST API's convention (camelCase), the Kitfile field changes converted although under "kitfile".
    assert set(api) == {
        *("a", "b", "identical", "sameConfig", "annotationsMatch", "summary", "layers"),
        *("kitfile", "kitfileTruncated"),
    }
    assert set(api["a"]) == {"reference", "source", "digest", "configDigest", "format", "size"}
    assert set(api["layers"][0]["a"]) == {"digest", "size", "mediaType"}
    assert api["kitfile"][-1] == {
        "field": "docs[README.md].description",
        "status": "added",
        "a": None,
        "b": "what it is",
    }

    same = diff_kits("demo/d:v1", "local://demo/d:v1", store=store)
    assert same.identical
    assert {c.status for c in same.layers} == {"unchanged"}
    assert same.kitfile == []


def test_kit_packed_by_kit_and_modelpack_of_the_same_tree(tmp_path: Path, kit: KitCLI) -> None:
    """kit v1.7 writes no file-path annotations: the Kitfile's digests name the layers. A ModelPack of
    the same tree has the same layer bytes, so every layer is unchanged; only format and config differ."""
    ctx = write_context(
        tmp_path / "ctx",
        {"models/w.bin": b"w" * 1000, "src/a.py": b"print(1)\n", "data/t.csv": b"x\n1\n"},
        KITFILE_V1,
    )
    home = tmp_path / "home"
    kit.run("pack", str(ctx), "-t", "demo/k:kit", env={"KITOPS_HOME": str(home)})
    store = LocalStore(home)
    pack(ctx, tags=["demo/k:pack"], store=store, use_model_pack=True)
    result = diff_kits("demo/k:kit", "demo/k:pack", store=store)
    assert (result.a.format, result.b.format) == ("kit", "modelpack")
    assert not result.same_config
    assert [(c.kind, c.path, c.status) for c in result.layers] == [
        ("model", "models/w.bin", "unchanged"),
        ("code", "src", "unchanged"),
        ("dataset", "data", "unchanged"),
    ]
    assert result.kitfile == []


def test_remote_kits_and_the_cli(
    registries: dict[str, RunningRegistry], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = registries["none"]
    home = tmp_path / "home"
    store = LocalStore(home)
    _two_versions(tmp_path, store)
    remote_v1 = f"{reg.host}/diff/demo:v1"
    push("demo/d:v1", remote_v1, store=store, **remote_kw(reg))
    # Not in the local store: an unprefixed reference is read from its registry, as remote:// is.
    for a in (remote_v1, f"remote://{remote_v1}"):
        result = diff_kits(a, "demo/d:v2", store=store, **remote_kw(reg))
        assert result.a.source == "remote"
        assert result.a.digest == store.resolve("demo/d:v1").digest
        assert [c.status for c in result.layers] == ["changed", "unchanged", "removed", "added"]
    with pytest.raises(NotFound):
        diff_kits(f"local://{remote_v1}", "demo/d:v2", store=store)

    args = ["--config", str(home), "diff", f"remote://{remote_v1}", "demo/d:v2", "--plain-http"]
    assert main([*args, "--format", "json"]) == 0
    api = json.loads(capsys.readouterr().out)
    assert api["summary"] == {"added": 1, "removed": 1, "changed": 1, "unchanged": 1}
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "changed   model     models/w.bin" in text
    assert '~ package.version: "1.0.0" → "1.1.0"' in text
    assert main(["--config", str(home), "diff", "demo/d:v2", "demo/d:v2"]) == 0
    assert capsys.readouterr().out.startswith("ModelKits are identical")


def test_workspace_against_its_last_pack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What would change if the folder were packed now: the stat cache gives unchanged layers their
    digest; a layer whose files changed has none (not hashed) and counts as changed."""
    # The stat cache distrusts files written within RACY_WINDOW_NS of its clock: move it on, not sleep.
    monkeypatch.setattr(statcache, "now_ns", lambda: time.time_ns() + 2 * statcache.RACY_WINDOW_NS)
    home = tmp_path / "home"
    store = LocalStore(home)
    ctx = write_context(
        tmp_path / "ws",
        FILES_V1,
        KITFILE_V1,
    )
    pack(ctx, tags=["demo/w:v1"], store=store)
    nothing = diff_workspace("demo/w:v1", ctx, store=store)
    assert {c.status for c in nothing.layers} == {"unchanged"}
    assert nothing.kitfile == []
    # Unchanged layers are sized as packed (tar headers included), so the sizes compare like for like.
    assert [(c.a.size, c.b.size) for c in nothing.layers if c.a and c.b] == [
        (c.a.size, c.a.size) for c in nothing.layers if c.a
    ]
    assert nothing.b.size == nothing.a.size

    (ctx / "models" / "w.bin").write_bytes(b"weights-2" * 100)
    (ctx / "README.md").write_bytes(b"# demo\n")
    (ctx / "Kitfile").write_text(KITFILE_V1 + "docs:\n  - path: README.md\n")
    result = diff_workspace("demo/w:v1", ctx, store=store)
    assert result.b.source == "workspace"
    assert [(c.kind, c.path, c.status) for c in result.layers] == [
        ("model", "models/w.bin", "changed"),
        ("code", "src", "unchanged"),
        ("dataset", "data", "unchanged"),
        ("docs", "README.md", "added"),
    ]
    assert result.layers[0].b is not None
    assert result.layers[0].b.digest == ""  # not hashed: its files changed since the pack
    assert [(c.field, c.status) for c in result.kitfile] == [("docs[README.md].path", "added")]

    assert main(["--config", str(home), "diff", "demo/w:v1", "--workspace", str(ctx)]) == 0
    text = capsys.readouterr().out
    assert "changed   model     models/w.bin" in text
    assert "(not hashed)" in text
    assert main(["--config", str(home), "diff", "demo/w:v1"]) == 1  # neither B nor --workspace
