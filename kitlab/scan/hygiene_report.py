"""Assembling the hygiene report: secrets found across the workspace (notebook cells and outputs, text
files, secret-looking file names), what was excluded, what no layer covers, and the suggested
``.kitignore``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kitlab.modelkit import secrets
from kitlab.scan import hygiene
from kitlab.scan.findings import Findings
from kitlab.scan.notebooks import SourceInfo
from kitlab.scan.relpaths import inside_any, readable_inside
from kitlab.scan.types import ScanLimits

HUGE_CODE_LAYER = 100 * 1000 * 1000
LIST_LIMIT = 200


def depth_first(rel: str) -> tuple[int, str]:
    """Sort key: shallow paths first (the user's own files before vendored trees)."""
    return rel.count("/"), rel


def find_secrets(
    folder: Path,
    files: dict[str, Any],
    sources: list[SourceInfo],
    skip: set[str],
    limits: ScanLimits,
    warnings: list[str],
) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    read = {s.path for s in sources}
    for source in sources:
        found += secrets.scan_source_texts(source.path, source.texts)
    candidates = []
    for rel, finding in files.items():
        if rel in read or inside_any(rel, skip):
            continue
        name = rel[rel.rfind("/") + 1 :]
        if secrets.secret_file_kind(name):
            found += secrets.scan_file(folder / rel, rel, finding.size)
        elif finding.ext_kind in ("code", "docs", ""):
            candidates.append(rel)
    if len(candidates) > limits.max_secret_scan_files:
        warnings.append(
            f"scanned the {limits.max_secret_scan_files} shallowest of {len(candidates)} text "
            "files for secrets (max_secret_scan_files)"
        )
        candidates = sorted(candidates, key=depth_first)[: limits.max_secret_scan_files]
    for rel in candidates:
        found += secrets.scan_file(folder / rel, rel, files[rel].size)
    return found


def hygiene_report(
    folder: Path,
    root: Path,
    f: Findings,
    excluded: list[dict[str, str]],
    secrets: list[dict[str, object]],
    entries: list[Any],
    resolved: list[Any],
) -> dict[str, Any]:
    layer_paths = {e.path for e in entries}
    uncovered = sorted(
        rel
        for rel in f.files
        if not inside_any(rel, layer_paths)
        and rel not in f.secrets
        and rel not in (".kitignore", "Kitfile", "kitfile", ".kitfile")
    )
    huge = [
        {"path": e.path, "size": e.size} for e in entries if e.kind == "code" and e.size > HUGE_CODE_LAYER
    ]
    checkpoint_excluded = [{"path": c.path, "reason": c.sniffed.summary} for c in f.checkpoints]
    existing = (
        (folder / ".kitignore").read_text(encoding="utf-8", errors="replace")
        if readable_inside(folder / ".kitignore", root)
        else ""
    )
    external = [r.to_external() for r in resolved if r.external]
    return {
        "secrets": secrets,
        "excluded": excluded + checkpoint_excluded,
        "uncovered": uncovered[:LIST_LIMIT],
        "uncovered_count": len(uncovered),
        "huge_code_layers": huge,
        "external_reads": [x for x in external if x["op"] == "read"],
        "external_writes": [x for x in external if x["op"] == "write"],
        "suggested_kitignore": hygiene.suggest_kitignore(
            existing, excluded, sorted({str(s["path"]) for s in secrets}), [c.path for c in f.checkpoints]
        ),
    }
