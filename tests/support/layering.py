"""The layering rule as the tests check it: the library and the CLI never load the Jupyter server
(tornado, jupyter_server), checked in a fresh interpreter so that nothing this test run imported counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVER_PACKAGES = ("tornado", "jupyter_server")


def server_modules_loaded_by(code: str) -> list[str]:
    """Run ``code`` (imports) in a new Python; the server modules loaded by then, sorted."""
    probe = (
        f"{code}\n"
        "import json, sys\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {SERVER_PACKAGES!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(result.stdout.splitlines()[-1])
