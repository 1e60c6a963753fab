"""The hostile requests of issue 14 against a real ``jupyter server`` (token auth, temp root): how fast
each is refused and with what message, plus Kitfile validation time by number of entries
(docs/hardening.md, "Resources and limits").

Run: ``.venv/bin/python benchmarks/hostile_requests.py --entries 500,20000``
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
from benchutil import REPO, print_table

sys.path.insert(0, str(REPO))
from tests.support.live_server import live_jupyter_server


def kitfile(entries: int) -> str:
    lines = ["manifestVersion: 1.0.0", "package:", "  name: many", "code:"]
    lines += [f"  - path: src/f{i}.py\n    description: file {i}" for i in range(entries)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", default="500,20000", help="Kitfile sizes to validate (entries)")
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    args = parser.parse_args()
    sizes = [int(n) for n in args.entries.split(",")]
    work = Path(tempfile.mkdtemp(prefix="kitlab-hostile-", dir=args.workdir))
    try:
        root = work / "root"
        (root / "p" / "src").mkdir(parents=True)
        for i in range(max(sizes)):
            (root / "p" / "src" / f"f{i}.py").write_text("x")
        with live_jupyter_server(root, work / "server") as (url, token):
            session = requests.Session()
            session.headers["Authorization"] = f"token {token}"

            def timed(method: str, path: str, data: str | None = None) -> tuple[float, requests.Response]:
                started = time.monotonic()
                response = session.request(method, f"{url}{path}", data=data, timeout=600)
                return time.monotonic() - started, response

            rows = []
            for n in sizes:
                body = json.dumps({"text": kitfile(n)})
                runs = [timed("POST", "/kitlab/kitfile/validate?path=p", body) for _ in range(3)]
                best, response = min(runs, key=lambda run: run[0])
                problems = len(response.json().get("problems", []))
                rows.append(
                    [
                        f"validate {n:,} entries (best of 3)",
                        f"{best:.3f} s",
                        response.status_code,
                        f"{problems} problems",
                    ]
                )
            validate, jobs = "/kitlab/kitfile/validate?path=p", "/kitlab/jobs"
            notebook = {"path": "p", "reference": "127.0.0.1:9/a/b:v1", "notebook": "../../etc/passwd"}
            cases = [
                ("YAML nesting bomb", "POST", validate, json.dumps({"text": "[" * 50_000 + "]" * 50_000})),
                (
                    "JSON nested 100,000 levels",
                    "POST",
                    validate,
                    '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",
                ),
                (
                    "120 MB job path",
                    "POST",
                    jobs,
                    json.dumps({"kind": "pack", "params": {"path": "x" * (120 << 20)}}),
                ),
                (
                    "5,000-digit integer",
                    "POST",
                    jobs,
                    '{"kind": "pull", "params": {"reference": ' + "9" * 5_000 + "}}",
                ),
                ("NaN in a body", "POST", validate, '{"kitfile": {"x": NaN}}'),
                ("5,000-character ?path=", "GET", "/kitlab/kitfile?path=" + "a" * 5_000, None),
                ("5,000-character reference", "GET", "/kitlab/kits/" + "a" * 5_000 + ":v1", None),
                (
                    "pack-push notebook ../../etc/passwd",
                    "POST",
                    jobs,
                    json.dumps({"kind": "pack-push", "params": notebook}),
                ),
            ]
            for label, method, path, data in cases:
                elapsed, response = timed(method, path, data)
                message = response.json()["error"]["message"][:80]
                rows.append([label, f"{elapsed * 1000:.1f} ms", response.status_code, message])
            elapsed, response = timed("GET", "/kitlab/jobs")
            rows.append(
                [
                    "GET /kitlab/jobs afterwards",
                    f"{elapsed * 1000:.1f} ms",
                    response.status_code,
                    f"{len(response.content)} bytes",
                ]
            )
            status = [timed("GET", "/api/status")[0] for _ in range(20)]
            rows.append(
                [
                    "GET /api/status (median of 20)",
                    f"{statistics.median(status) * 1000:.1f} ms",
                    200,
                    f"max {max(status) * 1000:.1f} ms",
                ]
            )
            print_table(["request", "time", "status", "answer"], rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
