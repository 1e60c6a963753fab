"""Shared fixtures: a Jupyter server with kitlab and authentication on, isolation of every user-level
directory kit or Docker would touch, and the real external components (registry, kit oracle)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.kit import KitCLI, build_kitref, find_real_kit
from tests.support.registry import FaultProxy, RunningRegistry, run_registry

pytest_plugins = ("pytest_jupyter.jupyter_server",)


def pytest_report_header() -> str:
    real = find_real_kit()
    if real is not None:
        return f"kit CLI under test: {real}"
    return (
        "kit CLI under test: tools/kitref (the real kit is not installable here; kitref implements kit "
        "v1.7.0's pack/unpack on kit's own libraries)"
    )


def require_executable(name: str) -> str:
    """The path of a program the tests need. Missing means the test FAILS: the project's own setup
    (`make test`) installs every component, so absence is a broken setup, never a reason to skip."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"required program {name!r} is not on PATH; run `make test` to install it")
    return path


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point kit's home, XDG data and Docker's config at fresh temp dirs so no test reads or writes
    the developer's real store or credentials."""
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("KITOPS_HOME", str(base / "kitops"))
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "xdg-data"))
    monkeypatch.setenv("DOCKER_CONFIG", str(base / "docker"))
    return base


@pytest.fixture
def kitops_home() -> Path:
    return Path(os.environ["KITOPS_HOME"])


@pytest.fixture(scope="session")
def kitref_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tools/kitref, built once per run (Go must be installed: a missing toolchain fails the tests)."""
    return build_kitref(tmp_path_factory.mktemp("kitref-bin"))


@pytest.fixture(scope="session")
def kit(kitref_bin: Path) -> KitCLI:
    """The kit CLI for interop tests: the real one when installed, else the kitref oracle."""
    real = find_real_kit()
    return KitCLI(real, "kit") if real is not None else KitCLI(kitref_bin, "kitref")


@pytest.fixture(scope="session")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningRegistry]]:
    """Real docker-registry instances, one per auth kind (none, htpasswd, token), for the session."""
    base = tmp_path_factory.mktemp("registries")
    with (
        run_registry("none", base / "none") as plain,
        run_registry("htpasswd", base / "htpasswd") as basic,
        run_registry("token", base / "token") as token,
    ):
        yield {"none": plain, "htpasswd": basic, "token": token}


@pytest.fixture(params=["none", "htpasswd", "token"])
def registry(request: pytest.FixtureRequest, registries: dict[str, RunningRegistry]) -> RunningRegistry:
    return registries[request.param]


@pytest.fixture
def plain_registry(registries: dict[str, RunningRegistry]) -> RunningRegistry:
    """The session's registry without authentication."""
    return registries["none"]


@pytest.fixture
def proxy_for() -> Iterator[Callable[[RunningRegistry], FaultProxy]]:
    """Fault-injecting proxies in front of a registry, closed after the test."""
    proxies: list[FaultProxy] = []

    def make(reg: RunningRegistry) -> FaultProxy:
        proxy = FaultProxy(reg.host).__enter__()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.__exit__(None, None, None)


@pytest.fixture
def jp_server_config(jp_server_config: dict) -> dict:
    return {
        "ServerApp": {
            "jpserver_extensions": {"kitlab": True},
            # Every kitlab endpoint must demand authentication; this turns a forgotten decorator into a 403.
            "allow_unauthenticated_access": False,
        }
    }
