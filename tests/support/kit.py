"""Running the kit CLI (or its stand-in, tools/kitref) from tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
KITREF_BUILD = REPO_ROOT / "tools" / "kitref" / "build.sh"


@dataclass(frozen=True)
class KitRun:
    returncode: int
    stdout: str
    stderr: str


class KitCLI:
    """A kit-compatible binary. ``name`` says which one it is, so reports never blur the two."""

    def __init__(self, binary: Path, name: str) -> None:
        self.binary = binary
        self.name = name

    def run(
        self, *args: str, cwd: Path | None = None, check: bool = True, env: dict[str, str] | None = None
    ) -> KitRun:
        """Run with the current environment (the tests' isolated KITOPS_HOME) plus ``env``."""
        proc = subprocess.run(
            [str(self.binary), *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            check=False,
            env={**os.environ, **(env or {})},
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{self.name} {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
            )
        return KitRun(proc.returncode, proc.stdout, proc.stderr)


def build_kitref(outdir: Path) -> Path:
    """Build tools/kitref (kit's pack/unpack semantics on kit's own libraries) into ``outdir``."""
    result = subprocess.run(
        ["bash", str(KITREF_BUILD), str(outdir)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"building kitref failed:\n{result.stdout}\n{result.stderr}")
    return outdir / "kitref"


def find_real_kit() -> Path | None:
    """The real kit CLI, when `make test` could install it (scripts/install_kit.sh)."""
    found = shutil.which("kit")
    return Path(found) if found else None
