"""Other pickle scanners as oracles: fickling, picklescan, modelscan and ModelAudit (test dependencies).

Each answers, per file, the set of things it flags at its malicious level (empty: scanned, not flagged) or
None (it could not scan the file: an error or a format it does not read). "Malicious level" is each tool's
own top tier, not its informational notes: picklescan's ``Dangerous`` globals, fickling's
``OVERTLY_MALICIOUS`` (and, as separate rows, ``LIKELY_OVERTLY_MALICIOUS`` and above, and
``LIKELY_UNSAFE`` and above — what ``is_likely_safe`` refuses), modelscan's ``CRITICAL``/``HIGH``
issues, ModelAudit's ``critical`` issues.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

Verdicts = dict[str, set[str] | None]  # absolute path -> what it flags there


def picklescan(paths: list[Path]) -> Verdicts:
    import picklescan.scanner as scanner

    out: Verdicts = {}
    for path in paths:
        try:
            with _quiet():
                result = scanner.scan_file_path(str(path))
        except Exception:
            out[str(path)] = None
            continue
        dangerous = {f"{g.module}.{g.name}" for g in result.globals if str(g.safety).endswith("Dangerous")}
        out[str(path)] = None if result.scan_err and not dangerous else dangerous
    return out


def fickling(paths: list[Path], threshold: str = "OVERTLY_MALICIOUS") -> Verdicts:
    from fickling.analysis import Severity, check_safety
    from fickling.fickle import Pickled

    level = Severity[threshold]
    out: Verdicts = {}
    for path in paths:
        try:
            with _quiet(), open(path, "rb") as fh:
                severity = check_safety(Pickled.load(fh)).severity
        except Exception:
            out[str(path)] = None
            continue
        out[str(path)] = {severity.name} if severity >= level else set()
    return out


def modelscan(folder: Path) -> Verdicts:
    from modelscan.modelscan import ModelScan

    with _quiet():
        result = ModelScan().scan(folder)
    out: Verdicts = {}
    for name in result.get("summary", {}).get("scanned", {}).get("scanned_files", []):
        out[str((folder / name).resolve())] = set()
    for issue in result.get("issues", []):
        if issue.get("severity") in ("CRITICAL", "HIGH"):
            found = out.setdefault(str((folder / issue["source"].split(":")[0]).resolve()), set())
            if found is not None:
                found.add(f"{issue.get('module')}.{issue.get('operator')}")
    return out


def modelaudit(folder: Path) -> Verdicts:
    env = {**os.environ, "DO_NOT_TRACK": "1", "PROMPTFOO_DISABLE_TELEMETRY": "1", "NO_COLOR": "1"}
    try:
        proc = subprocess.run(
            [
                str(Path(sys.executable).parent / "modelaudit"),
                "scan",
                "--format",
                "json",
                "--no-cache",
                "-q",
                str(folder),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=1800,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {}  # could not scan in time: every file "not scanned"
    start = proc.stdout.find("{")
    report = json.loads(proc.stdout[start:]) if start >= 0 else {}
    out: Verdicts = {}
    for check in report.get("checks", []):
        location = check.get("location", "")
        if location.startswith(str(folder)):
            out.setdefault(str(Path(location.split(" (")[0]).resolve()), set())
    for issue in report.get("issues", []):
        if issue.get("severity") == "critical":
            location = issue.get("location", "") or ""
            what = (issue.get("details") or {}).get("import_reference") or issue.get("message", "")[:80]
            for candidate in (location.split(" (")[0], location.split(":")[0]):
                if candidate.startswith(str(folder)):
                    found = out.setdefault(str(Path(candidate).resolve()), set())
                    if found is not None:
                        found.add(what)
                    break
    return out


ORACLES: dict[str, Callable[[list[Path], Path], Verdicts]] = {
    "fickling": lambda paths, folder: fickling(paths),
    "fickling-likely-overtly-malicious": lambda paths, folder: fickling(paths, "LIKELY_OVERTLY_MALICIOUS"),
    "fickling-likely-unsafe": lambda paths, folder: fickling(paths, "LIKELY_UNSAFE"),
    "picklescan": lambda paths, folder: picklescan(paths),
    "modelscan": lambda paths, folder: modelscan(folder),
    "ModelAudit": lambda paths, folder: modelaudit(folder),
}


@contextlib.contextmanager
def _quiet():  # type: ignore[no-untyped-def]
    logging.disable(logging.CRITICAL)
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        try:
            yield
        finally:
            logging.disable(logging.NOTSET)
