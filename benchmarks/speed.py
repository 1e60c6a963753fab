"""Issue 16: ``kitlab`` unpack, pull and push against their peers, on the same data, in one run.

* **unpack** from the local store: ``kitlab unpack`` against ``kitref unpack`` (tools/kitref unpacks as
  kit v1.7.0 does; it does not verify digests, kitlab does), for one 2 GiB file and for 2 GiB in 20,000
  files. Both kits are packed by kitref into one store that both tools read. For the 2 GiB file also
  ``hashlib``'s sha256 of the layer blob alone (1 MiB reads, its own Python process): the least a
  verified unpack costs; and the kernel's copy of the blob alone (``copy_file_range``, no tar, no hash):
  the least any unpack costs.
* **pull**: ``kitlab pull`` into an empty store against the oras CLI (``oras copy`` from the registry into
  an OCI layout: every blob, verified; oras-go is the library kit transfers with) and against ``curl -o``
  of the largest blob alone (the registry's ceiling), for the 2 GiB kit and for a 6 × 300 MiB kit;
  the 6-layer kit also with ``--concurrency 1``.
* **push** to an empty registry: ``kitlab push`` against ``oras copy`` from an OCI layout of the same
  blobs (hard links) and ``curl -T`` of the largest blob (POST, then one streamed PUT).
* **parallel-link** (only when asked for): the 6 × 300 MiB kit pushed to a fresh registry and pulled
  back through benchmarks/linkproxy.py, which caps each connection at ``--link-mbps`` MB/s and holds
  each request ``--link-latency-ms``: a remote registry's link, where one connection is bounded and
  several are not. ``kitlab --concurrency 5``, ``kitlab --concurrency 1`` and oras (its default, 3 at
  once); reported as the time of one layer at a time over five at once, with the proxy's own CPU.

The many-files unpacks are kept until the run ends instead of deleted after each: this disk is ext4
without a journal, whose inode allocator passes over every inode freed in the last 60 s (360 s while
its inode-table block is dirty), looking each one up (``recently_deleted`` in ext4's ``ialloc.c``; 45 %
of a profile of a 20,000-file unpack right after another was deleted, ``perf record -g``). Deleting
one tool's 20,000 files right before the other tool's run made file creation 2–3× slower for whichever
came next. The run's own folder is deleted at the end, so wait six minutes before another run.

Every tool runs as its own process under ``/usr/bin/time -v`` (wall, CPU, peak RSS), the disk is synced
before each run, the tools alternate within each round, every push goes to a fresh Debian
``docker-registry`` on loopback, and the load average is recorded after each round: the machine may be
shared, and ratios within one run are what this reports. oras runs with its defaults (3 blobs at once),
kitlab with its own (5). Needs ``make bench-tools`` (oras, kitref) and ``docker-registry``, ``curl``.

Run: ``nice -n 5 .venv/bin/python benchmarks/speed.py --runs 3`` (about 16 GiB under ``--workdir``);
``nice -n 5 .venv/bin/python benchmarks/speed.py --runs 3 --only parallel-link --link-mbps 40``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchutil import (
    GIB,
    KITLAB_CLI,
    MIB,
    REPO,
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
    print_table,
    scratch,
    timed,
)
from linkproxy import link_proxy

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
# The blob's bytes copied into a new file by the kernel (copy_file_range, 32 MiB pieces): no tar, no
# hash, no Python per piece. What any unpack must spend at least to write the bytes on this filesystem
# (ext4 has no shared extents, so the pages are copied).
COPY = (
    "import os, sys\n"
    "src = os.open(sys.argv[1], os.O_RDONLY)\n"
    "dst = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)\n"
    "while os.copy_file_range(src, dst, 32 << 20):\n"
    "    pass"
)


def short_name(ref: str) -> str:
    """``big`` for ``bench/big:1``: a folder name for the kit's scratch files."""
    return ref.split("/")[1].split(":")[0]


def kitfile(name: str, model: str, datasets: list[str]) -> str:
    lines = ["manifestVersion: 1.0.0", "package:", f"  name: {name}"]
    if model:
        lines += ["model:", "  name: m", f"  path: {model}"]
    if datasets:
        lines.append("datasets:")
        lines += [f"  - name: {Path(d).name}\n    path: {d}" for d in datasets]
    return "\n".join(lines) + "\n"


def make_data(
    data: Path, refs: set[str], gib: float, files: int, layers: int, layer_mib: int
) -> dict[str, Path]:
    """The contexts of ``refs`` (reused when present): one big file, many small files, several layers."""
    big, small, six = data / "big", data / "small", data / "six"
    if BIG in refs:
        make_random_file(big / "model.bin", int(gib * GIB))
        (big / "Kitfile").write_text(kitfile("big", "model.bin", []))
    per_file = int(gib * GIB) // files
    stamp = small / f".done-{files}-{per_file}"
    if SMALL in refs and not stamp.exists():
        shutil.rmtree(small, ignore_errors=True)
        for i in range(files):
            path = small / "files" / f"d{i // 200:03d}" / f"f{i % 200:04d}.bin"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(per_file))
        stamp.touch()
    if SMALL in refs:
        (small / "Kitfile").write_text(kitfile("small", "", ["files"]))
    if SIX in refs:
        make_random_file(six / "model.bin", layer_mib * MIB)
        for i in range(1, layers):
            make_random_file(six / f"d{i}" / "part.bin", layer_mib * MIB)
        (six / "Kitfile").write_text(kitfile("six", "model.bin", [f"d{i}" for i in range(1, layers)]))
    return {ref: ctx for ref, ctx in ((BIG, big), (SMALL, small), (SIX, six)) if ref in refs}


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


def oras_pull(oras: Path, remote: str, dest: Path) -> list[str | Path]:
    return [oras, "copy", "--from-plain-http", remote, "--to-oci-layout", f"{dest}/l:1"]


def oras_push(oras: Path, kit: Kit, remote: str) -> list[str | Path]:
    return [oras, "copy", "--from-oci-layout", f"{kit.layout}:{kit.tag}", "--to-plain-http", remote]


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--gib", type=float, default=2, help="size of the big model and of the small files")
    parser.add_argument("--files", type=int, default=20000, help="number of small files")
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--layer-mib", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="rounds; medians are reported")
    parser.add_argument(
        "--only", default="unpack,pull,push", help="which of unpack, pull, push, parallel-link to run"
    )
    parser.add_argument(
        "--link-mbps", type=float, default=40, help="parallel-link: MB/s (10^6 bytes) per connection"
    )
    parser.add_argument(
        "--link-latency-ms", type=float, default=20, help="parallel-link: held before each request"
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    transfers = bool(only & {"pull", "push"})
    oras, kitref = BIN / "oras", BIN / "kitref"
    for binary in (oras, kitref):
        if not binary.exists():
            sys.exit(f"{binary} is missing: run `make bench-tools`")
    for program in ("curl", "docker-registry"):
        if shutil.which(program) is None:
            sys.exit(f"{program} is required")
    compile_bytecode()
    work = Path(tempfile.mkdtemp(prefix="kitlab-speed-", dir=args.workdir))
    refs = {BIG, SMALL} if "unpack" in only else set()
    refs |= {BIG, SIX} if transfers else set()
    refs |= {SIX} if "parallel-link" in only else set()
    # Room for the data, the store and one copy more (a pull or an unpack) of each kit the cases use,
    # and for the many-files unpacks kept until the end (see the docstring).
    sizes = {BIG: args.gib, SMALL: args.gib, SIX: args.layers * args.layer_mib / 1024}
    kept = args.gib * 2 * args.runs if "unpack" in only else 0
    check_disk(work, int((sum(sizes[ref] for ref in refs) * 3 + kept) * GIB))
    try:
        data = Path(args.data) if args.data else work / "data"
        contexts = make_data(data, refs, args.gib, args.files, args.layers, args.layer_mib)
        home = work / "home"
        env = {"KITOPS_HOME": str(home)}
        for ref, ctx in contexts.items():
            timed([kitref, "pack", ctx, "-t", ref], env=env)
        kits = {ref: Kit(home, ref, work / f"layout-{short_name(ref)}") for ref in contexts}
        results: dict[str, list[Run]] = {}
        proxy_cpu: dict[str, list[float]] = {}
        loads: list[str] = []

        def add(case: str, run: Run) -> None:
            results.setdefault(case, []).append(run)

        def over_link(concurrency: int | None) -> None:
            """Push to a fresh registry and pull back, both through a proxy that caps each connection;
            kitlab with ``concurrency`` layers at once, or oras (None) with its default."""
            label = f"{args.layers} x {args.layer_mib} MiB, link {args.link_mbps:g} MB/s"
            tool = "oras" if concurrency is None else f"kitlab --concurrency {concurrency}"
            with fresh_registry(work) as host, link_proxy(host, args.link_mbps, args.link_latency_ms) as link:
                remote = kits[SIX].remote(link.host)
                for kind in ("push", "pull"):
                    before = link.cpu_seconds()
                    with scratch(work, "pull-") as dest:
                        if concurrency is None:
                            oras_cmd = (
                                oras_push(oras, kits[SIX], remote)
                                if kind == "push"
                                else oras_pull(oras, remote, dest)
                            )
                            run = timed(oras_cmd, sync=True)
                        else:
                            source = [SIX] if kind == "push" else []
                            flags = ["--plain-http", "--concurrency", str(concurrency)]
                            kitlab_env = env if kind == "push" else {"KITOPS_HOME": str(dest)}
                            run = timed(
                                [KITLAB_CLI, kind, *source, remote, *flags], env=kitlab_env, sync=True
                            )
                    add(f"{kind} {label}|{tool}", run)
                    proxy_cpu.setdefault(f"{kind} {label}|{tool}", []).append(link.cpu_seconds() - before)

        for round_ in range(args.runs):
            if "unpack" in only:
                for ref, label in ((BIG, "1 file"), (SMALL, f"{args.files} files")):
                    for name, binary in (("kitref", kitref), ("kitlab", KITLAB_CLI)):
                        out = work / f"unpacked-{round_}-{name}-{short_name(ref)}"
                        unpacked = timed([binary, "unpack", ref, "-d", out], env=env, sync=True)
                        add(f"unpack {label}|{name}", unpacked)
                        check_tree(out, contexts[ref])
                        if ref == BIG:  # one file: deleting it now frees one inode, nothing more
                            shutil.rmtree(out)
                    if ref == BIG:
                        # The floor of a verified unpack: hashing the blob alone (kitref does not hash).
                        hashed = timed([sys.executable, "-c", HASH, kits[BIG].layer_path], sync=True)
                        add(f"unpack {label}|sha256 alone (hashlib)", hashed)
                        # The floor of any unpack: the kernel copying the bytes, nothing else.
                        with scratch(work, "copy-") as out:
                            copied = timed(
                                [sys.executable, "-c", COPY, kits[BIG].layer_path, out / "copy"], sync=True
                            )
                        add(f"unpack {label}|copy alone (copy_file_range)", copied)
            for ref, label in (
                (BIG, f"{args.gib:g} GiB, 1 layer"),
                (SIX, f"{args.layers} x {args.layer_mib} MiB"),
            ):
                if not transfers:
                    break
                kit = kits[ref]
                with fresh_registry(work) as host:
                    push: list[str | Path] = [KITLAB_CLI, "push", ref, kit.remote(host), "--plain-http"]
                    run = timed(push, env=env, sync=True)  # also fills the registry the pulls read
                    if "push" in only:
                        add(f"push {label}|kitlab", run)
                    if "pull" in only:
                        remote = kit.remote(host)
                        pull: list[str | Path] = [KITLAB_CLI, "pull", remote, "--plain-http"]
                        pulls = {"kitlab": pull}
                        if ref == SIX:
                            pulls["kitlab --concurrency 1"] = [*pull, "--concurrency", "1"]
                        for name, command in pulls.items():
                            with scratch(work, "pull-") as dest:
                                pulled = timed(command, env={"KITOPS_HOME": str(dest)}, sync=True)
                            add(f"pull {label}|{name}", pulled)
                        with scratch(work, "pull-") as dest:
                            add(f"pull {label}|oras", timed(oras_pull(oras, remote, dest), sync=True))
                        with scratch(work, "pull-") as dest:
                            blob = curl_pull(host, kit.repository, kit.layer_digest, dest / "blob", sync=True)
                        add(f"pull {label}|curl (largest blob)", blob)
                if "push" in only:
                    with fresh_registry(work) as host:
                        add(f"push {label}|oras", timed(oras_push(oras, kit, kit.remote(host)), sync=True))
                    with fresh_registry(work) as host:
                        upload = curl_push(host, kit.layer_path, kit.layer_digest, sync=True)
                        add(f"push {label}|curl (largest blob)", upload)
            if "parallel-link" in only:
                for concurrency in (5, 1, None):
                    over_link(concurrency)
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
            kit = kits[BIG if "1 layer" in case or "1 file" in case else SMALL if "files" in case else SIX]
            nbytes = kit.layer_size if tool == "curl (largest blob)" else kit.bytes
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
        if proxy_cpu:
            print_link_report(results, proxy_cpu, args.link_mbps, args.link_latency_ms)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_link_report(
    results: dict[str, list[Run]], proxy_cpu: dict[str, list[float]], mbps: float, latency_ms: float
) -> None:
    """The parallel-link cases: one layer at a time against five at once, and the proxy's own CPU."""
    print(
        f"\nparallel-link: each connection capped at {mbps:g} MB/s per direction by benchmarks/linkproxy.py,"
        f" {latency_ms:g} ms held before each request"
    )
    rows: list[list[object]] = []
    for case_tool, cpu in proxy_cpu.items():
        case, tool = case_tool.split("|")
        wall = median([r.wall for r in results[case_tool]])
        serial = median([r.wall for r in results[f"{case}|kitlab --concurrency 1"]])
        ratio = f"{serial / wall:.2f}" if tool != "kitlab --concurrency 1" else "-"
        rows.append([case, tool, f"{wall:.2f}", ratio, f"{median(cpu):.2f}", f"{median(cpu) / wall:.0%}"])
    print_table(
        ["case", "tool", "wall s", "concurrency 1 time / this", "proxy CPU s", "proxy CPU / wall"], rows
    )


if __name__ == "__main__":
    main()
