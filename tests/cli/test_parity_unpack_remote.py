"""``kitlab unpack REF`` as kit's: a kit (or parent) not in the local store comes from its registry,
with kit's network flags, filters and parent kits; and parents kit files under the child's repository."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import kitlab
from tests.support.registry import run_registry


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _parent_and_child(tmp_path: Path, parent_ref: str) -> tuple[Path, Path]:
    parent = _write(
        tmp_path / "parent",
        {
            "Kitfile": "manifestVersion: 1.0.0\npackage: {name: base}\nmodel: {name: base, path: base.bin}\n",
            "base.bin": "base weights",
        },
    )
    child = _write(
        tmp_path / "child",
        {
            "Kitfile": (
                "manifestVersion: 1.0.0\npackage: {name: tuned}\n"
                f"model: {{name: tuned, path: {parent_ref}}}\n"
                "datasets:\n  - {name: train, path: data/train.csv}\ncode:\n  - {path: train.py}\n"
            ),
            "data/train.csv": "a,b\n1,2\n",
            "train.py": "print('train')\n",
        },
    )
    return parent, child


def test_unpack_pulls_a_remote_kit_and_its_parent(capsys, tmp_path, monkeypatch, plain_registry):
    parent_ref = f"{plain_registry.host}/cli/base:v1"
    child_ref = f"{plain_registry.host}/cli/tuned:v1"
    parent, child = _parent_and_child(tmp_path, parent_ref)
    for directory, ref in ((parent, parent_ref), (child, child_ref)):
        assert kitlab(capsys, "pack", str(directory), "-t", ref)[0] == 0
        assert kitlab(capsys, "push", ref, "--plain-http")[0] == 0

    monkeypatch.setenv("KITOPS_HOME", str(tmp_path / "fresh-home"))
    out_dir = tmp_path / "out"
    code, out, err = kitlab(capsys, "unpack", child_ref, "-d", str(out_dir), "--plain-http")
    assert code == 0, err
    assert f"Pulled {child_ref}" in out
    assert (out_dir / "base.bin").read_text() == "base weights"
    assert (out_dir / "data/train.csv").read_text() == "a,b\n1,2\n"
    assert (out_dir / "train.py").exists()

    # Now local: a second unpack pulls nothing; a filter unpacks only what it names.
    filtered = tmp_path / "filtered"
    code, out, err = kitlab(
        capsys, "unpack", child_ref, "-d", str(filtered), "--plain-http", "-f", "datasets:train"
    )
    assert code == 0, err
    assert "Pulled" not in out
    assert sorted(p.relative_to(filtered).as_posix() for p in filtered.rglob("*")) == [
        "data",
        "data/train.csv",
    ]


def test_unpack_with_a_filter_pulls_then_unpacks_only_the_model(
    capsys, tmp_path, monkeypatch, plain_registry
):
    parent_ref = f"{plain_registry.host}/cli/base:v2"
    child_ref = f"{plain_registry.host}/cli/tuned:v2"
    parent, child = _parent_and_child(tmp_path, parent_ref)
    assert kitlab(capsys, "pack", str(parent), "-t", parent_ref)[0] == 0
    assert kitlab(capsys, "push", parent_ref, "--plain-http")[0] == 0
    assert kitlab(capsys, "pack", str(child), "-t", child_ref, "--push", "--plain-http")[0] == 0

    monkeypatch.setenv("KITOPS_HOME", str(tmp_path / "fresh-home"))
    out_dir = tmp_path / "out"
    code, _, err = kitlab(capsys, "unpack", child_ref, "-d", str(out_dir), "--plain-http", "--filter=model")
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["base.bin"]


def test_unpack_of_a_missing_kit_without_a_registry_is_not_found(capsys, tmp_path):
    code, _, err = kitlab(capsys, "unpack", "nothing:v1", "-d", str(tmp_path / "out"))
    assert code == 1
    assert err.startswith("Error: model nothing:v1 not found")
    assert not (tmp_path / "out").exists()


def test_unpack_over_tls_honours_tls_verify(capsys, tmp_path, monkeypatch):
    with run_registry("none", tmp_path / "reg", tls=True) as registry:
        ref = f"{registry.host}/team/base:tls"
        parent, _ = _parent_and_child(tmp_path, ref)
        code, _, err = kitlab(capsys, "pack", str(parent), "-t", ref, "--push", "--tls-verify=false")
        assert code == 0, err

        monkeypatch.setenv("KITOPS_HOME", str(tmp_path / "fresh-home"))
        # kit's bare flag means "verify": the throwaway CA is not trusted, so nothing is written.
        code, _, err = kitlab(capsys, "unpack", ref, "-d", str(tmp_path / "verified"), "--tls-verify")
        assert code == 1
        assert not (tmp_path / "verified").exists()
        code, _, err = kitlab(capsys, "unpack", ref, "-d", str(tmp_path / "out"), "--tls-verify=false")
        assert code == 0, err
        assert (tmp_path / "out/base.bin").read_text() == "base weights"


def test_a_parent_kit_filed_under_the_childs_repository_is_found(capsys, tmp_path):
    """kit's pull files a child's parents in the child's repository (its pullParents copies into the
    child's local repo under the parent's tag). The store is laid out that way here with tag/remove; the
    registry host does not exist, so finding the parent anywhere but locally would fail."""
    parent_ref = "registry.invalid/team/base:p1"
    child_ref = "registry.invalid/team/tuned:c1"
    parent, child = _parent_and_child(tmp_path, parent_ref)
    assert kitlab(capsys, "pack", str(parent), "-t", parent_ref)[0] == 0
    assert kitlab(capsys, "pack", str(child), "-t", child_ref)[0] == 0
    assert kitlab(capsys, "tag", parent_ref, "registry.invalid/team/tuned:p1")[0] == 0
    assert kitlab(capsys, "remove", parent_ref)[0] == 0

    code, _, err = kitlab(capsys, "unpack", child_ref, "-d", str(tmp_path / "out"))
    assert code == 0, err
    assert (tmp_path / "out/base.bin").read_text() == "base weights"
