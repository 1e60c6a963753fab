"""Real docker-registry instances for the transfer tests (one per auth kind, shared by the session)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.registry import FaultProxy, RunningRegistry, run_registry


@pytest.fixture(scope="session")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningRegistry]]:
    base = tmp_path_factory.mktemp("transfer-registries")
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
    return registries["none"]


@pytest.fixture
def proxy_for() -> Iterator[Callable[[RunningRegistry], FaultProxy]]:
    proxies: list[FaultProxy] = []

    def make(reg: RunningRegistry) -> FaultProxy:
        proxy = FaultProxy(reg.host).__enter__()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.__exit__(None, None, None)
