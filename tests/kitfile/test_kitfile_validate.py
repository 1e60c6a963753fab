"""validate_kitfile: kit's rules, the extra checks, and on-disk checks against real files."""

from __future__ import annotations

import os

from kitlab.kitfile import is_modelkit_reference, load_kitfile, locate_problems, validate_kitfile
from kitlab.kitfile.spdx import check_license


def found(text: str, context_dir=None, severity: str = "error") -> dict[str, str]:
    return {
        p.path: p.message for p in validate_kitfile(load_kitfile(text), context_dir) if p.severity == severity
    }


def test_clean_kitfile_has_no_problems(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"x")
    (tmp_path / "src").mkdir()
    text = "manifestVersion: 1.0.0\nmodel:\n  path: model.bin\n  license: Apache-2.0\ncode:\n  - path: src\n"
    assert validate_kitfile(load_kitfile(text), tmp_path) == []


def test_duplicate_raw_and_cleaned_paths_and_empty_as_dot():
    errors = found("code:\n  - path: a\n  - path: a\n  - path: ./a/\ndocs:\n  - path: ''\n  - path: .\n")
    assert "code[0].path uses the same path 'a'" in errors["code[1].path"]
    assert "code[2].path" not in errors  # kit v1.7 compares paths as written, so this is a warning
    assert (
        "newer kit refuses"
        in found("code:\n  - path: a\n  - path: ./a/\n", severity="warning")["code[1].path"]
    )
    assert "'.'" in errors["docs[1].path"]


def test_absolute_and_outside_paths():
    errors = found("code:\n  - path: /etc\n  - path: ../x\n  - path: a/../../y\n  - path: a/../b\n")
    assert "absolute" in errors["code[0].path"]
    assert "leaves the context" in errors["code[1].path"]
    assert "leaves the context" in errors["code[2].path"]
    assert "code[3].path" not in errors


def test_part_type_rules():
    text = (
        "model:\n  parts:\n    - path: a\n      type: lora-weights.v1\n    - path: b\n      type: -bad\n"
        + (f"    - path: c\n      type: {'x' * 65}\n")
    )
    errors = found(text)
    assert "model.parts[0].type" not in errors
    assert "must start" in errors["model.parts[1].type"]
    assert "too long" in errors["model.parts[2].type"]


def test_modelkit_references_only_in_model_path():
    assert is_modelkit_reference("registry.example.com/org/base:v1")
    assert is_modelkit_reference("base@sha256:" + "a" * 64)
    assert not is_modelkit_reference("models/model.h5")
    assert not is_modelkit_reference("https://example.com/x")
    errors = found(
        "model:\n  path: myrepo:v1\n  parts:\n    - path: data:v1\ncode:\n  - path: org/repo:latest\n"
    )
    # kit reads a reference only in model.path: elsewhere "data:v1" is a file name like any other.
    assert errors == {}


def test_urls_are_rejected_except_remote_path():
    errors = found(
        "model:\n  path: https://example.com/m\ndatasets:\n  - path: s3://bucket/key\n"
        "  - path: local\n    remotePath: s3://bucket/key\n    remoteHash: abc\ndocs:\n  - path: http://x.org/y\n"
    )
    assert "HTTP" in errors["model.path"]
    assert "remotePath" in errors["datasets[0].path"]
    assert "datasets[1].path" not in errors
    assert "datasets[1].remotePath" not in errors
    assert "HTTP" in errors["docs[0].path"]


def test_remote_dataset_rules():
    errors = found(
        "datasets:\n  - path: a\n    remotePath: s3://b/k\n  - path: b\n    remoteHash: h\n"
        "  - path: c\n    remotePath: ftp://x/y\n"
        "  - path: data/train\n    remotePath: docker.io/org/repo:latest\n"
        "code:\n  - path: data/train/code\n  - path: data/train-eval\n"
    )
    assert "required" in errors["datasets[0].remoteHash"]
    assert "only applies" in errors["datasets[1].remoteHash"]
    assert "s3:// URL or a ModelKit reference" in errors["datasets[2].remotePath"]
    assert "inside the path of the remote dataset" in errors["code[0].path"]
    assert "code[1].path" not in errors


def test_mcp_server_rules():
    errors = found(
        "mcpServers:\n  - name: a\n    path: a.mcpb\n  - name: a\n    path: b.mcpb\n  - path: c.mcpb\n"
        "  - name: d\n    path: d.zip\n"
    )
    assert "same name" in errors["mcpServers[1].name"]
    assert "needs a name" in errors["mcpServers[2].name"]
    assert ".mcpb" in errors["mcpServers[3].path"]


def test_warnings_manifest_version_names_licenses_and_compat():
    text = (
        "manifestVersion: v2\npackage:\n  license: Apache-2.0 OR MIT\nmodel:\n  license: mit\n"
        "datasets:\n  - name: d\n    path: a\n    license: My Custom\n"
        "  - name: d\n    path: b\n    license: LicenseRef-mine\n"
        "prompts:\n  - path: p.md\n"
    )
    warnings = found(text, severity="warning")
    assert "1.0.0" in warnings["manifestVersion"]
    assert "package.license" not in warnings
    assert "'MIT'" in warnings["model.license"]
    assert "not an SPDX license identifier" in warnings["datasets[0].license"]
    assert "datasets[1].license" not in warnings
    assert "same name" in warnings["datasets[1].name"]
    assert warnings["prompts"] == "`prompts` needs kit ≥ 1.15; kit 1.7–1.14 cannot read this Kitfile"


def test_spdx_expressions():
    assert check_license("Apache-2.0") is None
    assert check_license("(MIT OR Apache-2.0) AND BSD-3-Clause") is None
    assert check_license("GPL-2.0-or-later WITH Classpath-exception-2.0") is None
    assert check_license("GPL-2.0+") is not None  # deprecated id
    assert check_license("DocumentRef-x:LicenseRef-y") is None
    assert "exception" in (check_license("MIT WITH Nope") or "")
    assert check_license("MIT AND") is not None
    assert check_license("MIT and Apache-2.0") is not None


def test_spdx_suggests_the_id_a_license_name_means():
    """A license written as people say it gets "did you mean", not a LicenseRef made of its first word."""
    assert (
        check_license("Apache 2")
        == "'Apache 2' is not an SPDX license identifier; did you mean 'Apache-2.0'?"
    )
    assert "did you mean 'Apache-2.0'?" in (check_license("Apache License 2.0") or "")
    assert "did you mean 'BSD-3-Clause'?" in (check_license("BSD 3 clause") or "")
    assert "did you mean 'MIT'?" in (check_license("MIT License") or "")
    # No near id (or more than one): how to name a license SPDX does not list, as before.
    assert "use LicenseRef-not for others" in (check_license("not a license") or "")
    assert "use LicenseRef-LGPL for others" in (check_license("LGPL 2.1") or "")


def test_paths_on_disk_including_symlinks(tmp_path):
    context = tmp_path / "ctx"
    context.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("x")
    (context / "data").mkdir()
    (context / "data" / "ok.csv").write_text("a\n")
    os.symlink(outside, context / "escape")
    os.symlink(outside / "secret.txt", context / "data" / "link.csv")
    (context / "bundle.mcpb").mkdir()
    text = (
        "model:\n  path: registry.example.com/org/base:v1\n"
        "datasets:\n  - path: data/ok.csv\n  - path: data/link.csv\n  - path: escape/secret.txt\n"
        "  - path: missing.csv\n  - path: remote\n    remotePath: s3://b/k\n    remoteHash: h\n"
        "mcpServers:\n  - name: s\n    path: bundle.mcpb\n"
    )
    errors = found(text, context)
    assert "model.path" not in errors
    assert "datasets[0].path" not in errors
    assert "symbolic link" in errors["datasets[1].path"]
    assert "symbolic link" in errors["datasets[2].path"]
    assert "does not exist" in errors["datasets[3].path"]
    assert "datasets[4].path" not in errors  # remote data is not expected locally
    assert "not a folder" in errors["mcpServers[0].path"]


def test_compat_warnings_for_newer_fields():
    text = (
        "mcpServers:\n  - name: s\n    path: s.mcpb\n"
        "datasets:\n  - path: d\n    remotePath: s3://b/k\n    remoteHash: h\n"
    )
    warnings = found(text, severity="warning")
    assert warnings["mcpServers"] == "`mcpServers` needs kit ≥ 1.15; kit 1.7–1.14 cannot read this Kitfile"
    assert warnings["datasets[0].remotePath"] == (
        "`remotePath` needs a kit newer than 1.16; kit 1.7–1.16 cannot read this Kitfile"
    )
    assert "datasets[0].remoteHash" in warnings


def test_locate_problems_points_at_the_key():
    text = (
        "manifestVersion: 1.0.0\ndatasets:\n  - path: a\n    license: Bogus License\n"
        "mcpServers:\n  - path: x.mcpb\n"
    )
    located = {
        p.path: (p.line, p.column) for p in locate_problems(validate_kitfile(load_kitfile(text)), text)
    }
    assert located["datasets[0].license"] == (4, 5)
    assert located["mcpServers[0].name"] == (6, 5)  # missing key: the entry itself
    assert located["mcpServers"] == (5, 1)


def test_a_20000_entry_kitfile_gets_every_problem_in_its_entry(tmp_path):
    """Large Kitfiles validate in time linear in their entries (docs/hardening.md); the answer is the
    same as for a small one: each problem at its own entry, none elsewhere."""
    from pathlib import Path

    from kitlab.server.documents import validate

    count = 20_000
    src = tmp_path / "src"
    src.mkdir()
    for i in range(count):
        (src / f"f{i}.py").write_bytes(b"x")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (src / "escape").symlink_to(outside)
    paths = [f"src/f{i}.py" for i in range(count)]
    paths[7] = "src/missing.py"
    paths[9_999] = "src/f3.py"  # the path of entry 3 again
    paths[12_345] = "src/escape"
    paths[15_000] = "/etc/passwd"
    paths[19_999] = "../x"
    lines = ["manifestVersion: 1.0.0", "package:", "  name: many", "code:"]
    lines += [f"  - path: {p}\n    license: MIT" for p in paths]
    text = "\n".join(lines) + "\n"

    problems = validate_kitfile(load_kitfile(text), tmp_path)
    assert sorted((p.path, p.severity, p.message) for p in problems) == [
        (
            "code[12345].path",
            "error",
            "'src/escape' leads outside the context directory through a symbolic link",
        ),
        ("code[15000].path", "error", "absolute paths are not supported in a Kitfile"),
        ("code[19999].path", "error", "'../x' leaves the context directory"),
        ("code[7].path", "error", "'src/missing.py' does not exist in the context directory"),
        (
            "code[9999].path",
            "error",
            "code[3].path uses the same path 'src/f3.py'; every layer needs its own path",
        ),
    ]

    # Without the mistakes the folder's form validates clean, the layer walk of 20,000 layers included.
    paths = [f"src/f{i}.py" for i in range(count)]
    lines = ["manifestVersion: 1.0.0", "package:", "  name: many", "code:"]
    lines += [f"  - path: {p}" for p in paths]
    answer = validate(Path(tmp_path), {"text": "\n".join(lines) + "\n"})
    assert answer["problems"] == []
    assert len(answer["kitfile"]["code"]) == count


def test_10000_layers_inside_10000_remote_datasets_each_name_their_own():
    """A layer is compared only with the remote datasets above it, not with all of them (that was
    10,000 × 10,000 comparisons: 48 CPU-s)."""
    count = 10_000
    lines = ["manifestVersion: 1.0.0", "package:", "  name: many", "datasets:"]
    lines += [f"  - path: d{i}\n    remotePath: reg.example/org/r{i}:v1" for i in range(count)]
    lines += ["  - path: .\n    remotePath: reg.example/org/everything:v1"]
    lines += ["code:"] + [f"  - path: d{i}/x" for i in range(count)]
    problems = validate_kitfile(load_kitfile("\n".join(lines) + "\n"))
    inside = [(p.path, p.message) for p in problems if "inside the path of the remote dataset" in p.message]
    assert len(inside) == 3 * count  # its own folder's dataset and the one at '.', for code and dataset
    assert inside[:2] == [  # in the datasets' order, as before
        ("code[0].path", "'d0/x' is inside the path of the remote dataset datasets[0].path"),
        ("code[0].path", "'d0/x' is inside the path of the remote dataset datasets[10000].path"),
    ]
    assert (
        "datasets[7].path",
        "'d7' is inside the path of the remote dataset datasets[10000].path",
    ) in inside
    assert not any(path == "datasets[10000].path" for path, _ in inside)  # '.' is not inside itself
