"""Fixtures for the trust tests: the real cosign CLI (installed by `make test`, scripts/install_go_tools.sh),
offline, and small kits pushed to the session's plain docker-registry (distribution 2.8)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli import kitlab
from tests.support.registry import RunningRegistry
from tests.trust._helpers import Cosign, tiny_project


@pytest.fixture
def cosign(tmp_path: Path) -> Cosign:
    """The real cosign; missing means the setup is broken: the test fails, in CI and everywhere."""
    binary = shutil.which("cosign")
    if binary is None:
        pytest.fail("cosign is not on PATH; `make test` installs it (scripts/install_go_tools.sh)")
    home = tmp_path / "cosign-home"
    home.mkdir()
    return Cosign(binary, home)


@pytest.fixture(scope="module")
def referrers_registry() -> Iterator[str]:
    """An OCI registry with the referrers API (tools/ociregistry, in memory); yields ``host:port``."""
    binary = shutil.which("ociregistry")
    if binary is None:
        pytest.fail("ociregistry is not on PATH; `make test` builds it (tools/ociregistry/build.sh)")
    process = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "listening on 127.0.0.1:PORT", once it accepts connections
        assert line.startswith("listening on "), f"ociregistry did not start: {line!r}"
        yield line.split()[-1]
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def push_kit(
    tmp_path: Path, plain_registry: RunningRegistry, capsys: pytest.CaptureFixture[str]
) -> Callable[[str, str], str]:
    """Pack a tiny kit straight to the registry (nothing in the local store); returns the reference."""

    def push(repository: str, content: str = "weights", host: str | None = None) -> str:
        project = tiny_project(tmp_path / f"project-{repository.replace('/', '-')}-{len(content)}", content)
        ref = f"{host or plain_registry.host}/{repository}:v1"
        code, _, err = kitlab(capsys, "pack", str(project), "-t", ref, "--push", "--plain-http")
        assert code == 0, err
        return ref

    return push
