"""``kitlab scan`` and ``kitlab init``: `scan DIR --format json|yaml` prints the draft; `init DIR`
writes it, never overwriting an existing Kitfile without --force."""

from __future__ import annotations

import json

import joblib
import numpy as np
from sklearn.linear_model import LinearRegression

from kitlab.cli import main as scan_cli
from kitlab.kitfile.parse import load_kitfile
from kitlab.kitfile.yamlio import safe_load
from tests.support.layering import server_modules_loaded_by


def workspace(tmp_path):
    ws = tmp_path / "proj"
    ws.mkdir()
    x = np.arange(20, dtype=float).reshape(10, 2)
    joblib.dump(LinearRegression().fit(x, x[:, 0]), ws / "model")
    (ws / "train.py").write_text("import joblib\njoblib.dump(reg, 'model')\n")
    (ws / ".env").write_text("SECRET=1\n")
    return ws


def test_scan_prints_json_and_yaml(tmp_path, capsys):
    ws = workspace(tmp_path)
    assert scan_cli(["scan", str(ws), "--no-pins"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kitfile"]["model"]["path"] == "model"
    assert report["entries"][0]["reasons"][0] == "written by train.py line 2: `joblib.dump(reg, 'model')`"
    assert scan_cli(["scan", str(ws), "--format", "yaml", "--no-pins"]) == 0
    assert safe_load(capsys.readouterr().out)["kitfile"]["model"]["framework"] == "scikit-learn"


def test_init_writes_kitfile_and_kitignore_and_refuses_to_overwrite(tmp_path, capsys):
    ws = workspace(tmp_path)
    assert scan_cli(["init", str(ws), "--no-pins"]) == 0
    kf = load_kitfile((ws / "Kitfile").read_text())
    assert kf.model is not None
    assert (kf.model.path, kf.model.format) == ("model", "joblib")
    assert [c.path for c in kf.code] == ["train.py"]
    assert ".env" in (ws / ".kitignore").read_text().splitlines()
    (ws / "Kitfile").write_text("manifestVersion: 1.0.0\n")
    assert scan_cli(["init", str(ws), "--no-pins"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (ws / "Kitfile").read_text() == "manifestVersion: 1.0.0\n"
    assert scan_cli(["init", str(ws), "--force", "--no-pins"]) == 0
    assert load_kitfile((ws / "Kitfile").read_text()).model is not None


def test_scan_library_never_imports_the_server():
    assert server_modules_loaded_by("import kitlab.scan, kitlab.cli.scan") == []
