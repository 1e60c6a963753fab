"""Pinned requirements come from the notebook's kernel environment, not the server's."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from test_scan_notebooks import notebook

from kitlab.scan.requirements import kernel_python, pinned_requirements
from kitlab.scan.types import ScanLimits
from kitlab.scan.workspace import scan_workspace


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    """A real virtualenv with one installed distribution (pandas 0.0.1, as dist-info metadata) and a
    kernelspec 'kenv' that launches its interpreter."""
    venv = tmp_path / "kenv"
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    dist = site / "pandas-0.0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pandas\nVersion: 0.0.1\n")
    (dist / "top_level.txt").write_text("pandas\n")
    spec_dir = tmp_path / "jupyter" / "kernels" / "kenv"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "kenv",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return venv


def test_kernel_interpreter_is_found_from_the_kernelspec(kernel_env):
    assert kernel_python("kenv") == str(kernel_env / "bin" / "python")
    assert kernel_python("no-such-kernel") is None


def test_versions_come_from_the_kernel_environment(kernel_env):
    text, warnings = pinned_requirements({"pandas", "sklearn", "dotenv", "os", "mylib"}, {"mylib"}, "kenv")
    lines = text.splitlines()
    assert lines[0].startswith(
        f"# Pinned by kitlab from the modules the notebooks import; versions from "
        f"kernel 'kenv' ({kernel_env / 'bin' / 'python'})"
    )
    assert "pandas==0.0.1" in lines  # the server's pandas is a different version
    # Named as pip installs them (issue 20): `import dotenv` comes from python-dotenv.
    missing = "python-dotenv (import dotenv), scikit-learn (import sklearn)"
    assert lines[-1] == f"# not installed there (add by hand): {missing}"
    assert warnings == [f"imported but not installed in the kernel's environment: {missing}"]


def test_unknown_kernel_falls_back_to_the_server_interpreter(tmp_path):
    import sklearn

    text, warnings = pinned_requirements({"sklearn"}, set(), "gone")
    assert f"scikit-learn=={sklearn.__version__}" in text.splitlines()
    assert "server interpreter" in text.splitlines()[0]
    assert warnings
    assert "kernel 'gone' was not found" in warnings[0]


def test_scan_offers_requirements_for_the_notebooks_kernel(tmp_path, kernel_env):
    ws = tmp_path / "ws"
    notebook(ws / "a.ipynb", "import pandas as pd\nimport helpers\n", kernel="kenv")
    (ws / "helpers.py").write_text("import os\n")
    report = scan_workspace(ws, ws, limits=ScanLimits())
    assert "pandas==0.0.1" in report.requirements.splitlines()
    assert "helpers" not in report.requirements  # a workspace module, not a distribution
