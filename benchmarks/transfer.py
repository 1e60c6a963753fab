"""Push and pull of a ModelKit with one incompressible model layer, kitlab against a local registry.

There is no kit-side baseline for push/pull here (tools/kitref has none and the kit CLI cannot be
installed), so each kitlab figure is compared with two baselines run on the same data against the
same kind of registry:

* ``skopeo copy`` between an OCI layout and the registry (a full client: HEAD, upload, manifest);
* the raw registry ceiling: ``curl -T`` of the layer blob (POST, then one streamed PUT ?digest=), and
  ``curl -o FILE`` of it for pull — only the one big blob, no config, no manifest.

Every measured push goes to a fresh ``docker-registry`` (Debian distribution 2.8) on loopback, so each
really uploads. Every tool runs as its own process under ``/usr/bin/time -v``; times are process wall
times (kitlab's include Python start-up; its in-process time is shown too). Re-push of the unchanged kit
to the same registry must upload 0 bytes (the benchmark fails otherwise).

Run: ``nice -n 5 .venv/bin/python benchmarks/transfer.py --sizes 1,4 --runs 3``
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchutil import (
    GIB,
    KITLAB_CLI,
    VENV_PYTHON,
    Kit,
    Run,
    arguments,
    check_disk,
    compile_bytecode,
    curl_pull,
    curl_push,
    fresh_registry,
    loadavg,
    make_random_file,
    median,
    parse_sizes,
    print_table,
    scratch,
    size_label,
    timed,
)

LOCAL_REF = "bench/xfer:v1"
KITFILE = "manifestVersion: 1.0.0\npackage:\n  name: transfer-bench\nmodel:\n  name: m\n  path: model.bin\n"

PUSH_CHILD = """
import json, sys, time
from kitlab.modelkit.push import push
from kitlab.modelkit.registry import Remote
from kitlab.modelkit.store import LocalStore
home, src, dst = sys.argv[1:4]
t = time.perf_counter()
r = push(src, dst, store=LocalStore(home), remote=Remote(plain_http=True))
print(json.dumps({"seconds": time.perf_counter() - t, "bytes": r.uploaded_bytes, "digest": r.digest,
                  "skipped": r.skipped_blobs, "mounted": r.mounted_blobs}))
"""
PULL_CHILD = """
import json, sys, time
from kitlab.modelkit.pull import pull
from kitlab.modelkit.registry import Remote
from kitlab.modelkit.store import LocalStore
home, ref = sys.argv[1:3]
t = time.perf_counter()
r = pull(ref, store=LocalStore(home), remote=Remote(plain_http=True))
print(json.dumps({"seconds": time.perf_counter() - t, "bytes": r.downloaded_bytes, "digest": r.digest}))
"""


def child(code: str, *args: str) -> tuple[Run, dict[str, object]]:
    run = timed([VENV_PYTHON, "-c", code, *args])
    return run, json.loads(run.stdout)


def skopeo(*args: str, home: Path) -> Run:
    # HOME is redirected so skopeo's blob-info cache (which would let it skip or mount blobs) is fresh.
    return timed(["skopeo", "--insecure-policy", "copy", "--quiet", *args], env={"HOME": str(home)})


def bench_size(gib: float, runs: int, work: Path, data: Path) -> list[list[object]]:
    context = work / f"ctx-{gib:g}"
    context.mkdir()
    model = make_random_file(data / f"model-{gib:g}g.bin", int(gib * GIB))
    try:
        (context / "model.bin").hardlink_to(model)
    except OSError:  # --data on another filesystem
        shutil.copyfile(model, context / "model.bin")
    (context / "Kitfile").write_text(KITFILE)
    home = work / f"home-{gib:g}"
    timed([KITLAB_CLI, "pack", context, "-t", LOCAL_REF], env={"KITOPS_HOME": str(home)})
    kit = Kit(home, LOCAL_REF, work / f"layout-{gib:g}")
    mb = kit.layer_size / 1e6

    res: dict[str, list[Run]] = {}
    inproc: dict[str, list[float]] = {}
    loads: list[str] = []

    def add(case: str, run: Run, seconds: float | None = None) -> None:
        res.setdefault(case, []).append(run)
        if seconds is not None:
            inproc.setdefault(case, []).append(seconds)

    for _ in range(runs):
        with fresh_registry(work) as host:
            dst = kit.remote(host)
            run, out = child(PUSH_CHILD, str(home), LOCAL_REF, dst)
            if out["bytes"] < kit.layer_size:
                sys.exit(f"push uploaded only {out['bytes']} bytes: {out}")
            add("push kitlab", run, float(out["seconds"]))
            run, out = child(PUSH_CHILD, str(home), LOCAL_REF, dst)
            if out["bytes"] != 0:
                sys.exit(f"re-push of an unchanged kit uploaded {out['bytes']} bytes: {out}")
            add("re-push kitlab (unchanged)", run, float(out["seconds"]))
            with scratch(work, "pull-home-") as pulled:
                run, out = child(PULL_CHILD, str(pulled), dst)
                if out["digest"] != kit.digest or out["bytes"] < kit.layer_size:
                    sys.exit(f"pull returned {out}, expected digest {kit.digest}")
                add("pull kitlab", run, float(out["seconds"]))
            with scratch(work, "skopeo-home-") as skopeo_home, scratch(work, "skopeo-pulled-") as out_layout:
                add(
                    "pull skopeo (-> OCI layout)",
                    skopeo(
                        "--src-tls-verify=false", f"docker://{dst}", f"oci:{out_layout}:v1", home=skopeo_home
                    ),
                )
                pulled_blob = out_layout / "blobs" / "sha256" / kit.layer_digest.removeprefix("sha256:")
                if pulled_blob.stat().st_size != kit.layer_size:
                    sys.exit("skopeo pulled a layer of the wrong size")
            with scratch(work, "curl-pulled-") as folder:
                ceiling = curl_pull(host, kit.repository, kit.layer_digest, folder / "blob")
                add("pull curl GET blob -> file (ceiling)", ceiling)
                if (folder / "blob").stat().st_size != kit.layer_size:
                    sys.exit("curl pulled a blob of the wrong size")
        with fresh_registry(work) as host, scratch(work, "skopeo-home-") as skopeo_home:
            add(
                "push skopeo (OCI layout ->)",
                skopeo(
                    "--dest-tls-verify=false",
                    f"oci:{kit.layout}:{kit.tag}",
                    f"docker://{kit.remote(host)}",
                    home=skopeo_home,
                ),
            )
        with fresh_registry(work) as host:
            add("push curl -T blob (ceiling)", curl_push(host, kit.layer_path, kit.layer_digest))
        loads.append(loadavg())

    label = size_label(gib)
    print(f"{label}: load average (1/5/15 min) after each run: {', '.join(loads)}")
    base_for = {"push": "push curl -T blob (ceiling)", "pull": "pull curl GET blob -> file (ceiling)"}
    skopeo_for = {"push": "push skopeo (OCI layout ->)", "pull": "pull skopeo (-> OCI layout)"}
    order = [
        "push kitlab",
        "re-push kitlab (unchanged)",
        skopeo_for["push"],
        base_for["push"],
        "pull kitlab",
        skopeo_for["pull"],
        base_for["pull"],
    ]
    rows: list[list[object]] = []
    for case in order:
        runs_ = res[case]
        wall = median([r.wall for r in runs_])
        kind = case.split()[0]
        ratios = "-"
        if case in ("push kitlab", "pull kitlab"):
            sk = median([r.wall for r in res[skopeo_for[kind]]])
            ceiling = median([r.wall for r in res[base_for[kind]]])
            ratios = f"{wall / sk:.2f} / {wall / ceiling:.2f}"
        rows.append(
            [
                label,
                case,
                f"{wall:.2f}",
                f"{median(inproc[case]):.2f}" if case in inproc else "-",
                f"{mb / wall:.0f}" if "re-push" not in case else "-",
                f"{median([r.rss_mib for r in runs_]):.0f}",
                f"{median([r.cpu for r in runs_]):.2f}",
                ratios,
            ]
        )
    return rows


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--sizes", default="1", help="model sizes in GiB, comma-separated (default 1)")
    parser.add_argument("--runs", type=int, default=3, help="runs per size; medians are reported")
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes)
    for tool in ("skopeo", "curl", "docker-registry"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is required")

    work = Path(tempfile.mkdtemp(prefix="kitlab-xferbench-", dir=args.workdir))
    data = Path(args.data) if args.data else work / "data"
    # model, store copy, registry copy, pulled copy (+ headroom); the layout is hard links
    check_disk(work, int(sum(sizes) * GIB + max(sizes) * GIB * 3.5))
    os.environ.pop("KITOPS_HOME", None)
    compile_bytecode()
    try:
        rows = [row for gib in sizes for row in bench_size(gib, args.runs, work, data)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"medians of {args.runs} runs; fresh registry per measured push; source in page cache (warm)")
    print("ratios are kitlab time / baseline time (below 1 = kitlab faster); MB/s = layer bytes / wall s")
    print_table(
        [
            "size",
            "case",
            "wall s",
            "in-process s",
            "MB/s",
            "peak RSS MiB",
            "CPU s",
            "kitlab/skopeo / kitlab/curl",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
