"""Loader tests never touch the developer's home or Jupyter directories: kernels started by nbclient
write their connection files under a temp HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.home import isolate_home


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_home(tmp_path_factory, monkeypatch)
