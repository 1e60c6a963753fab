"""The UI targets of issue 7, measured in Debian's Chromium against a real Jupyter server.

* **Panel open:** from the pointer-down on the ModelKit sidebar tab to its Package tab drawn, cold
  (first open after a page load) and warm (re-open), beside JupyterLab's File Browser opened the
  same way. The target is "under a second".
* **Responsiveness during a 1 GiB pack:** the page is sampled idle, then while the server packs
  ``--packs`` folders of ``--model-gib`` GiB of random bytes one after another (each its own copy,
  so the stat cache cannot skip the read): animation-frame gaps, long
  tasks, click-to-drawn time of a panel tab and a REST round trip from the page. Reported as ratios
  packing / idle.

The browser side is ``benchmarks/ui/ui.bench.ts`` (Playwright through the Galata setup of
``ui-tests``); this script prepares the workspace, runs it and prints the report.

Run: ``.venv/bin/python benchmarks/ui.py`` (after ``make test`` or ``make lab`` has built kitlab and
installed the UI tests' node modules).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchutil import GIB, REPO, arguments, loadavg, make_random_file, median, percentile, print_table

from tests.support.registry import free_port

KITFILE = "manifestVersion: 1.0.0\npackage:\n  name: ui-bench\nmodel:\n  path: model.bin\n"


def prepare(root: Path, data: Path, gib: float, packs: int) -> list[str]:
    model = make_random_file(data / f"model-{gib:g}g.bin", int(gib * GIB))
    folders = []
    for i in range(1, packs + 1):
        folder = root / f"pack-{i}"
        folder.mkdir(parents=True)
        # A copy, not a hard link: the stat cache rightly knows a hard-linked file is unchanged.
        shutil.copyfile(model, folder / "model.bin")
        (folder / "Kitfile").write_text(KITFILE)
        folders.append(folder.name)
    os.sync()  # the copies' writeback must not run during the measurements
    return folders


def run_playwright(root: Path, folders: list[str], out: Path, args: argparse.Namespace) -> None:
    playwright = REPO / "ui-tests" / "node_modules" / ".bin" / "playwright"
    if not playwright.exists():
        sys.exit("ui-tests/node_modules is missing: run `make test` (or `make ui-test`) once first")
    env = {
        **os.environ,
        "JUPYTERLAB_GALATA_ROOT_DIR": str(root),
        "KITOPS_HOME": str(root.parent / "kitops-home"),
        "KITLAB_UI_PORT": str(free_port()),
        "KITLAB_BENCH_OUT": str(out),
        "KITLAB_BENCH_OPEN_RUNS": str(args.open_runs),
        "KITLAB_BENCH_IDLE_SECONDS": str(args.idle_seconds),
        "KITLAB_BENCH_PACK_FOLDERS": ",".join(folders),
        # The spec lives outside ui-tests/; it resolves Galata and Playwright from there.
        "NODE_PATH": str(REPO / "ui-tests" / "node_modules"),
        "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    config = REPO / "benchmarks" / "ui" / "playwright.config.js"
    subprocess.run([playwright, "test", "-c", config], cwd=REPO / "ui-tests", env=env, check=True)


def ms(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def report(results: dict, gib: float) -> None:
    opens = results["open"]
    print(f"\nPanel open, ms from pointer-down to drawn ({len(opens['kitlabCold'])} page loads)")
    rows = []
    for name, label in (("kitlab", "ModelKit panel"), ("files", "File Browser (JupyterLab)")):
        for phase in ("Cold", "Warm"):
            values = opens[f"{name}{phase}"]
            rows.append(
                [label, phase.lower(), ms(median(values)), ms(percentile(values, 95)), ms(max(values))]
            )
    print_table(["panel", "open", "median", "p95", "max"], rows)
    cold_ratio = median(opens["kitlabCold"]) / median(opens["filesCold"])
    print(f"ModelKit / File Browser, cold median: {cold_ratio:.2f}")

    resp = results["responsiveness"]
    idle, busy = resp["idle"], resp["packing"]
    print(f"\nResponsiveness: idle {idle['seconds']:.1f} s, then {len(resp['packs'])} packs of {gib:g} GiB")
    for pack in resp["packs"]:
        print(
            f"  {pack['folder']}: {pack['seconds']:.1f} s as seen by the page, "
            f"the Jobs list showed {' '.join(pack['percents'])}"
        )
    rows = []

    def row(label: str, key: str, q: float) -> None:
        a, b = percentile(idle[key], q), percentile(busy[key], q)
        rows.append([label, ms(a), ms(b), f"{b / a:.2f}" if a else "-"])

    row("frame gap p50 (ms)", "frameGaps", 50)
    row("frame gap p99 (ms)", "frameGaps", 99)
    row("frame gap max (ms)", "frameGaps", 100)
    row("tab click to drawn p50 (ms)", "clicks", 50)
    row("tab click to drawn p95 (ms)", "clicks", 95)
    row("GET /kitlab/version p50 (ms)", "rest", 50)
    row("GET /kitlab/version p95 (ms)", "rest", 95)
    for key in ("idle", "packing"):
        phase = resp[key]
        phase["longTaskSummary"] = f"{len(phase['longTasks'])} ({sum(phase['longTasks']):.0f} ms)"
    rows.append(["long tasks > 50 ms (total)", idle["longTaskSummary"], busy["longTaskSummary"], "-"])
    rows.append(["clicks sampled", len(idle["clicks"]), len(busy["clicks"]), "-"])
    print_table(["measure", "idle", "packing", "packing/idle"], rows)


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--model-gib", type=float, default=1.0, help="size of each packed model (default 1)")
    parser.add_argument("--packs", type=int, default=4, help="packs run one after another (default 4)")
    parser.add_argument("--open-runs", type=int, default=10, help="page loads for the panel-open timing")
    parser.add_argument("--idle-seconds", type=float, default=8, help="idle sampling before the packs")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kitlab-uibench-", dir=args.workdir))
    data = Path(args.data) if args.data else work / "data"
    out = work / "results.json"
    try:
        folders = prepare(work / "root", data, args.model_gib, args.packs)
        run_playwright(work / "root", folders, out, args)
        results = json.loads(out.read_text())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average (1/5/15 min) at the end: {loadavg()}")
    report(results, args.model_gib)


if __name__ == "__main__":
    main()
