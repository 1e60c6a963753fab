"""Builds this folder's Go reference programs (gen_golden.go, gen_ignore.go, each with kitwalk.go) once
per session."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FALLBACK_GO = "/usr/local/go/bin/go"

GoTool = Callable[..., bytes]


def _go_executable() -> str:
    """Go is part of the test setup: missing means the test fails, never skips."""
    path = shutil.which("go") or shutil.which(FALLBACK_GO)
    if path is None:
        pytest.fail("the Go toolchain is required for the byte-identity tests (go not on PATH)")
    return path


def _build(source: str, out_dir: Path) -> GoTool:
    """``source`` with kitwalk.go, the layer walk both programs share, as one binary."""
    binary = out_dir / source.removesuffix(".go")
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=readonly"}
    proc = subprocess.run(
        [_go_executable(), "build", "-o", str(binary), source, "kitwalk.go"],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"go build {source} failed:\n{proc.stdout}\n{proc.stderr}")

    def run(*args: str) -> bytes:
        done = subprocess.run([str(binary), *args], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.fail(f"{source} {' '.join(args)} failed:\n{done.stderr.decode(errors='replace')}")
        return done.stdout

    return run


@pytest.fixture(scope="session")
def gen_golden(tmp_path_factory: pytest.TempPathFactory) -> GoTool:
    """Go's archive/tar with kit's header sanitisation (see gen_golden.go)."""
    return _build("gen_golden.go", tmp_path_factory.mktemp("gen-golden"))


@pytest.fixture(scope="session")
def gen_ignore(tmp_path_factory: pytest.TempPathFactory) -> GoTool:
    """moby/patternmatcher v0.6.0 used the way kit uses it (see gen_ignore.go)."""
    return _build("gen_ignore.go", tmp_path_factory.mktemp("gen-ignore"))


@pytest.fixture
def golden_dir() -> Path:
    return HERE / "golden"
