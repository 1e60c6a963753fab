"""Helpers shared by the transfer tests (plain functions; fixtures live in conftest.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from kitlab.modelkit.registry import Remote
from tests.registry._helpers import FAST_RETRY, credential_of
from tests.support.registry import FaultProxy, RunningRegistry
from tests.support.workspace import write_context

MiB = 1 << 20

KITFILE = """\
manifestVersion: 1.0.0
package:
  name: demo
  authors: [ann]
model:
  name: m
  path: models/w.bin
datasets:
  - name: train
    path: data
docs:
  - path: README.md
"""


def make_context(root: Path, *, model_bytes: int = 256 * 1024, kitfile: str = KITFILE) -> Path:
    """A small project: a random model file, a dataset dir and a README."""
    files = {
        "models/w.bin": os.urandom(model_bytes),
        "data/a.csv": b"x,y\n1,2\n",
        "data/sub/b.csv": b"x,y\n3,4\n",
        "README.md": b"# demo\n",
    }
    return write_context(root, files, kitfile)


def remote_kw(reg: RunningRegistry, **extra: Any) -> dict[str, Any]:
    """``remote=`` for push/pull/pack_and_push on a test registry (plain HTTP, fast retries); ``extra``
    sets other ``Remote`` fields."""
    options = {"plain_http": True, "credentials": credential_of(reg), "retries": FAST_RETRY, **extra}
    return {"remote": Remote(**options)}


def skopeo_raw(reg: RunningRegistry, reference: str) -> bytes:
    skopeo = shutil.which("skopeo")
    assert skopeo, "skopeo is required (apt-get install skopeo)"
    cmd = [skopeo, "inspect", "--raw", "--tls-verify=false", f"docker://{reference}"]
    if reg.creds:
        cmd[2:2] = ["--creds", reg.creds]
    return subprocess.run(cmd, capture_output=True, check=True, timeout=30).stdout


def upload_requests(proxy: FaultProxy) -> list[tuple[str, str]]:
    """Requests that carry blob bytes (monolithic PUT or PATCH to an upload session)."""
    return [
        (m, p)
        for m, p in proxy.requests
        if m in ("PUT", "PATCH") and "/blobs/uploads/" in p and "mount=" not in p
    ]


def temp_files(home: Path) -> list[Path]:
    """Anything left in the store's temp dir (downloads in progress, blobs being written)."""
    tmp = home / "storage" / ".kitlab-tmp"
    return sorted(tmp.iterdir()) if tmp.is_dir() else []
