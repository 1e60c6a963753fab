"""Shared helpers for kitlab's benchmarks: timed subprocesses with peak RSS, test data, small tables.

Every tool is run as its own process under ``/usr/bin/time -v`` so wall time, CPU time and peak RSS are
measured the same way for kitlab and for the baseline it is compared against.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
KITLAB_CLI = REPO / ".venv" / "bin" / "kitlab"
GIB = 1 << 30
MIB = 1 << 20
_WRITE_CHUNK = 64 * MIB


@dataclass(frozen=True)
class Run:
    wall: float  # seconds, measured around the subprocess (includes interpreter start-up)
    cpu: float  # user + sys seconds of the process tree
    rss_mib: float  # peak RSS of the largest process in the tree, MiB
    stdout: str


def timed(cmd: Sequence[str | os.PathLike[str]], env: Mapping[str, str] | None = None) -> Run:
    """Run ``cmd`` under ``/usr/bin/time -v``; raise with its stderr if it fails."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-v", "-o", report.name, *map(str, cmd)],
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            command = " ".join(map(str, cmd))
            raise RuntimeError(f"{command} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        lines = Path(report.name).read_text().splitlines()
        fields = dict(line.strip().rsplit(": ", 1) for line in lines if ": " in line)
    cpu = float(fields["User time (seconds)"]) + float(fields["System time (seconds)"])
    rss = int(fields["Maximum resident set size (kbytes)"]) / 1024
    return Run(wall, cpu, rss, proc.stdout)


def make_random_file(path: Path, size: int) -> Path:
    """Incompressible data, written once and reused by later runs (same size = reuse)."""
    if path.exists() and path.stat().st_size == size:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as fh:
        left = size
        while left:
            n = min(left, _WRITE_CHUNK)
            fh.write(os.urandom(n))
            left -= n
    tmp.rename(path)
    # Back-date it so kitlab's "racily clean" guard (1 s) never refuses to cache the layer.
    old = time.time() - 60
    os.utime(path, (old, old))
    return path


def check_disk(folder: Path, need_bytes: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < need_bytes:
        sys.exit(f"need {need_bytes / GIB:.1f} GiB free under {folder}, have {free / GIB:.1f} GiB")


def build_kitref(outdir: Path) -> Path:
    """Build the kit v1.7.0 reference implementation (tools/kitref) — the pack baseline (not kit)."""
    binary = outdir / "kitref"
    if not binary.exists():
        subprocess.run(["bash", str(REPO / "tools" / "kitref" / "build.sh"), str(outdir)], check=True)
    return binary


def compile_bytecode() -> None:
    """Byte-compile kitlab as ``pip install`` does for a wheel. The development install is editable,
    and where ``PYTHONDONTWRITEBYTECODE`` is set (it is on these machines) every CLI run would
    otherwise recompile each module from source, adding about 0.07 s that no installed copy pays."""
    subprocess.run([VENV_PYTHON, "-m", "compileall", "-q", REPO / "kitlab"], check=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def loadavg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def parse_sizes(text: str) -> list[float]:
    """``"1,4"`` → [1.0, 4.0] (GiB); fractions like ``0.25`` are allowed for quick runs."""
    return [float(s) for s in text.split(",") if s.strip()]


def size_label(gib: float) -> str:
    return f"{gib:g} GiB"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [list(map(str, headers)), *[list(map(str, r)) for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
