"""The kitlab CLI against the same store as the kit CLI (real kit when installed, else kitref)."""

import json
import os

import pytest

from tests.support.cli import kitlab

KITFILE = """\
manifestVersion: 1.0.0
package:
  name: churn
  authors: [Data Team]
model:
  name: churn
  path: models/churn.joblib
  parameters: {threshold: 0.5, features: [tenure, charges]}
datasets:
  - name: train
    path: data/train.csv
code:
  - path: train.py
docs:
  - path: README.md
"""


@pytest.fixture
def context(tmp_path):
    root = tmp_path / "project"
    (root / "models").mkdir(parents=True)
    (root / "models" / "churn.joblib").write_bytes(os.urandom(4096))
    (root / "data").mkdir()
    (root / "data" / "train.csv").write_text("tenure,charges,churned\n1,20.5,0\n40,99.9,1\n")
    (root / "train.py").write_text("print('train')\n")
    os.chmod(root / "train.py", 0o755)
    (root / "README.md").write_text("# Churn\n")
    (root / "Kitfile").write_text(KITFILE)
    return root


def test_kitlab_pack_is_listed_inspected_and_unpacked_by_kit(capsys, kit, context, tmp_path):
    code, out, _ = kitlab(capsys, "pack", str(context), "-t", "churn:v1")
    assert code == 0
    digest = out.strip().removeprefix("Model saved: ")

    listed = json.loads(kit.run("list", "--format", "json").stdout)
    assert [(k["repo"], k["tags"], k["digest"]) for k in listed] == [("churn", ["v1"], digest)]
    assert json.loads(kit.run("inspect", "churn:v1").stdout)["digest"] == digest

    kit.run("unpack", "churn:v1", "-d", str(tmp_path / "out"))
    for name in ("models/churn.joblib", "data/train.csv", "train.py", "README.md"):
        assert (tmp_path / "out" / name).read_bytes() == (context / name).read_bytes()
    assert os.stat(tmp_path / "out" / "train.py").st_mode & 0o777 == 0o755


def test_a_kit_packed_by_kit_reads_the_same_through_kitlab(capsys, kit, context, tmp_path):
    kit.run("pack", str(context), "-t", "churn:v2")

    code, out, _ = kitlab(capsys, "inspect", "churn:v2")
    assert code == 0
    assert json.loads(out) == json.loads(kit.run("inspect", "churn:v2").stdout)

    code, out, _ = kitlab(capsys, "info", "churn:v2")
    assert out == kit.run("info", "churn:v2").stdout

    code, out, _ = kitlab(capsys, "unpack", "churn:v2", "-d", str(tmp_path / "out"))
    assert code == 0
    assert (tmp_path / "out" / "models" / "churn.joblib").read_bytes() == (
        context / "models" / "churn.joblib"
    ).read_bytes()
    assert (tmp_path / "out" / "Kitfile").read_text() == kit.run("info", "churn:v2").stdout


def test_list_tag_and_remove(capsys, context):
    kitlab(capsys, "pack", str(context), "-t", "churn:v1")
    assert kitlab(capsys, "tag", "churn:v1", "churn:prod")[0] == 0
    _, out, _ = kitlab(capsys, "list", "--format", "json")
    assert sorted(json.loads(out)[0]["tags"]) == ["prod", "v1"]
    _, out, _ = kitlab(capsys, "list")
    assert out.splitlines()[0].split() == ["REPOSITORY", "TAG", "MAINTAINER", "NAME", "SIZE", "DIGEST"]
    assert "Data Team" in out
    assert kitlab(capsys, "remove", "churn:v1")[0] == 0
    _code, out, _ = kitlab(capsys, "list", "--format", "json")
    assert json.loads(out)[0]["tags"] == ["prod"]


def test_plan_lists_layers_and_writes_nothing(capsys, context, kitops_home):
    code, out, _ = kitlab(capsys, "pack", str(context), "--plan")
    assert code == 0
    kinds = [line.split()[0] for line in out.splitlines()]
    assert kinds == ["model", "code", "dataset", "docs"]
    assert not (kitops_home / "storage" / "blobs").exists() or not any(
        (kitops_home / "storage" / "blobs").rglob("*")
    )


def test_errors_are_one_line_on_stderr_with_exit_1(capsys, tmp_path):
    code, _out, err = kitlab(capsys, "pack", str(tmp_path / "missing"))
    assert code == 1
    assert err.startswith("Error: ")
    assert "does not exist" in err
    code, _, err = kitlab(capsys, "unpack", "nope:v1", "-d", str(tmp_path / "x"))
    assert code == 1
    assert err.startswith("Error: ")
