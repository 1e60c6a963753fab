"""Fixtures for the trust tests: the real cosign CLI (installed by `make test`, scripts/install_go_tools.sh),
offline, and small kits pushed to the session's plain docker-registry (distribution 2.8)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.registry import RunningRegistry
from tests.trust._helpers import Cosign, kitlab


@pytest.fixture
def cosign(tmp_path: Path) -> Cosign:
    """The real cosign; missing means the setup is broken: the test fails, in CI and everywhere."""
    binary = shutil.which("cosign")
    if binary is None:
        pytest.fail("cosign is not on PATH; `make test` installs it (scripts/install_go_tools.sh)")
    home = tmp_path / "cosign-home"
    home.mkdir()
    return Cosign(binary, home)


@pytest.fixture
def plain_registry(registries: dict[str, RunningRegistry]) -> RunningRegistry:
    return registries["none"]


@pytest.fixture
def push_kit(
    tmp_path: Path, plain_registry: RunningRegistry, capsys: pytest.CaptureFixture[str]
) -> Callable[[str, str], str]:
    """Pack a tiny kit straight to the registry (nothing in the local store); returns the reference."""

    def push(repository: str, content: str = "weights") -> str:
        project = tmp_path / f"project-{repository.replace('/', '-')}-{len(content)}"
        project.mkdir()
        (project / "model.bin").write_text(content)
        (project / "Kitfile").write_text(
            "manifestVersion: 1.0.0\npackage:\n  name: tiny\nmodel:\n  name: tiny\n  path: model.bin\n"
        )
        ref = f"{plain_registry.host}/{repository}:v1"
        code, _, err = kitlab(capsys, "pack", str(project), "-t", ref, "--push", "--plain-http")
        assert code == 0, err
        return ref

    return push
