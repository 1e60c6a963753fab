"""The OpenAPI document (kitlab/openapi.yaml) against the live server: a schemathesis run must find
no 500s and no response that breaks the documented schema.

The server is a real `jupyter server` process with authentication on. allowed_registries is set to a
loopback address nothing listens on, so fuzzed logins and pulls are refused before any traffic
leaves the machine.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

SPEC = Path(__file__).resolve().parents[1] / "kitlab" / "openapi.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(tmp_path):
    root = tmp_path / "root"
    (root / "project" / "models").mkdir(parents=True)
    (root / "project" / "models" / "m.bin").write_bytes(b"weights")
    (root / "project" / "Kitfile").write_text("manifestVersion: 1.0.0\nmodel:\n  path: models/m.bin\n")
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
    }
    # The log goes to a file: a pipe nobody reads would block the server once it fills.
    log = (tmp_path / "server.log").open("wb")
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
            "--Kitlab.allowed_registries=['127.0.0.1:9']",
            "--allow-root",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if requests.get(
                    f"{url}/kitlab/version", headers={"Authorization": f"token {token}"}, timeout=1
                ).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise AssertionError(
                f"jupyter server did not start: {(tmp_path / 'server.log').read_text()[-2000:]}"
            )
        yield url, token
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_the_api_matches_its_openapi_document(live_server, tmp_path):
    url, token = live_server
    # schemathesis is a test dependency of this venv; its CLI sits beside the interpreter.
    st = Path(sys.executable).with_name("st")
    assert st.exists(), "schemathesis is missing: run `make test` to install the test dependencies"
    result = subprocess.run(
        [
            st,
            "run",
            str(SPEC),
            "--url",
            f"{url}/kitlab",
            "-H",
            f"Authorization: token {token}",
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance",
            "--max-examples",
            "15",
            "--workers",
            "1",
            "--seed",
            "1",
            "--phases",
            "examples,coverage,fuzzing",
            "--warnings",
            "off",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
