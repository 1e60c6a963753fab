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

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import requests
from benchutil import (
    GIB,
    KITLAB_CLI,
    REPO,
    VENV_PYTHON,
    Run,
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

sys.path.insert(0, str(REPO))
from tests.support.registry import run_registry

LOCAL_REF = "bench/xfer:v1"
REMOTE_REPO = "bench/xfer"
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


class Kit:
    """The packed kit in a local store, plus an OCI layout view of it (hard links) for skopeo."""

    def __init__(self, home: Path, layout: Path) -> None:
        inspect = timed([KITLAB_CLI, "inspect", LOCAL_REF], env={"KITOPS_HOME": str(home)}).stdout
        info = json.loads(inspect)
        self.home = home
        self.digest: str = info["digest"]
        manifest = info["manifest"]
        model = max(manifest["layers"], key=lambda layer: layer["size"])
        self.layer_digest: str = model["digest"]
        self.layer_size: int = model["size"]
        blobs = home / "storage" / "blobs" / "sha256"
        self.layer_path = blobs / self.layer_digest.removeprefix("sha256:")
        self.layout = layout
        (layout / "blobs" / "sha256").mkdir(parents=True)
        (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        manifest_blob = blobs / self.digest.removeprefix("sha256:")
        for digest in [self.digest, manifest["config"]["digest"], *(x["digest"] for x in manifest["layers"])]:
            name = digest.removeprefix("sha256:")
            (layout / "blobs" / "sha256" / name).hardlink_to(blobs / name)
        index = {
            "schemaVersion": 2,
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": self.digest,
                    "size": manifest_blob.stat().st_size,
                    "annotations": {"org.opencontainers.image.ref.name": "v1"},
                }
            ],
        }
        (layout / "index.json").write_text(json.dumps(index))


@contextlib.contextmanager
def fresh_registry(work: Path) -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="registry-", dir=work))
    try:
        with run_registry("none", folder) as reg:
            yield reg.host
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def child(code: str, *args: str) -> tuple[Run, dict[str, object]]:
    run = timed([VENV_PYTHON, "-c", code, *args])
    return run, json.loads(run.stdout)


def skopeo(*args: str, home: Path) -> Run:
    # HOME is redirected so skopeo's blob-info cache (which would let it skip or mount blobs) is fresh.
    return timed(["skopeo", "--insecure-policy", "copy", "--quiet", *args], env={"HOME": str(home)})


def curl_push(host: str, kit: Kit) -> Run:
    start = requests.post(f"http://{host}/v2/bench/curl/blobs/uploads/", timeout=30)
    start.raise_for_status()
    location = start.headers["Location"]
    if location.startswith("/"):
        location = f"http://{host}{location}"
    sep = "&" if "?" in location else "?"
    return timed(
        [
            "curl",
            "-sS",
            "--fail",
            "-T",
            kit.layer_path,
            "-H",
            "Content-Type: application/octet-stream",
            f"{location}{sep}digest={kit.layer_digest}",
        ]
    )


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
    kit = Kit(home, work / f"layout-{gib:g}")
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
            dst = f"{host}/{REMOTE_REPO}:v1"
            run, out = child(PUSH_CHILD, str(home), LOCAL_REF, dst)
            if out["bytes"] < kit.layer_size:
                sys.exit(f"push uploaded only {out['bytes']} bytes: {out}")
            add("push kitlab", run, float(out["seconds"]))
            run, out = child(PUSH_CHILD, str(home), LOCAL_REF, dst)
            if out["bytes"] != 0:
                sys.exit(f"re-push of an unchanged kit uploaded {out['bytes']} bytes: {out}")
            add("re-push kitlab (unchanged)", run, float(out["seconds"]))
            pulled = Path(tempfile.mkdtemp(prefix="pull-home-", dir=work))
            try:
                run, out = child(PULL_CHILD, str(pulled), dst)
                if out["digest"] != kit.digest or out["bytes"] < kit.layer_size:
                    sys.exit(f"pull returned {out}, expected digest {kit.digest}")
                add("pull kitlab", run, float(out["seconds"]))
            finally:
                shutil.rmtree(pulled, ignore_errors=True)
            skopeo_home = Path(tempfile.mkdtemp(prefix="skopeo-home-", dir=work))
            out_layout = work / "skopeo-pulled"
            try:
                add(
                    "pull skopeo (-> OCI layout)",
                    skopeo(
                        "--src-tls-verify=false", f"docker://{dst}", f"oci:{out_layout}:v1", home=skopeo_home
                    ),
                )
                pulled_blob = out_layout / "blobs" / "sha256" / kit.layer_digest.removeprefix("sha256:")
                if pulled_blob.stat().st_size != kit.layer_size:
                    sys.exit("skopeo pulled a layer of the wrong size")
            finally:
                shutil.rmtree(out_layout, ignore_errors=True)
                shutil.rmtree(skopeo_home, ignore_errors=True)
            blob_file = work / "curl-pulled.bin"
            try:
                add(
                    "pull curl GET blob -> file (ceiling)",
                    timed(
                        [
                            "curl",
                            "-sS",
                            "--fail",
                            "-o",
                            blob_file,
                            f"http://{host}/v2/{REMOTE_REPO}/blobs/{kit.layer_digest}",
                        ]
                    ),
                )
                if blob_file.stat().st_size != kit.layer_size:
                    sys.exit("curl pulled a blob of the wrong size")
            finally:
                blob_file.unlink(missing_ok=True)
        with fresh_registry(work) as host:
            skopeo_home = Path(tempfile.mkdtemp(prefix="skopeo-home-", dir=work))
            try:
                add(
                    "push skopeo (OCI layout ->)",
                    skopeo(
                        "--dest-tls-verify=false",
                        f"oci:{kit.layout}:v1",
                        f"docker://{host}/{REMOTE_REPO}:v1",
                        home=skopeo_home,
                    ),
                )
            finally:
                shutil.rmtree(skopeo_home, ignore_errors=True)
        with fresh_registry(work) as host:
            add("push curl -T blob (ceiling)", curl_push(host, kit))
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
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1", help="model sizes in GiB, comma-separated (default 1)")
    parser.add_argument("--runs", type=int, default=3, help="runs per size; medians are reported")
    parser.add_argument("--workdir", default="/tmp", help="parent of the scratch directory")
    parser.add_argument("--data", help="keep the random model files here and reuse them (else deleted)")
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
