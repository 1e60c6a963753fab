"""Pickle gate throughput: scan a 2 GiB joblib file and compare with reading it (issue 13's target: the
scan within 1.5x of a plain sequential read, memory flat).

Writes the files into a temp folder (or ``--dir``), reads each once to warm the page cache, then times a
sequential 1 MiB-chunk read and ``scan_pickle_file`` (each in a fresh subprocess, reporting its peak RSS).
Files: a joblib dump of float arrays (2 GiB; joblib interleaves raw array bytes with opcodes, the
scanner skips them), the same dict as a protocol-5 pickle (arrays inline as one big bytes argument each),
and a 512 MiB gzip-compressed joblib file (there the baseline is reading it decompressed, as a loader must).
Peak memory is each subprocess's VmHWM.

Run: ``python benchmarks/pickle_throughput.py [--size-gib 2] [--dir DIR] [--keep]``.
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HWM = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"
READ = f"""
import gzip, sys, time
t = time.perf_counter()
opener = gzip.open if sys.argv[1].endswith("gzip.joblib") else lambda p: open(p, "rb", buffering=0)
with opener(sys.argv[1]) as fh:  # what any loader must do: read (and decompress) every byte
    while fh.read(1 << 20):
        pass
print(time.perf_counter() - t, {HWM})
"""
SCAN = f"""
import sys, time
from kitlab.scan.pickles import scan_pickle_file
base = {HWM}
t = time.perf_counter()
report = scan_pickle_file(sys.argv[1])
print(time.perf_counter() - t, {HWM}, base, report.verdict, report.format)
"""


def build(folder: Path, size_gib: float) -> list[Path]:
    import joblib
    import numpy as np

    per_array = 256 * 1024 * 1024  # bytes
    count = max(1, int(size_gib * 1024**3 // per_array))
    rng = np.random.default_rng(0)
    arrays = {f"layer{i}": rng.random(per_array // 8) for i in range(count)}
    model = {"weights": arrays, "meta": {"name": "big", "classes": list(range(10))}}
    files = [folder / "big.joblib", folder / "big.p5.pkl", folder / "big-gzip.joblib"]
    joblib.dump(model, files[0])
    with open(files[1], "wb") as fh:
        pickle.dump(model, fh, protocol=5)
    small = {k: v for k, v in list(arrays.items())[: max(1, count // 4)]}
    joblib.dump({"weights": small}, files[2], compress=("gzip", 1))
    return files


def run(code: str, path: Path) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return out.stdout.split()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-gib", type=float, default=2.0)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="kitlab-pickle-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        files = build(folder, args.size_gib)
        rows = []
        for path in files:
            run(READ, path)  # warm the page cache: both timings then measure the same thing
            read_s = float(run(READ, path)[0])
            scan_s, scan_rss, base_rss, verdict, fmt = run(SCAN, path)
            size = path.stat().st_size
            rows.append(
                {
                    "file": path.name,
                    "size_mib": round(size / 2**20),
                    "read_s": round(read_s, 3),
                    "scan_s": round(float(scan_s), 3),
                    "ratio": round(float(scan_s) / read_s, 3),
                    "read_mib_s": round(size / 2**20 / read_s),
                    "scan_mib_s": round(size / 2**20 / float(scan_s)),
                    "scan_peak_rss_mib": round(int(scan_rss) / 1024),
                    "interpreter_rss_mib": round(int(base_rss) / 1024),
                    "verdict": verdict,
                    "format": fmt,
                }
            )
        print(
            "| file | size | read | scan | scan / read | peak RSS of the scan (before scanning) | verdict |"
        )
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['file']} ({r['format']}) | {r['size_mib']} MiB "
                f"| {r['read_s']} s ({r['read_mib_s']} MiB/s) "
                f"| {r['scan_s']} s ({r['scan_mib_s']} MiB/s) | {r['ratio']}x | {r['scan_peak_rss_mib']} MiB "
                f"({r['interpreter_rss_mib']} MiB) | {r['verdict']} |"
            )
        print(json.dumps(rows), file=sys.stderr)
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
