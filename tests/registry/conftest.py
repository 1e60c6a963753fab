"""Registry-test fixtures on top of the session registries of the root conftest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.registry._helpers import Blob, make_blob, make_client
from tests.support.registry import RunningRegistry, run_registry


@pytest.fixture(scope="module")
def https_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A registry of its own speaking TLS with a throwaway CA, one per test module."""
    with run_registry("none", tmp_path_factory.mktemp("https"), tls=True) as reg:
        yield reg


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
def blob_factory(tmp_path: Path) -> Callable[[int], Blob]:
    counter = iter(range(1000))

    def make(size: int) -> Blob:
        return make_blob(tmp_path / f"blob-{next(counter)}.bin", size)

    return make


@pytest.fixture
def stored_blob(registry: RunningRegistry, blob_factory: Callable[[int], Blob]) -> Callable[[str, int], Blob]:
    """A random blob of ``size`` bytes, already uploaded to ``repository`` on the session's registry."""

    def store(repository: str, size: int) -> Blob:
        blob = blob_factory(size)
        with make_client(registry, repository) as client:
            client.upload_blob(blob.digest, blob.size, blob.open_at)
        return blob

    return store
