"""Other pickle scanners as oracles: fickling, picklescan, modelscan and ModelAudit (test dependencies).

Each answers, per file, True (flagged at its malicious level), False (scanned, not flagged) or None (it
could not scan the file: an error or a format it does not read). "Malicious level" is each tool's own top
tier, not its informational notes: picklescan's ``Dangerous`` globals, fickling's ``LIKELY_UNSAFE`` and
above, modelscan's ``CRITICAL``/``HIGH`` issues, ModelAudit's ``critical`` issues.
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

Verdicts = dict[str, bool | None]  # absolute path -> flagged


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
        dangerous = any(str(g.safety).endswith("Dangerous") for g in result.globals)
        out[str(path)] = True if dangerous else (None if result.scan_err else False)
    return out


def fickling(paths: list[Path]) -> Verdicts:
    from fickling.analysis import Severity, check_safety
    from fickling.fickle import Pickled

    out: Verdicts = {}
    for path in paths:
        try:
            with _quiet(), open(path, "rb") as fh:
                severity = check_safety(Pickled.load(fh)).severity
        except Exception:
            out[str(path)] = None
            continue
        out[str(path)] = severity >= Severity.LIKELY_UNSAFE
    return out


def modelscan(folder: Path) -> Verdicts:
    from modelscan.modelscan import ModelScan

    with _quiet():
        result = ModelScan().scan(folder)
    out: Verdicts = {}
    for name in result.get("summary", {}).get("scanned", {}).get("scanned_files", []):
        out[str((folder / name).resolve())] = False
    for issue in result.get("issues", []):
        if issue.get("severity") in ("CRITICAL", "HIGH"):
            out[str((folder / issue["source"].split(":")[0]).resolve())] = True
    return out


def modelaudit(folder: Path) -> Verdicts:
    env = {**os.environ, "DO_NOT_TRACK": "1", "PROMPTFOO_DISABLE_TELEMETRY": "1", "NO_COLOR": "1"}
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
    start = proc.stdout.find("{")
    report = json.loads(proc.stdout[start:]) if start >= 0 else {}
    out: Verdicts = {}
    for check in report.get("checks", []):
        location = check.get("location", "")
        if location.startswith(str(folder)):
            out.setdefault(str(Path(location.split(" (")[0]).resolve()), False)
    for issue in report.get("issues", []):
        if issue.get("severity") == "critical":
            location = issue.get("location", "") or ""
            for candidate in (location.split(" (")[0], location.split(":")[0]):
                if candidate.startswith(str(folder)):
                    out[str(Path(candidate).resolve())] = True
                    break
    return out


ORACLES: dict[str, Callable[[list[Path], Path], Verdicts]] = {
    "fickling": lambda paths, folder: fickling(paths),
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
