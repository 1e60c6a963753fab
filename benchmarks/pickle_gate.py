"""The pickle gate next to four other pickle scanners, on the corpus the tests generate (issue 13).

Generates tests/pickles/corpus.py's malicious files (every one proven malicious by tests/pickles) and
benign files (real fitted objects), runs kitlab's scanner and the oracles of tests/pickles/oracles.py
(fickling, picklescan, modelscan, ModelAudit — installed with the test extra), and prints a Markdown
table: malicious files each tool flags, benign files each flags (false positives), files it could not
scan, and its time; then every file an oracle flags that kitlab calls safe, with kitlab's reading of it.

Run: ``python benchmarks/pickle_gate.py [--dir DIR] [--skip ModelAudit]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "pickles"))
sys.path.insert(0, str(ROOT))

import corpus  # noqa: E402
import oracles  # noqa: E402

from kitlab.scan.pickles import DANGEROUS_VERDICT, SAFE, scan_pickle_file  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, help="where to write the corpus (default: a temp folder)")
    parser.add_argument("--skip", action="append", default=[], help="an oracle to leave out")
    parser.add_argument(
        "--modelaudit-benign",
        type=int,
        default=20,
        help="benign files ModelAudit scans (a spread sample: it takes ~12 s per model file); 0 for all",
    )
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="kitlab-pickle-gate-"))
    try:
        malicious = corpus.malicious(root)
        benign = corpus.benign(root)
        sets = {"malicious": malicious, "benign": benign}
        rows = []
        verdicts: dict[str, dict[str, set[str] | None]] = {}
        t = time.perf_counter()
        reports = {str(s.path.resolve()): scan_pickle_file(s.path) for s in malicious + benign}
        kitlab_s = time.perf_counter() - t
        for name, oracle in oracles.ORACLES.items():
            if name in args.skip:
                continue
            t = time.perf_counter()
            found: dict[str, set[str] | None] = {}
            for label, samples in sets.items():
                folder = (root / label).resolve()
                if name == "ModelAudit" and label == "benign" and 0 < args.modelaudit_benign < len(samples):
                    step = len(samples) // args.modelaudit_benign
                    folder = root / "modelaudit-sample"
                    folder.mkdir(exist_ok=True)
                    for sample in samples[::step][: args.modelaudit_benign]:
                        shutil.copy2(sample.path, folder / sample.path.name)
                    scanned = oracle(sorted(folder.iterdir()), folder.resolve())
                    by_name = {Path(p).name: hit for p, hit in scanned.items()}
                    found.update({str(s.path.resolve()): by_name.get(s.path.name) for s in samples})
                    continue
                found.update(oracle([s.path for s in samples], folder))
            verdicts[name] = found
            rows.append((name, found, time.perf_counter() - t))
        print(
            f"Corpus: {len(malicious)} malicious files ({len({s.family for s in malicious})} families), "
            f"{len(benign)} benign files.\n"
        )
        print(
            "| tool | malicious flagged | malicious flagged as dangerous | benign flagged (false positives) "
            "| files it could not scan | time |"
        )
        print("|---|---|---|---|---|---|")
        mal = [str(s.path.resolve()) for s in malicious]
        ben = [str(s.path.resolve()) for s in benign]
        flagged = sum(reports[p].verdict != SAFE for p in mal)
        dangerous = sum(reports[p].verdict == DANGEROUS_VERDICT for p in mal)
        fp = sum(reports[p].verdict != SAFE for p in ben)
        print(
            f"| **kitlab** | {flagged}/{len(mal)} | {dangerous}/{len(mal)} | {fp}/{len(ben)} | 0 "
            f"| {kitlab_s:.1f} s |"
        )
        for name, found, seconds in rows:
            caught = sum(bool(found.get(p)) for p in mal)
            fps = sum(bool(found.get(p)) for p in ben)
            scanned = sum(found.get(p) is not None for p in ben)
            unscanned = sum(found.get(p) is None for p in mal + ben)  # includes files left out of a sample
            print(
                f"| {name} | {caught}/{len(mal)} | — | {fps}/{len(ben)} ({scanned} scanned) | {unscanned} "
                f"| {seconds:.1f} s |"
            )
        print("\nFiles an oracle flags that kitlab calls safe:\n")
        disagreements = 0
        for name, found in verdicts.items():
            rows_of = [
                (path, hit)
                for path, hit in sorted(found.items())
                if hit and reports.get(path) is not None and reports[path].verdict == SAFE
            ]
            disagreements += len(rows_of)
            flagged_names = sorted({g for _, hit in rows_of for g in (hit or ())})
            if rows_of:
                shown = ", ".join(f"`{Path(p).name}`" for p, _ in rows_of[:8])
                more = f" and {len(rows_of) - 8} more" if len(rows_of) > 8 else ""
                print(f"- {name} ({len(rows_of)}: {shown}{more}) flags {flagged_names[:6]}")
        missed = {
            name: sorted(Path(p).name for p in mal if not found.get(p)) for name, found in verdicts.items()
        }
        print("\nMalicious files each oracle misses (first 15):\n")
        for name, names in missed.items():
            print(f"- {name} ({len(names)}): {', '.join(names[:15])}")
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
