"""Issue 16: ``kitlab`` unpack, pull and push against their peers, on the same data, in one run.

* **unpack** from the local store: ``kitlab unpack`` against ``kitref unpack`` (tools/kitref unpacks as
  kit v1.7.0 does; it does not verify digests, kitlab does), for one 2 GiB file and for 2 GiB in 20,000
  files. Both kits are packed by kitref into one store that both tools read. For the 2 GiB file also
  ``hashlib``'s sha256 of the layer blob alone (1 MiB reads, its own Python process): the least a
  verified unpack costs.
* **pull**: ``kitlab pull`` into an empty store against the oras CLI (``oras copy`` from the registry into
  an OCI layout: every blob, verified; oras-go is the library kit transfers with) and against ``curl -o``
  of the largest blob alone (the registry's ceiling), for the 2 GiB kit and for a 6 × 300 MiB kit;
  the 6-layer kit also with ``--concurrency 1``.
* **push** to an empty registry: ``kitlab push`` against ``oras copy`` from an OCI layout of the same
  blobs (hard links) and ``curl -T`` of the largest blob (POST, then one streamed PUT).

Every tool runs as its own process under ``/usr/bin/time -v`` (wall, CPU, peak RSS), the disk is synced
before each run, the tools alternate within each round, every push goes to a fresh Debian
``docker-registry`` on loopback, and the load average is recorded after each round: the machine may be
shared, and ratios within one run are what this reports. oras runs with its defaults (3 blobs at once),
kitlab with its own (5). Needs ``make bench-tools`` (oras, kitref) and ``docker-registry``, ``curl``.

Run: ``nice -n 5 .venv/bin/python benchmarks/speed.py --runs 3`` (about 16 GiB under ``--workdir``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import requests
from benchutil import (
    GIB,
    KITLAB_CLI,
    MIB,
    REPO,
    Run,
    check_disk,
    compile_bytecode,
    loadavg,
    make_random_file,
    median,
    print_table,
    timed,
)

sys.path.insert(0, str(REPO))
from tests.support.registry import run_registry

BIN = REPO / ".bin"
BIG, SMALL, SIX = "bench/big:1", "bench/small:1", "bench/six:1"
# sha256 of a file in 1 MiB reads: what any digest-verifying unpack must spend at least.
HASH = (
    "import hashlib, sys\n"
    "h = hashlib.sha256()\n"
    "with open(sys.argv[1], 'rb') as f:\n"
    "    while b := f.read(1 << 20):\n"
    "        h.update(b)\n"
    "print(h.hexdigest())"
)


def kitfile(name: str, model: str, datasets: list[str]) -> str:
    lines = ["manifestVersion: 1.0.0", "package:", f"  name: {name}"]
    if model:
        lines += ["model:", "  name: m", f"  path: {model}"]
    if datasets:
        lines.append("datasets:")
        lines += [f"  - name: {Path(d).name}\n    path: {d}" for d in datasets]
    return "\n".join(lines) + "\n"


def make_data(data: Path, gib: float, files: int, layers: int, layer_mib: int) -> dict[str, Path]:
    """The three contexts (reused when present): one big file, many small files, several layers."""
    big, small, six = data / "big", data / "small", data / "six"
    make_random_file(big / "model.bin", int(gib * GIB))
    (big / "Kitfile").write_text(kitfile("big", "model.bin", []))
    per_file = int(gib * GIB) // files
    stamp = small / f".done-{files}-{per_file}"
    if not stamp.exists():
        shutil.rmtree(small, ignore_errors=True)
        for i in range(files):
            path = small / "files" / f"d{i // 200:03d}" / f"f{i % 200:04d}.bin"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(per_file))
        stamp.touch()
    (small / "Kitfile").write_text(kitfile("small", "", ["files"]))
    make_random_file(six / "model.bin", layer_mib * MIB)
    for i in range(1, layers):
        make_random_file(six / f"d{i}" / "part.bin", layer_mib * MIB)
    (six / "Kitfile").write_text(kitfile("six", "model.bin", [f"d{i}" for i in range(1, layers)]))
    return {BIG: big, SMALL: small, SIX: six}


class Kit:
    """A kit in the shared store: its digest, its largest layer, and an OCI layout of it for oras."""

    def __init__(self, home: Path, ref: str, layout: Path) -> None:
        info = json.loads(timed([KITLAB_CLI, "inspect", ref], env={"KITOPS_HOME": str(home)}).stdout)
        self.ref = ref
        self.digest: str = info["digest"]
        manifest = info["manifest"]
        blobs = home / "storage" / "blobs" / "sha256"
        largest = max(manifest["layers"], key=lambda layer: layer["size"])
        self.layer_digest: str = largest["digest"]
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
            "annotations": {"org.opencontainers.image.ref.name": "1"},
        }
        (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))

    def remote(self, host: str) -> str:
        return f"{host}/{self.ref}"


@contextlib.contextmanager
def fresh_registry(work: Path) -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="registry-", dir=work))
    try:
        with run_registry("none", folder) as reg:
            yield reg.host
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def scratch(work: Path, prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=work))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def synced(cmd: list[str | Path], env: dict[str, str] | None = None) -> Run:
    # Nothing written by the previous run is charged to this one.
    os.sync()
    return timed(cmd, env=env)


def curl_push(host: str, kit: Kit) -> Run:
    start = requests.post(f"http://{host}/v2/bench/curl/blobs/uploads/", timeout=30)
    start.raise_for_status()
    location = start.headers["Location"]
    location = f"http://{host}{location}" if location.startswith("/") else location
    sep = "&" if "?" in location else "?"
    target = f"{location}{sep}digest={kit.layer_digest}"
    return synced(
        [
            "curl",
            "-sS",
            "--fail",
            "-T",
            kit.layer_path,
            "-H",
            "Content-Type: application/octet-stream",
            target,
        ]
    )


def check_tree(out: Path, source: Path) -> None:
    """The unpacked files are the packed ones (count and bytes; contents are digest-checked by kitlab)."""
    for kind in ("files", "model.bin"):
        if (source / kind).exists():
            src = (
                [p for p in (source / kind).rglob("*") if p.is_file()]
                if (source / kind).is_dir()
                else [source / kind]
            )
            got = (
                [p for p in (out / kind).rglob("*") if p.is_file()] if (out / kind).is_dir() else [out / kind]
            )
            if len(src) != len(got) or sum(p.stat().st_size for p in src) != sum(
                p.stat().st_size for p in got
            ):
                sys.exit(f"unpacked {out / kind} differs from {source / kind}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gib", type=float, default=2, help="size of the big model and of the small files")
    parser.add_argument("--files", type=int, default=20000, help="number of small files")
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--layer-mib", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="rounds; medians are reported")
    parser.add_argument("--workdir", default="/tmp")
    parser.add_argument("--data", help="keep the generated files here and reuse them (else deleted)")
    parser.add_argument("--only", default="unpack,pull,push", help="which of unpack, pull, push to run")
    args = parser.parse_args()
    only = set(args.only.split(","))
    oras, kitref = BIN / "oras", BIN / "kitref"
    for tool in (oras, kitref):
        if not tool.exists():
            sys.exit(f"{tool} is missing: run `make bench-tools`")
    for tool in ("curl", "docker-registry"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is required")
    compile_bytecode()
    work = Path(tempfile.mkdtemp(prefix="kitlab-speed-", dir=args.workdir))
    check_disk(work, int((args.gib * 2 + args.layers * args.layer_mib / 1024) * 3 * GIB))
    try:
        data = Path(args.data) if args.data else work / "data"
        contexts = make_data(data, args.gib, args.files, args.layers, args.layer_mib)
        home = work / "home"
        env = {"KITOPS_HOME": str(home)}
        for ref, ctx in contexts.items():
            timed([kitref, "pack", ctx, "-t", ref], env=env)
        kits = {ref: Kit(home, ref, work / f"layout-{ref.split('/')[1].split(':')[0]}") for ref in contexts}
        results: dict[str, list[Run]] = {}
        loads: list[str] = []

        def add(case: str, run: Run) -> None:
            results.setdefault(case, []).append(run)

        def pulled_by(case: str, command: Callable[[Path], list[str | Path]], *, home_env: bool) -> None:
            with scratch(work, "pull-") as dest:
                add(case, synced(command(dest), env={"KITOPS_HOME": str(dest)} if home_env else None))

        for _ in range(args.runs):
            if "unpack" in only:
                for ref, label in ((BIG, "1 file"), (SMALL, f"{args.files} files")):
                    for name, tool in (("kitref", kitref), ("kitlab", KITLAB_CLI)):
                        with scratch(work, "unpack-") as out:
                            add(
                                f"unpack {label}|{name}",
                                synced([tool, "unpack", ref, "-d", out / "o"], env=env),
                            )
                            check_tree(out / "o", contexts[ref])
                    if ref == BIG:
                        # The floor of a verified unpack: hashing the blob alone (kitref does not hash).
                        hashed = synced([sys.executable, "-c", HASH, kits[BIG].layer_path])
                        add(f"unpack {label}|sha256 alone (hashlib)", hashed)
            for ref, label in (
                (BIG, f"{args.gib:g} GiB, 1 layer"),
                (SIX, f"{args.layers} x {args.layer_mib} MiB"),
            ):
                kit = kits[ref]
                with fresh_registry(work) as host:
                    push = [KITLAB_CLI, "push", ref, kit.remote(host), "--plain-http"]
                    run = synced(push, env=env)  # also fills the registry the pulls read
                    if "push" in only:
                        add(f"push {label}|kitlab", run)
                    if "pull" in only:
                        remote = kit.remote(host)
                        pull = [KITLAB_CLI, "pull", remote, "--plain-http"]
                        pulled_by(f"pull {label}|kitlab", lambda d, c=pull: c, home_env=True)
                        if ref == SIX:
                            serial = [*pull, "--concurrency", "1"]
                            pulled_by(
                                f"pull {label}|kitlab --concurrency 1", lambda d, c=serial: c, home_env=True
                            )
                        pulled_by(
                            f"pull {label}|oras",
                            lambda d, remote=remote: [
                                oras,
                                "copy",
                                "--from-plain-http",
                                remote,
                                "--to-oci-layout",
                                f"{d}/l:1",
                            ],
                            home_env=False,
                        )
                        blob_url = f"http://{host}/v2/{ref.split(':')[0]}/blobs/{kit.layer_digest}"
                        pulled_by(
                            f"pull {label}|curl (largest blob)",
                            lambda d, url=blob_url: ["curl", "-sS", "--fail", "-o", d / "blob", url],
                            home_env=False,
                        )
                if "push" in only:
                    with fresh_registry(work) as host:
                        copy = [
                            oras,
                            "copy",
                            "--from-oci-layout",
                            f"{kit.layout}:1",
                            "--to-plain-http",
                            kit.remote(host),
                        ]
                        add(f"push {label}|oras", synced(copy))
                    with fresh_registry(work) as host:
                        add(f"push {label}|curl (largest blob)", curl_push(host, kit))
            loads.append(loadavg())

        rows: list[list[object]] = []
        for case_tool, runs in results.items():
            case, tool = case_tool.split("|")
            wall = median([r.wall for r in runs])
            peers = {"unpack": "kitref", "pull": "oras", "push": "oras"}
            peer = results.get(f"{case}|{peers[case.split()[0]]}")
            ratio = (
                f"{wall / median([r.wall for r in peer]):.2f}"
                if peer and tool != peers[case.split()[0]]
                else "-"
            )
            nbytes = kits[
                BIG if "1 layer" in case or "1 file" in case else SMALL if "files" in case else SIX
            ].bytes
            rows.append(
                [
                    case,
                    tool,
                    f"{wall:.2f}",
                    ratio,
                    f"{nbytes / 1e6 / wall:.0f}",
                    f"{median([r.rss_mib for r in runs]):.0f}",
                    f"{median([r.cpu for r in runs]):.2f}",
                ]
            )
        print(
            f"medians of {args.runs} rounds; load average (1/5/15 min) after each round: {', '.join(loads)}"
        )
        print_table(["case", "tool", "wall s", "/ peer", "MB/s", "peak RSS MiB", "CPU s"], rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
