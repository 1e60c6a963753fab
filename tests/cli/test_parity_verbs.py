"""kit's verbs and flags as kit takes them: ``pack -f -``, ``remove --all/--remote`` and a list of tags,
usage errors, duplicate-looking layer paths, colons in code paths, and the zstd warning. Compared with
kitref where it has the verb; otherwise kit's behaviour (from its source) is recorded in each test."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest

from kitlab.cli import main
from tests.support.cli import kitlab
from tests.support.workspace import write_context


def _tree(root: Path, kitfile: str, files: dict[str, str]) -> Path:
    return write_context(root, {rel: text.encode() for rel, text in files.items()}, kitfile)


def _listed(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return json.loads(kitlab(capsys, "list", "--format", "json")[1])


def test_pack_reads_the_kitfile_from_stdin(capsys, kit, tmp_path, monkeypatch):
    root = _tree(tmp_path / "ctx", "not: a kitfile\n", {"w.bin": "weights"})
    kitfile = "manifestVersion: 1.0.0\npackage: {name: piped}\nmodel: {path: w.bin}\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(kitfile))
    code, _, err = kitlab(capsys, "pack", str(root), "-f", "-", "-t", "piped:v1")
    assert code == 0, err
    # kit's "-f -" reads the Kitfile from standard input (kitref has no stdin mode; kit reads it back).
    info = kit.run("info", "piped:v1").stdout
    assert info == "manifestVersion: 1.0.0\npackage:\n  name: piped\nmodel:\n  path: w.bin\n"


def test_remove_a_list_of_tags_reports_a_missing_one_and_exits_0(capsys, kit, tmp_path):
    root = _tree(tmp_path / "ctx", "manifestVersion: 1.0.0\nmodel: {path: w.bin}\n", {"w.bin": "w"})
    assert kitlab(capsys, "pack", str(root), "-t", "a:v1,v2")[0] == 0
    code, out, err = kitlab(capsys, "remove", "a:v1,nope")
    # kit: the first reference must resolve; a further tag that does not is logged, exit 0.
    assert code == 0
    assert out.startswith("Removed a:v1 (digest sha256:")
    assert "Failed to remove tag nope: model a:nope not found" in err
    assert [k["tags"] for k in json.loads(kit.run("list", "--format", "json").stdout)] == [["v2"]]
    code, _, err = kitlab(capsys, "remove", "nope:v1,v2")
    assert code == 1
    assert "model nope:v1 not found" in err


def test_remove_all_takes_untagged_kits_and_with_force_every_kit(capsys, kit, tmp_path):
    root = _tree(tmp_path / "ctx", "manifestVersion: 1.0.0\nmodel: {path: w.bin}\n", {"w.bin": "w"})
    assert kitlab(capsys, "pack", str(root), "-t", "kept:v1")[0] == 0
    (root / "w.bin").write_text("other")
    assert kitlab(capsys, "pack", str(root))[0] == 0  # untagged
    code, out, _ = kitlab(capsys, "remove", "--all")
    assert code == 0
    assert out.startswith("Removed <none>@sha256:")
    assert [k["repo"] for k in json.loads(kit.run("list", "--format", "json").stdout)] == ["kept"]
    code, out, _ = kitlab(capsys, "remove", "-a", "-f")
    assert (code, out.startswith("Removed kept@sha256:")) == (0, True)
    assert kit.run("list", "--format", "json").stdout.strip() in ("[]", "null")
    assert kitlab(capsys, "remove", "kept:v1", "--all")[0] == 1


def test_remove_remote_deletes_the_tag_on_the_registry(capsys, tmp_path, plain_registry):
    root = _tree(tmp_path / "ctx", "manifestVersion: 1.0.0\nmodel: {path: w.bin}\n", {"w.bin": "w"})
    ref = f"{plain_registry.host}/cli/removed:v1"
    assert kitlab(capsys, "pack", str(root), "-t", ref, "--push", "--plain-http")[0] == 0
    code, out, err = kitlab(capsys, "remove", "--remote", ref, "--plain-http")
    assert code == 0, err
    assert out == f"Removed {ref} from {plain_registry.host}\n"
    code, out, _ = kitlab(
        capsys, "list", f"{plain_registry.host}/cli/removed", "--plain-http", "--format", "json"
    )
    assert (code, json.loads(out)) == (0, [])


@pytest.mark.parametrize(
    "argv",
    [["pack"], ["list", "--format"], ["frobnicate"], ["remove", "a:v1", "--bogus"]],
)
def test_usage_errors_exit_1_like_kit(capsys, argv):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 1
    assert "Error: " in capsys.readouterr().err


def test_usage_error_of_tls_verify_value_exits_1(capsys):
    code, _, err = kitlab(capsys, "pull", "x:v1", "--tls-verify=maybe")
    assert code == 1
    assert 'invalid argument "maybe" for "--tls-verify" flag' in err


def test_src_and_dot_src_pack_two_layers_as_kit(capsys, kit, tmp_path):
    kitfile = "manifestVersion: 1.0.0\ncode:\n  - path: src\n  - path: ./src\n"
    root = _tree(tmp_path / "ctx", kitfile, {"src/a.py": "print(1)\n"})
    code, _, err = kitlab(capsys, "pack", str(root), "-t", "dup:v1")
    assert code == 0, err
    assert "newer kit refuses the Kitfile" in err
    kit.run("pack", str(root), "-t", "dup-kit:v1")
    ours = json.loads(kitlab(capsys, "inspect", "dup:v1")[1])["manifest"]["layers"]
    theirs = json.loads(kit.run("inspect", "dup-kit:v1").stdout)["manifest"]["layers"]
    assert len(ours) == 2
    assert [d["digest"] for d in ours] == [d["digest"] for d in theirs]
    # Both layers write src/a.py: kit v1.7 itself unpacks such a kit only with --overwrite, as kitlab.
    kit.run("unpack", "dup:v1", "-d", str(tmp_path / "kit-out"), "-o")
    assert (tmp_path / "kit-out/src/a.py").read_text() == "print(1)\n"
    assert kitlab(capsys, "unpack", "dup-kit:v1", "-d", str(tmp_path / "out"), "-o")[0] == 0
    assert (tmp_path / "out/src/a.py").read_text() == "print(1)\n"


def test_a_code_path_with_a_colon_is_a_file_not_a_reference(capsys, kit, tmp_path):
    kitfile = "manifestVersion: 1.0.0\ncode:\n  - path: src:v1\n"
    root = _tree(tmp_path / "ctx", kitfile, {"src:v1/train.py": "print(1)\n"})
    code, _, err = kitlab(capsys, "pack", str(root), "-t", "colon:v1")
    assert code == 0, err
    kit.run("pack", str(root), "-t", "colon-kit:v1")
    ours = json.loads(kitlab(capsys, "inspect", "colon:v1")[1])["manifest"]["layers"]
    theirs = json.loads(kit.run("inspect", "colon-kit:v1").stdout)["manifest"]["layers"]
    assert [d["digest"] for d in ours] == [d["digest"] for d in theirs]


def test_zstd_pack_warns_that_it_needs_newer_kit(capsys, tmp_path):
    root = _tree(tmp_path / "ctx", "manifestVersion: 1.0.0\nmodel: {path: w.bin}\n", {"w.bin": "w"})
    code, _, err = kitlab(capsys, "pack", str(root), "--compression", "zstd")
    assert code == 0
    assert "zstd layers need kit 1.15 or later" in err


def test_manifest_version_advice_makes_no_claim_about_newer_kit(capsys, tmp_path):
    root = _tree(tmp_path / "ctx", 'manifestVersion: "1.0"\nmodel: {path: w.bin}\n', {"w.bin": "w"})
    code, _, err = kitlab(capsys, "pack", str(root), "--plan")
    assert code == 0
    assert "Kitfiles use manifestVersion 1.0.0, not 1.0 (kit does not check it)" in err
    assert "warns" not in err


def test_unpack_drops_setuid_setgid_and_sticky_bits_deliberately(capsys, tmp_path):
    """kit keeps them (Go's tar header mode); kitlab writes permission bits only (README, compatibility)."""
    root = _tree(
        tmp_path / "ctx", "manifestVersion: 1.0.0\ncode:\n  - path: bin\n", {"bin/tool": "#!/bin/sh\n"}
    )
    os.chmod(root / "bin/tool", 0o4755)
    os.chmod(root / "bin", 0o1777)
    assert kitlab(capsys, "pack", str(root), "-t", "bits:v1")[0] == 0
    assert kitlab(capsys, "unpack", "bits:v1", "-d", str(tmp_path / "out"))[0] == 0
    assert stat.S_IMODE(os.stat(tmp_path / "out/bin/tool").st_mode) & 0o7000 == 0
    assert stat.S_IMODE(os.stat(tmp_path / "out/bin").st_mode) & 0o7000 == 0
