"""Real docker-registry instances (one per auth kind, shared by the session) and fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.registry._helpers import Blob, make_blob
from tests.support.registry import FaultProxy, RunningRegistry, run_registry


@pytest.fixture(scope="session")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningRegistry]]:
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
def basic_registry(registries: dict[str, RunningRegistry]) -> RunningRegistry:
    return registries["htpasswd"]


@pytest.fixture
def token_registry(registries: dict[str, RunningRegistry]) -> Iterator[RunningRegistry]:
    reg = registries["token"]
    assert reg.issuer is not None
    yield reg
    reg.issuer.ttl, reg.issuer.advertised_expires_in, reg.issuer.allowed_actions = 300, None, None


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


@pytest.fixture
def blob_factory(tmp_path: Path) -> Callable[[int], Blob]:
    counter = iter(range(1000))

    def make(size: int) -> Blob:
        return make_blob(tmp_path / f"blob-{next(counter)}.bin", size)

    return make
