"""The version handshake endpoint, through a real Jupyter server with kitlab loaded."""

import json
import os
import re
from pathlib import Path

import kitlab

ROOT = Path(__file__).resolve().parents[1]


async def test_version_reports_package_version_and_kits_store(jp_fetch):
    response = await jp_fetch("kitlab", "version")
    assert response.code == 200
    body = json.loads(response.body)
    assert body["version"] == kitlab.__version__
    assert body["apiVersion"] == 1
    # The store is kit's: $KITOPS_HOME/storage (the autouse fixture points KITOPS_HOME at a temp dir).
    assert body["store"] == str(Path(os.environ["KITOPS_HOME"]) / "storage")


def test_python_and_frontend_versions_agree():
    package = json.loads((ROOT / "package.json").read_text())
    frontend = re.search(r"FRONTEND_VERSION = '([^']+)'", (ROOT / "src" / "_version.ts").read_text())
    assert frontend is not None
    assert package["version"] == kitlab.__version__ == frontend.group(1)
