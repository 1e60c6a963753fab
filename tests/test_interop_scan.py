"""Every Kitfile kitlab drafts is one the kit CLI packs (real kit when installed, else kitref)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from kitlab.cli import main
from kitlab.kitfile import load_kitfile_file
from scripts import demo_workspace  # the demo workspace the README's first command creates
from tests.scan.scanfiles import write_gguf, write_hf_folder


@pytest.fixture
def demo(tmp_path):
    demo_workspace.create(tmp_path / "demo")
    return tmp_path / "demo"


@pytest.fixture
def llm_workspace(tmp_path):
    ws = tmp_path / "llm"
    write_hf_folder(ws / "checkpoint")
    (ws / "export").mkdir()
    write_gguf(ws / "export" / "model-q4.gguf")
    (ws / "data").mkdir()
    pd.DataFrame({"prompt": ["hi", "bye"], "answer": ["hello", "goodbye"]}).to_parquet(
        ws / "data" / "sft.parquet"
    )
    (ws / ".env").write_text("HF_TOKEN=hf_" + "a" * 34 + "\n")
    (ws / ".venv" / "lib").mkdir(parents=True)
    (ws / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (ws / "README.md").write_text("# Tiny LLM\n\nA fine-tuned tiny model.\n")
    return ws


@pytest.mark.parametrize("workspace", ["demo", "llm_workspace"])
def test_kit_packs_the_drafted_kitfile(workspace, request, kit, tmp_path, capsys):
    ws = request.getfixturevalue(workspace)
    assert main(["init", str(ws), "--no-pins"]) == 0
    capsys.readouterr()

    kit.run("pack", str(ws), "-t", f"{workspace.replace('_', '-')}:v1")
    listed = json.loads(kit.run("list", "--format", "json").stdout)
    assert [k["tags"] for k in listed] == [["v1"]]

    out = tmp_path / "unpacked"
    kit.run("unpack", f"{workspace.replace('_', '-')}:v1", "-d", str(out))
    unpacked = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert ".env" not in unpacked, "a file holding a secret must never be packed"
    assert not any(name.startswith(".venv/") for name in unpacked)
    # Every path the draft names comes back out of kit's unpack.
    drafted = load_kitfile_file(ws / "Kitfile")
    paths = [drafted.model.path, *(p.path for p in drafted.model.parts)] if drafted.model else []
    paths += [e.path for e in (*drafted.datasets, *drafted.code, *drafted.docs)]
    assert paths
    for path in paths:
        assert path in unpacked or any(name.startswith(path.rstrip("/") + "/") for name in unpacked), path
    if workspace == "demo":
        assert {"models/churn.joblib", "models/scaler.joblib", "data/churn.csv", "train.ipynb"} <= unpacked
