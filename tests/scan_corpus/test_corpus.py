"""Issue 15's evidence: the scanner's drafts of the corpus (``workspaces.py``) scored against the
hand-written expected Kitfiles, and every draft packed and unpacked by the kit CLI (kitref here)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from kitlab.kitfile import load_kitfile
from kitlab.kitfile.validate import validate_kitfile
from kitlab.kitfile.yamlio import safe_dump
from kitlab.scan.init import init_workspace
from kitlab.scan.types import ScanLimits
from tests.scan_corpus.kitinit import kit_init_draft
from tests.scan_corpus.scorer import expected_tree, figures, report, score, score_all
from tests.scan_corpus.workspaces import WORKSPACES
from tests.support.kit import KitCLI

Corpus = dict[str, tuple[Path, dict[str, Any]]]
Drafts = dict[str, tuple[dict[str, Any], str]]


def test_every_expected_kitfile_is_a_valid_kitfile_of_its_workspace(corpus: Corpus) -> None:
    assert len(corpus) >= 40
    for name, (ws, expected) in corpus.items():
        kitfile = {k: v for k, v in expected.items() if k != "unpacked_without"}
        loaded = load_kitfile(safe_dump({"manifestVersion": "1.0.0", **kitfile}), source=name)
        errors = [p for p in validate_kitfile(loaded, ws) if p.severity == "error"]
        assert not errors, (name, [str(e) for e in errors])


def test_scanner_meets_the_issue_15_targets(corpus: Corpus, drafts: Drafts) -> None:
    scores = score_all(corpus, drafts)
    lines: list[str] = []
    report(scores, lines.append)
    ours = figures(scores)
    standin = figures([score(n, ws, exp, kit_init_draft(ws), "") for n, (ws, exp) in corpus.items()])
    print(f"\nkitlab scan: {ours.line()}\nkit init stand-in: {standin.line()}\n" + "\n".join(lines))
    assert ours.leaks == 0, lines
    assert ours.recall >= 0.95, lines
    assert ours.main_model >= 0.95, lines
    assert ours.framework >= 0.95, lines
    assert ours.precision >= 0.95, lines
    # kit init's suffix rules on the same corpus: the comparison the issue asks for, checked both ways.
    assert standin.recall < ours.recall
    assert standin.main_model < ours.main_model


@pytest.mark.parametrize("name", sorted(WORKSPACES))
def test_drafted_kitfile_packs_and_unpacks_to_the_expected_tree(
    name: str, corpus: Corpus, drafts: Drafts, kit: KitCLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, expected = corpus[name]
    ws = tmp_path / "root" / name  # a copy (times kept): the shared corpus stays as the scorer saw it
    shutil.copytree(source, ws, symlinks=True)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    init_workspace(ws, ws.parent, force=True, limits=ScanLimits(pinned_requirements=False))
    tag = f"corpus-{name}:v1"
    kit.run("pack", str(ws), "-t", tag)
    out = tmp_path / "unpacked"
    kit.run("unpack", tag, "-d", str(out))
    unpacked = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"Kitfile"}
    want = expected_tree(ws, expected)
    assert unpacked == want, json.dumps(
        {"missing": sorted(want - unpacked), "unexpected": sorted(unpacked - want)}, indent=1
    )


def test_modelpack_metadata_and_run_facts_reach_the_kitfile(drafts: Drafts) -> None:
    """What the sniffers read lands in model.parameters (kit keeps it as free YAML) and the description."""
    gguf = drafts["gguf-export"][0]["model"]
    # token_embd: 256 × 8 weights in Q4_K; output_norm: 256 F32 weights; general.file_type 15.
    assert gguf["parameters"] == {
        "format": "gguf",
        "architecture": "llama",
        "paramSize": "2.3K",
        "parameterCount": 256 * 8 + 256,
        "precision": "Q4_K",
        "quantization": "Q4_K_M",
    }
    hf = drafts["hf-finetune"][0]["model"]["parameters"]
    assert hf["architecture"] == "DistilBertForSequenceClassification"
    assert (hf["parameterCount"], hf["precision"]) == (64 * 16 + 2 * 16, "float32")
    sharded = drafts["sharded-safetensors"][0]["model"]["parameters"]
    assert (sharded["parameterCount"], sharded["precision"]) == (2 * 128 * 32, "bfloat16")
    unet = drafts["safetensors-plain"][0]["model"]["parameters"]
    assert (unet["parameterCount"], unet["precision"]) == (2 * 32 * 16, "float16")
    mlflow = drafts["mlflow-run"][0]["model"]
    run = mlflow["parameters"]["run"]
    assert run["tracker"] == "MLflow"
    assert run["run_id"] == "3f2a9c1d7e6b4a5f8c0d1e2f3a4b5c6d"
    assert run["params"] == {"max_depth": "2", "n_estimators": "3"}
    assert run["metrics"] == {"accuracy": 0.93}
    assert "from MLflow run 3f2a9c-run" in mlflow["description"]
    registered = drafts["mlflow-registry"][0]["model"]["parameters"]
    assert registered["registered"] == "registered model churn-classifier version 1"
    yolo = drafts["ultralytics-run"][0]["model"]["parameters"]["run"]
    assert yolo["params"]["data"] == "data.yaml"
    assert yolo["metrics"] == {"metrics/mAP50(B)": 0.61}
