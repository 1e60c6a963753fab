"""Shared helpers for kitlab's benchmarks: timed subprocesses with peak RSS, test data, a fresh
registry, the curl ceiling, a kit's OCI layout for the peer CLIs, percentiles and small tables.

Every tool is run as its own process under ``/usr/bin/time -v`` so wall time, CPU time and peak RSS are
measured the same way for kitlab and for the baseline it is compared against.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.registry import run_registry

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


def timed(
    cmd: Sequence[str | os.PathLike[str]], env: Mapping[str, str] | None = None, *, sync: bool = False
) -> Run:
    """Run ``cmd`` under ``/usr/bin/time -v``; raise with its stderr if it fails. ``sync`` flushes the
    disk first, so nothing an earlier run wrote (kitref and curl do not fsync) is charged to this one."""
    if sync:
        os.sync()
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


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile by nearest rank (q=100 is the maximum); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def loadavg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def arguments(doc: str | None, *, data: bool = True) -> argparse.ArgumentParser:
    """A script's argument parser with the options every benchmark shares: ``--workdir`` and (with
    ``data``) ``--data``."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default="/tmp", help="parent of the scratch directory")
    if data:
        parser.add_argument("--data", help="keep the generated files here and reuse them (else deleted)")
    return parser


@contextlib.contextmanager
def scratch(work: Path, prefix: str) -> Iterator[Path]:
    """A new folder under ``work``, deleted afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=work))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def fresh_registry(work: Path) -> Iterator[str]:
    """An empty Debian ``docker-registry`` on loopback (tests/support/registry.py), its ``host:port``;
    a push to it really uploads every blob."""
    with scratch(work, "registry-") as folder, run_registry("none", folder) as reg:
        yield reg.host


def curl_push(host: str, blob: Path, digest: str, *, sync: bool = False) -> Run:
    """The registry's upload ceiling: ``curl -T`` of one blob (POST, then one streamed PUT ?digest=)."""
    start = requests.post(f"http://{host}/v2/bench/curl/blobs/uploads/", timeout=30)
    start.raise_for_status()
    location = start.headers["Location"]
    if location.startswith("/"):
        location = f"http://{host}{location}"
    sep = "&" if "?" in location else "?"
    put = f"{location}{sep}digest={digest}"
    curl: list[str | Path] = [
        "curl",
        "-sS",
        "--fail",
        "-T",
        blob,
        "-H",
        "Content-Type: application/octet-stream",
        put,
    ]
    return timed(curl, sync=sync)


def curl_pull(host: str, repository: str, digest: str, dest: Path, *, sync: bool = False) -> Run:
    """The registry's download ceiling: ``curl -o`` of one blob into a file (no hashing)."""
    return timed(
        ["curl", "-sS", "--fail", "-o", dest, f"http://{host}/v2/{repository}/blobs/{digest}"], sync=sync
    )


class Kit:
    """A kit in a local store (as ``kitlab inspect`` reads it), its largest layer, and an OCI layout of
    it (hard links to the store's blobs) that oras and skopeo copy from."""

    def __init__(self, home: Path, ref: str, layout: Path) -> None:
        info = json.loads(timed([KITLAB_CLI, "inspect", ref], env={"KITOPS_HOME": str(home)}).stdout)
        self.ref = ref
        self.digest: str = info["digest"]
        manifest = info["manifest"]
        blobs = home / "storage" / "blobs" / "sha256"
        largest = max(manifest["layers"], key=lambda layer: layer["size"])
        self.layer_digest: str = largest["digest"]
        self.layer_size: int = largest["size"]
        self.layer_path = blobs / self.layer_digest.removeprefix("sha256:")
        self.bytes = sum(layer["size"] for layer in manifest["layers"]) + manifest["config"]["size"]
        self.layout = layout
        (layout / "blobs" / "sha256").mkdir(parents=True)
        (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        for digest in [self.digest, manifest["config"]["digest"], *(x["digest"] for x in manifest["layers"])]:
            name = digest.removeprefix("sha256:")
            (layout / "blobs" / "sha256" / name).hardlink_to(blobs / name)
        entry = {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": self.digest,
            "size": (blobs / self.digest.removeprefix("sha256:")).stat().st_size,
            "annotations": {"org.opencontainers.image.ref.name": self.tag},
        }
        (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))

    @property
    def repository(self) -> str:
        return self.ref.rpartition(":")[0]

    @property
    def tag(self) -> str:
        return self.ref.rpartition(":")[2]

    def remote(self, host: str) -> str:
        return f"{host}/{self.ref}"


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
