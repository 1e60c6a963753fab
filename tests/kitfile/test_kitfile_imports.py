"""kitlab.kitfile is a pure library: importing it must not pull in the Jupyter server."""

from __future__ import annotations

import subprocess
import sys


def test_kitfile_does_not_import_server_modules():
    code = (
        "import sys, kitlab.kitfile\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tornado', 'jupyter_server'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
