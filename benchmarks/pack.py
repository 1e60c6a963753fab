"""``kitlab pack`` against ``kitref pack`` (tools/kitref: kit v1.7.0's pack on kit's own Go libraries —
a reference implementation, not the kit CLI) on the same incompressible model, side by side.

Per size and run, each tool packs the same context into a fresh store (cold pack; the source file is in
the page cache for both — nothing is dropped), then a small notebook is edited and each re-packs into
its own store (kitlab's stat cache should skip the unchanged model; kitref re-reads everything, as kit
does). Both tools run as CLIs under ``/usr/bin/time -v``. The model layer digests must be equal
(byte-identical tars); the benchmark fails otherwise.

Run: ``nice -n 5 .venv/bin/python benchmarks/pack.py --sizes 1,4 --runs 3``
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from benchutil import (
    GIB,
    KITLAB_CLI,
    VENV_PYTHON,
    Run,
    arguments,
    build_kitref,
    check_disk,
    compile_bytecode,
    loadavg,
    make_random_file,
    median,
    parse_sizes,
    print_table,
    size_label,
    timed,
)

KITFILE = """manifestVersion: 1.0.0
package:
  name: pack-bench
model:
  name: bench-model
  path: model.bin
code:
  - path: analysis.ipynb
"""
REF = "bench/packbench:v1"
# kitlab's main caller is the Jupyter server, which calls pack() in-process: no interpreter start-up.
INPROCESS_REPACK = """
import sys, time
from kitlab.modelkit.pack import pack
from kitlab.modelkit.store import LocalStore
context, home, ref = sys.argv[1:4]
store = LocalStore(home)
t = time.perf_counter()
result = pack(context, tags=[ref], store=store)
print(time.perf_counter() - t, sum(layer.cached for layer in result.layers))
"""
MODEL_MEDIA = "application/vnd.kitops.modelkit.model.v1.tar"


def write_notebook(path: Path, revision: int) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"# revision {revision}\nprint('hello')")]
    nbformat.write(nb, path)


def layer_digests(tool: Path, home: Path) -> dict[str, str]:
    """mediaType → digest of the tagged kit, read by ``tool inspect`` from ``home``."""
    out = timed([tool, "inspect", REF], env={"KITOPS_HOME": str(home)}).stdout
    manifest = json.loads(out)["manifest"]
    return {layer["mediaType"]: layer["digest"] for layer in manifest["layers"]}


def pack_cmd(tool: Path, context: Path) -> list[str | Path]:
    return [tool, "pack", context, "-t", REF]


def timed_pack(tool: Path, context: Path, home: Path) -> Run:
    # Synced first: kitref, like kit, does not fsync, so the GiB it just wrote would otherwise be
    # written back during (and charged to) whichever run comes next.
    return timed(pack_cmd(tool, context), env={"KITOPS_HOME": str(home)}, sync=True)


def bench_size(gib: float, runs: int, work: Path, data: Path, kitref: Path) -> list[list[object]]:
    context = work / f"ctx-{gib:g}"
    context.mkdir(parents=True, exist_ok=True)
    model = make_random_file(data / f"model-{gib:g}g.bin", int(gib * GIB))
    target = context / "model.bin"
    if not target.exists():
        try:
            target.hardlink_to(model)
        except OSError:  # --data on another filesystem
            shutil.copyfile(model, target)
    (context / "Kitfile").write_text(KITFILE)
    write_notebook(context / "analysis.ipynb", 0)
    tools = {"kitref": kitref, "kitlab": KITLAB_CLI}
    # Warm the page cache for the model so neither tool pays the first cold read.
    with open(model, "rb") as fh:
        while fh.read(64 << 20):
            pass

    cold: dict[str, list[Run]] = {t: [] for t in tools}
    inprocess: list[float] = []
    repack: dict[str, list[Run]] = {t: [] for t in tools}
    loads: list[str] = []
    for run in range(runs):
        homes = {t: Path(tempfile.mkdtemp(prefix=f"home-{t}-", dir=work)) for t in tools}
        try:
            for name, tool in tools.items():  # alternate order each run so neither always goes first
                cold[name].append(timed_pack(tool, context, homes[name]))
            digests = {name: layer_digests(tool, homes[name]) for name, tool in tools.items()}
            if digests["kitref"].get(MODEL_MEDIA) is None or digests["kitref"] != digests["kitlab"]:
                sys.exit(f"layer digests differ: kitref {digests['kitref']} vs kitlab {digests['kitlab']}")
            write_notebook(context / "analysis.ipynb", run + 1)
            for name, tool in tools.items():
                repack[name].append(timed_pack(tool, context, homes[name]))
            write_notebook(context / "analysis.ipynb", -run - 1)
            repack_inprocess = [VENV_PYTHON, "-c", INPROCESS_REPACK, context, homes["kitlab"], REF]
            out = timed(repack_inprocess, sync=True).stdout.split()
            if out[1] != "1":
                sys.exit(f"in-process re-pack reused {out[1]} layers from the stat cache, expected 1")
            inprocess.append(float(out[0]))
            loads.append(loadavg())
        finally:
            for home in homes.values():
                shutil.rmtree(home, ignore_errors=True)
        tools = dict(reversed(tools.items()))

    def med(runs_: list[Run], attr: str) -> float:
        return median([getattr(r, attr) for r in runs_])

    mb = gib * GIB / 1e6
    label = size_label(gib)
    kr_cold, kl_cold = med(cold["kitref"], "wall"), med(cold["kitlab"], "wall")
    kr_re, kl_re = med(repack["kitref"], "wall"), med(repack["kitlab"], "wall")
    print(f"{label}: model layer digest identical in every run: {digests['kitlab'][MODEL_MEDIA]}")
    print(f"{label}: load average (1/5/15 min) after each run: {', '.join(loads)}")
    return [
        [
            label,
            "cold pack",
            f"{kr_cold:.2f}",
            f"{kl_cold:.2f}",
            f"{kl_cold / kr_cold:.2f}",
            f"{mb / kr_cold:.0f} / {mb / kl_cold:.0f}",
            f"{med(cold['kitref'], 'rss_mib'):.0f} / {med(cold['kitlab'], 'rss_mib'):.0f}",
            f"{med(cold['kitref'], 'cpu'):.2f} / {med(cold['kitlab'], 'cpu'):.2f}",
        ],
        [
            label,
            "re-pack (notebook edited)",
            f"{kr_re:.2f}",
            f"{kl_re:.2f}",
            f"{kl_re / kr_re:.3f}",
            f"kitlab {kr_re / kl_re:.1f}x faster",
            f"{med(repack['kitref'], 'rss_mib'):.0f} / {med(repack['kitlab'], 'rss_mib'):.0f}",
            f"{med(repack['kitref'], 'cpu'):.2f} / {med(repack['kitlab'], 'cpu'):.2f}",
        ],
        [
            label,
            "re-pack, kitlab pack() in-process",
            f"{kr_re:.2f}",
            f"{median(inprocess):.3f}",
            f"{median(inprocess) / kr_re:.4f}",
            f"kitlab {kr_re / median(inprocess):.0f}x faster",
            "-",
            "-",
        ],
    ]


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--sizes", default="1", help="model sizes in GiB, comma-separated (default 1)")
    parser.add_argument("--runs", type=int, default=3, help="runs per size; medians are reported")
    parser.add_argument("--kitref", help="a built kitref binary (default: build tools/kitref)")
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes)

    work = Path(tempfile.mkdtemp(prefix="kitlab-packbench-", dir=args.workdir))
    data = Path(args.data) if args.data else work / "data"
    # model (+ hardlink, free) + one stored copy per tool at a time, plus headroom
    check_disk(work, int(max(sizes) * GIB * 3.2))
    compile_bytecode()
    try:
        kitref = Path(args.kitref) if args.kitref else build_kitref(work / "bin")
        startup = median([timed([KITLAB_CLI, "version"]).wall for _ in range(3)])
        rows = [row for gib in sizes for row in bench_size(gib, args.runs, work, data, kitref)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"medians of {args.runs} runs; page cache warm")
    print("kitref = reference implementation of kit v1.7.0's pack (tools/kitref), not the kit CLI")
    print(f"kitlab CLI start-up alone (`kitlab version`): {startup:.2f} s — included in kitlab's times")
    print_table(
        [
            "size",
            "case",
            "kitref s",
            "kitlab s",
            "kitlab/kitref",
            "MB/s kitref / kitlab",
            "peak RSS MiB kitref / kitlab",
            "CPU s kitref / kitlab",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
