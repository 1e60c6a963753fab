"""Latency of kitlab's REST API in a real ``jupyter server`` while pack jobs run, against the same
server idle.

The server runs with token auth and a temp root holding ``--jobs`` projects, each a Kitfile and a model
of ``--model-mb`` MB of random bytes (distinct files, so no job is served from the stat cache). One
client (a keep-alive ``requests.Session``) first measures GET /kitlab/version and GET /kitlab/jobs with
no jobs, then POSTs all pack jobs at once and keeps alternating the two GETs until every job has
finished. Repeated ``--rounds`` times (the models' mtimes are bumped between rounds so each round packs
for real). Jobs run ``Kitlab.max_concurrent_jobs`` (default 2) at a time; the rest queue.

With ``--pull-layers N`` the busy phase is instead one pull job per round of a kit of N layers of
``--model-mb`` each from a local ``docker-registry``, its layers moved ``transfer_concurrency`` (5) at
once (issue 16); the server's store is emptied between rounds.

Run: ``nice -n 5 .venv/bin/python benchmarks/api_latency.py --jobs 5 --model-mb 200``
or ``nice -n 5 .venv/bin/python benchmarks/api_latency.py --pull-layers 6 --model-mb 300``
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import requests
from benchutil import (
    KITLAB_CLI,
    MIB,
    REPO,
    arguments,
    check_disk,
    loadavg,
    make_random_file,
    percentile,
    print_table,
    timed,
)

sys.path.insert(0, str(REPO))
from tests.support.live_server import live_jupyter_server
from tests.support.registry import run_registry

TERMINAL = {"succeeded", "failed", "cancelled", "interrupted"}
KITFILE = "manifestVersion: 1.0.0\npackage:\n  name: api-bench-{i}\nmodel:\n  name: m{i}\n  path: model.bin\n"


class Client:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"
        self.samples: dict[str, list[float]] = {}

    def timed(self, method: str, path: str, label: str, **kw: object) -> requests.Response:
        start = time.perf_counter()
        resp = self.session.request(method, f"{self.url}{path}", timeout=30, **kw)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
        resp.raise_for_status()
        self.samples.setdefault(label, []).append(elapsed * 1000)
        return resp


def push_layers(work: Path, host: str, layers: int, model_mb: int) -> str:
    """A kit of ``layers`` random layers pushed to ``host`` from a store of its own; its reference."""
    context = work / "pull-kit"
    names = [f"d{i}" for i in range(layers)]
    for name in names:
        make_random_file(context / name / "part.bin", model_mb * MIB)
    datasets = "".join(f"  - name: {name}\n    path: {name}\n" for name in names)
    (context / "Kitfile").write_text(
        f"manifestVersion: 1.0.0\npackage:\n  name: pulled\ndatasets:\n{datasets}"
    )
    ref = f"{host}/bench/pulled:v1"
    env = {"KITOPS_HOME": str(work / "pusher-home")}
    timed([KITLAB_CLI, "pack", context, "-t", ref], env=env)
    timed([KITLAB_CLI, "push", ref, "--plain-http"], env=env)
    return ref


def main() -> None:
    parser = arguments(__doc__, data=False)
    parser.add_argument("--jobs", type=int, default=5, help="pack jobs submitted at once (default 5)")
    parser.add_argument("--model-mb", type=int, default=200, help="model size per job in MiB (default 200)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of submitting all jobs (default 2)")
    parser.add_argument("--idle-requests", type=int, default=300, help="GETs per endpoint with no jobs")
    parser.add_argument(
        "--pull-layers", type=int, default=0, help="time one parallel pull of this many layers"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kitlab-apibench-", dir=args.workdir))
    check_disk(work, args.jobs * args.model_mb * MIB * 2 + 512 * MIB)
    try:
        root = work / "root"
        models = []
        pulling = args.pull_layers > 0
        for i in range(0 if pulling else args.jobs):
            project = root / f"project{i}"
            models.append(make_random_file(project / "model.bin", args.model_mb * MIB))
            (project / "Kitfile").write_text(KITFILE.format(i=i))
        root.mkdir(parents=True, exist_ok=True)
        registry = run_registry("none", work / "registry") if pulling else contextlib.nullcontext()
        with registry as reg, live_jupyter_server(root, work) as (url, token):
            pull_ref = push_layers(work, reg.host, args.pull_layers, args.model_mb) if pulling else ""
            client = Client(url, token)
            for _ in range(args.idle_requests):
                client.timed("GET", "/kitlab/version", "idle: GET /kitlab/version")
                client.timed("GET", "/kitlab/jobs", "idle: GET /kitlab/jobs")
            load_idle = loadavg()
            busy_seconds = []
            for rnd in range(args.rounds):
                if rnd:  # new mtime (and ctime): the stat cache misses, the models are read again
                    for model in models:
                        old = time.time() - 60 + rnd
                        os.utime(model, (old, old))
                if pulling:  # the kit's blobs go, so each round downloads all of them
                    shutil.rmtree(work / "kitops-home" / "storage", ignore_errors=True)
                started = time.perf_counter()
                ids = []
                for i in range(1 if pulling else args.jobs):
                    body = {
                        "kind": "pack",
                        "params": {"path": f"project{i}", "reference": f"bench/api{i}:r{rnd}"},
                    }
                    if pulling:
                        body = {"kind": "pull", "params": {"reference": pull_ref, "plainHttp": True}}
                    ids.append(
                        client.timed("POST", "/kitlab/jobs", "busy: POST /kitlab/jobs", json=body).json()[
                            "id"
                        ]
                    )
                pending = set(ids)
                while pending:
                    client.timed("GET", "/kitlab/version", "busy: GET /kitlab/version")
                    jobs = client.timed("GET", "/kitlab/jobs", "busy: GET /kitlab/jobs").json()["jobs"]
                    states = {j["id"]: j for j in jobs if j["id"] in pending}
                    for job_id, job in states.items():
                        if job["state"] in TERMINAL:
                            if job["state"] != "succeeded":
                                sys.exit(f"job {job_id} ended {job['state']}: {job['error']}")
                            pending.discard(job_id)
                busy_seconds.append(time.perf_counter() - started)
            load_busy = loadavg()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = [
        [
            label,
            len(ms),
            f"{percentile(ms, 50):.1f}",
            f"{percentile(ms, 95):.1f}",
            f"{percentile(ms, 99):.1f}",
            f"{max(ms):.1f}",
        ]
        for label, ms in client.samples.items()
    ]
    what = f"1 pull of {args.pull_layers} layers" if args.pull_layers else f"{args.jobs} pack jobs"
    print(
        f"{what} x {args.model_mb} MiB, {args.rounds} rounds; all jobs done in "
        + ", ".join(f"{s:.1f} s" for s in busy_seconds)
    )
    print(f"load average (1/5/15 min): after idle phase {load_idle}, after busy phase {load_busy}")
    print_table(["request", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows)


if __name__ == "__main__":
    main()
