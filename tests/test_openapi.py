"""The OpenAPI document (kitlab/server/openapi.yaml) against the live server: a schemathesis run must find
no 500s and no response that breaks the documented schema.

The server is a real `jupyter server` process with authentication on. allowed_registries is set to a
loopback address nothing listens on, so fuzzed logins and pulls are refused before any traffic
leaves the machine.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.live_server import live_jupyter_server

SPEC = Path(__file__).resolve().parents[1] / "kitlab" / "server" / "openapi.yaml"


@pytest.fixture
def live_server(tmp_path):
    root = tmp_path / "root"
    (root / "project" / "models").mkdir(parents=True)
    (root / "project" / "models" / "m.bin").write_bytes(b"weights")
    (root / "project" / "Kitfile").write_text("manifestVersion: 1.0.0\nmodel:\n  path: models/m.bin\n")
    # One value per flag (traitlets' command line); a bracketed list would be one bogus host, which
    # Kitlab.allowed_registries now refuses at start.
    allowed = "--Kitlab.allowed_registries=127.0.0.1:9"
    with live_jupyter_server(root, tmp_path / "server", extra_args=[allowed]) as server:
        yield server


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
