"""Runs the kitref oracle (built once per session by the root conftest) against a temp KITOPS_HOME."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class KitrefRun:
    """One finished kitref invocation."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def kit_home(tmp_path: Path) -> Path:
    return tmp_path / "kitops-home"


@pytest.fixture
def kitref(kitref_bin: Path, kit_home: Path, tmp_path: Path) -> Callable[..., KitrefRun]:
    """Run kitref with KITOPS_HOME (and HOME) in temp dirs; `check=True` fails the test on a non-zero exit."""
    env = {**os.environ, "KITOPS_HOME": str(kit_home), "HOME": str(tmp_path / "home")}

    def run(*args: str, cwd: Path | None = None, check: bool = True) -> KitrefRun:
        proc = subprocess.run(
            [str(kitref_bin), *args], capture_output=True, text=True, env=env, cwd=cwd, check=False
        )
        if check and proc.returncode != 0:
            pytest.fail(f"kitref {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return KitrefRun(proc.returncode, proc.stdout, proc.stderr)

    return run
