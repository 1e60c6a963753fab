"""scripts/demo_workspace.py as a user first runs it: `--help` prints the usage and creates nothing."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "demo_workspace.py"


def test_help_prints_usage_and_creates_no_folder(tmp_path):
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "Usage: python scripts/demo_workspace.py DEST" in run.stderr
    assert list(tmp_path.iterdir()) == []
