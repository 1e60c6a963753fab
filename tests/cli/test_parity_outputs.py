"""Outputs a script may parse, byte for byte as kit prints them: ``list`` (table, JSON, templates),
``inspect`` and ``info`` (with ``--filter``), local and ``--remote``. Compared with kitref where it has
the verb; where it has not (remote listing, ``--filter``, templates), kit's expected output is recorded
from its source, as each test says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kitlab.cli.main import kit_size
from tests.support.cli import kitlab

KITFILE = """\
manifestVersion: 1.0.0
package:
  name: modèle-é
  authors: [Zoë <z@example.org>]
model:
  path: models/w.bin
  parameters: {alpha: 1.5, steps: 1000000}
"""


@pytest.fixture
def context(tmp_path: Path) -> Path:
    root = tmp_path / "ctx"
    (root / "models").mkdir(parents=True)
    # 1,150,000 bytes: 1.097 MiB, which kit shows rounded down as 1.0 MiB.
    (root / "models/w.bin").write_bytes(bytes(range(256)) * 4492 + bytes(48))
    (root / "Kitfile").write_text(KITFILE)
    return root


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1_150_000, "1.0 MiB"), (1024**2 - 1, "1023.9 KiB")],
)
def test_sizes_round_down_like_kit(size: int, text: str) -> None:
    assert kit_size(size) == text


def test_list_table_and_json_are_kits_bytes(capsys, kit, context):
    assert (context / "models/w.bin").stat().st_size == 1_150_000
    assert kitlab(capsys, "pack", str(context), "-t", "a:v1")[0] == 0
    assert kitlab(capsys, "pack", str(context), "-t", "longer-repository/name:v2,v3")[0] == 0

    code, out, _ = kitlab(capsys, "list")
    assert code == 0
    assert out == kit.run("list").stdout
    assert "   1.0 MiB   " in out  # tabwriter's three spaces of padding; rounded down
    _, out, _ = kitlab(capsys, "list", "--format", "json")
    assert out == kit.run("list", "--format", "json").stdout
    assert '"modelName": "modèle-é"' in out  # UTF-8, not \u escapes
    assert '"author": "Zoë \\u003cz@example.org\\u003e"' in out  # Go escapes < > & in JSON


def test_list_json_writes_none_where_kit_does(capsys, kit, tmp_path):
    root = tmp_path / "bare"
    root.mkdir()
    (root / "w.bin").write_bytes(b"x")
    (root / "Kitfile").write_text("manifestVersion: 1.0.0\nmodel:\n  path: w.bin\n")
    assert kitlab(capsys, "pack", str(root))[0] == 0  # untagged, no name, no author
    _, out, _ = kitlab(capsys, "list", "--format", "json")
    assert out == kit.run("list", "--format", "json").stdout
    (row,) = json.loads(out)
    assert (row["repo"], row["tags"], row["modelName"], row["author"]) == ("<none>", None, "<none>", "<none>")


def test_inspect_and_info_are_kits_bytes(capsys, kit, context):
    assert kitlab(capsys, "pack", str(context), "-t", "a:v1")[0] == 0
    assert kitlab(capsys, "inspect", "a:v1")[1] == kit.run("inspect", "a:v1").stdout
    _, out, _ = kitlab(capsys, "info", "a:v1")
    assert out == kit.run("info", "a:v1").stdout
    assert "steps: 1e+06" in out  # the config's numbers are float64 in kit
    # unpack writes the same Kitfile as kit's unpack does (kit info's YAML).
    kit.run("unpack", "a:v1", "-d", str(context.parent / "kit-out"), "--filter", "kitfile")
    assert kitlab(capsys, "unpack", "a:v1", "-d", str(context.parent / "out"), "--filter", "kitfile")[0] == 0
    assert (context.parent / "out/Kitfile").read_bytes() == (context.parent / "kit-out/Kitfile").read_bytes()


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        # kit's info --filter: reflect over its KitFile struct by title-cased field name, then yaml.v3.
        (".model.path", "models/w.bin\n"),
        ("package.name", "modèle-é\n"),
        ("package.authors", "- Zoë <z@example.org>\n"),  # the slice alone: block style
        ("package", "name: modèle-é\nauthors: [Zoë <z@example.org>]\n"),
        ("model.parameters", "alpha: 1.5\nsteps: 1e+06\n"),
        ("package.license", '""\n'),  # an empty field is Go's zero value
        ("code", "[]\n"),
    ],
)
def test_info_filter_prints_one_field_as_kit(capsys, context, selector, expected):
    assert kitlab(capsys, "pack", str(context), "-t", "a:v1")[0] == 0
    code, out, err = kitlab(capsys, "info", "a:v1", "--filter", selector)
    assert (code, out) == (0, expected), err


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("datasets", "cannot find required node"),  # kit's Go field is DataSets
        ("code[0]", "array access using '[]' is not currently supported"),
        ("model..path", "invalid filter"),
    ],
)
def test_info_filter_refuses_what_kit_refuses(capsys, context, selector, message):
    assert kitlab(capsys, "pack", str(context), "-t", "a:v1")[0] == 0
    code, _, err = kitlab(capsys, "info", "a:v1", "--filter", selector)
    assert code == 1
    assert message in err


def test_list_template_prints_a_line_per_kit(capsys, context):
    assert kitlab(capsys, "pack", str(context), "-t", "a:v1,v2")[0] == 0
    code, out, _ = kitlab(capsys, "list", "--format", "{{.Repo}} {{ .Tags }} {{.Size}} {{.Author}}")
    assert (code, out) == (0, "a [v1 v2] 1.0 MiB Zoë <z@example.org>\n")  # Go prints []string as [a b]
    code, _, err = kitlab(capsys, "list", "--format", "{{range .}}{{.Repo}}{{end}}")
    assert code == 1
    assert "{{.Field}} only" in err


def test_remote_list_inspect_and_info_read_without_pulling(
    capsys, kit, context, tmp_path, kitops_home, plain_registry
):
    repo = f"{plain_registry.host}/cli/outkit"
    assert kitlab(capsys, "pack", str(context), "-t", f"{repo}:v1,v2")[0] == 0
    assert kitlab(capsys, "push", f"{repo}:v1", "--plain-http")[0] == 0
    assert kitlab(capsys, "push", f"{repo}:v1", f"{repo}:v2", "--plain-http")[0] == 0
    local_inspect = kitlab(capsys, "inspect", f"{repo}:v1")[1]
    local_info = kitlab(capsys, "info", f"{repo}:v1")[1]
    digest = json.loads(local_inspect)["digest"]
    assert kitlab(capsys, "remove", f"{repo}:v1", "--force")[0] == 0
    blobs = kitops_home / "storage/blobs/sha256"
    before = sorted(p.name for p in blobs.iterdir()) if blobs.exists() else []

    # kit's remote rows: REPOSITORY is the repository without the registry, one row per tag.
    code, out, err = kitlab(capsys, "list", repo, "--plain-http")
    assert code == 0, err
    assert out == (
        "REPOSITORY   TAG   MAINTAINER            NAME       SIZE      DIGEST\n"
        f"cli/outkit   v1    Zoë <z@example.org>   modèle-é   1.0 MiB   {digest}\n"
        f"cli/outkit   v2    Zoë <z@example.org>   modèle-é   1.0 MiB   {digest}\n"
    )
    code, out, _ = kitlab(capsys, "list", f"{repo}:v2", "--plain-http", "--format", "json")
    assert json.loads(out) == [
        {
            "repo": "cli/outkit",
            "digest": digest,
            "tags": ["v2"],
            "modelName": "modèle-é",
            "size": "1.0 MiB",
            "author": "Zoë <z@example.org>",
        }
    ]
    assert kitlab(capsys, "inspect", "--remote", f"{repo}:v1", "--plain-http")[1] == local_inspect
    assert kitlab(capsys, "info", "-r", f"{repo}:v1", "--plain-http")[1] == local_info
    assert kitlab(capsys, "info", "-r", f"{repo}:v1", "--plain-http", "-f", ".package.name")[1] == (
        "modèle-é\n"
    )
    after = sorted(p.name for p in blobs.iterdir()) if blobs.exists() else []
    assert after == before  # nothing was pulled

    code, _, err = kitlab(capsys, "inspect", "--remote", "a:v1")
    assert code == 1
    assert "does not contain registry" in err
