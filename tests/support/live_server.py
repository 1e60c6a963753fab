"""A real ``jupyter server`` process with kitlab, token auth and a temp root, for tests and benchmarks
that need the server as a separate process (schemathesis, latency measurements)."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import requests

from tests.support.registry import free_port


@contextlib.contextmanager
def live_jupyter_server(root: Path, work: Path, extra_args: Sequence[str] = ()) -> Iterator[tuple[str, str]]:
    """Yield ``(url, token)`` of a server on a free loopback port serving ``root``; kit's home and
    Jupyter's data, runtime and config dirs live under ``work``. Stopped (and reaped) on exit."""
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "KITOPS_HOME": str(work / "kitops-home"),
        "JUPYTER_DATA_DIR": str(work / "jdata"),
        "JUPYTER_RUNTIME_DIR": str(work / "jrt"),
        "JUPYTER_CONFIG_DIR": str(work / "jconfig"),
    }
    log_path = work / "server.log"
    work.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:  # a file, not a pipe: an unread pipe blocks the server once full
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--no-browser",
                f"--port={port}",
                "--ip=127.0.0.1",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root}",
                "--ServerApp.allow_unauthenticated_access=False",
                "--ServerApp.port_retries=0",
                "--allow-root",
                *extra_args,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(requests.ConnectionError):
                    headers = {"Authorization": f"token {token}"}
                    if requests.get(f"{url}/kitlab/version", headers=headers, timeout=2).ok:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"jupyter server did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.1)
            yield url, token
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
