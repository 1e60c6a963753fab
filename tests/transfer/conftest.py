"""Transfer-test fixtures on top of the session registries of the root conftest."""

from __future__ import annotations

import pytest

from tests.support.registry import RunningRegistry


@pytest.fixture
def plain_registry(registries: dict[str, RunningRegistry]) -> RunningRegistry:
    return registries["none"]
