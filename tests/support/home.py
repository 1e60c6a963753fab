"""A temp HOME for tests that start kernels or read user-level config (git identity, Jupyter dirs)."""

from __future__ import annotations

from pathlib import Path

import pytest


def isolate_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME, Jupyter's data, runtime and config dirs and IPython's dir under a fresh temp folder, and no
    global git config: nothing of the developer's is read, and kernels write their files there."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(home / "jupyter-data"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(home / "jupyter-runtime"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(home / "jupyter-config"))
    monkeypatch.setenv("IPYTHONDIR", str(home / "ipython"))
    return home
