"""An existing Kitfile is never overwritten: it is loaded, validated and compared with the draft —
paths it names that no longer exist, and artifacts the draft found that it does not cover."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kitlab.kitfile.model import HasPath, Kitfile
from kitlab.scan.relpaths import readable_inside, under
from kitlab.scan.types import Entry

KITFILE_NAMES = ("Kitfile", "kitfile", ".kitfile")


def _paths(kf: Kitfile) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if kf.model is not None:
        out.append(("model", kf.model.path))
        out += [(f"model.parts[{i}]", p.path) for i, p in enumerate(kf.model.parts)]
    sections: tuple[tuple[str, Sequence[HasPath]], ...] = (
        ("datasets", kf.datasets),
        ("code", kf.code),
        ("docs", kf.docs),
    )
    for section, items in sections:
        out += [(f"{section}[{i}]", item.path) for i, item in enumerate(items)]
    return out


def compare_existing(
    folder: Path, root: Path, files: set[str], dirs: set[str], draft: list[Entry]
) -> dict[str, Any] | None:
    """``None`` when the folder has no Kitfile; otherwise its problems and differences from the draft."""
    found = next((folder / n for n in KITFILE_NAMES if (folder / n).exists()), None)
    if found is None:
        return None
    if not readable_inside(found, root):
        return {
            "path": found.name,
            "errors": ["the Kitfile leads outside the server root: not read"],
            "warnings": [],
            "missing_paths": [],
            "not_in_kitfile": [],
        }
    from kitlab.kitfile.parse import load_kitfile
    from kitlab.kitfile.problems import KitfileError
    from kitlab.kitfile.validate import validate_kitfile

    report: dict[str, Any] = {
        "path": found.name,
        "errors": [],
        "warnings": [],
        "missing_paths": [],
        "not_in_kitfile": [],
    }
    try:
        kf = load_kitfile(found.read_text(encoding="utf-8", errors="replace"), source=found.name)
    except KitfileError as exc:
        report["errors"] = [str(p) for p in exc.problems]
        return report
    for problem in validate_kitfile(kf, folder):
        report["errors" if problem.severity == "error" else "warnings"].append(str(problem))
    from kitlab.kitfile.pathtypes import is_modelkit_reference

    existing: list[str] = []
    for field, raw in _paths(kf):
        if field == "model" and is_modelkit_reference(raw):
            continue
        clean = posixpath.normpath(raw or ".")
        existing.append("" if clean == "." else clean)
        outside = clean.startswith(("../", "/")) or clean == ".."
        if outside or (
            clean != "." and clean not in files and clean not in dirs and not (folder / clean).exists()
        ):
            report["missing_paths"].append({"field": field, "path": raw})
    for entry in draft:
        if not any(under(entry.path, p) for p in existing):
            report["not_in_kitfile"].append(
                {"kind": entry.kind, "path": entry.path, "reason": entry.reasons[0] if entry.reasons else ""}
            )
    return report
