"""Pipeline files that say what a training step writes, like code does: DVC's ``dvc.yaml`` (each stage's
``deps`` are reads, its ``outs`` writes) and ``.dvc`` pointer files (``dvc add``: the ``outs`` it tracks,
next to it). What DVC tracks as an output counts as much as what a notebook's ``joblib.dump`` writes
(docs/user-guide.md, "What was found")."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kitlab.kitfile.yamlio import YAMLError, safe_load
from kitlab.scan.notebooks import IOEvent, SourceInfo

DVC_FILES = ("dvc.yaml", "dvc.yml")


def _read_yaml(path: Path, info: SourceInfo) -> tuple[str, Any] | None:
    """The file's text and its YAML; None (and one syntax error counted) when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
        return text, safe_load(text) or {}
    except (OSError, YAMLError):
        info.syntax_errors += 1
        return None


def read_dvc(path: Path, rel: str) -> SourceInfo:
    info = SourceInfo(rel, notebook=False)
    read = _read_yaml(path, info)
    if read is None:
        return info
    text, spec = read
    info.texts.append((None, "source", text))
    stages = spec.get("stages") if isinstance(spec, dict) else None
    if not isinstance(stages, dict):
        return info
    lines = text.splitlines()
    for stage_name, stage in stages.items():
        if not isinstance(stage, dict):
            continue
        for key, op in (("deps", "read"), ("outs", "write")):
            for item in stage.get(key) or []:
                # An out is a path, or a one-key mapping {path: {cache: false, …}}.
                target = next(iter(item)) if isinstance(item, dict) and item else item
                if not isinstance(target, str):
                    continue
                line = _line_of(lines, target)
                snippet = f"stage {stage_name} {key}: {target}"
                info.events.append(IOEvent(op, f"dvc stage {stage_name}", target, rel, None, line, snippet))
    return info


def read_dvc_pointer(path: Path, rel: str) -> SourceInfo:
    """A ``<file>.dvc`` pointer: its ``outs`` paths (relative to the pointer's folder) are outputs."""
    info = SourceInfo(rel, notebook=False)
    read = _read_yaml(path, info)
    if read is None:
        return info
    text, spec = read
    outs = spec.get("outs") if isinstance(spec, dict) else None
    for item in outs if isinstance(outs, list) else []:
        target = item.get("path") if isinstance(item, dict) else None
        if isinstance(target, str):
            line = next((i for i, ln in enumerate(text.splitlines(), 1) if "path:" in ln and target in ln), 0)
            info.events.append(IOEvent("write", "dvc add", target, rel, None, line, f"outs: path: {target}"))
    return info


def _line_of(lines: list[str], target: str) -> int:
    pattern = re.compile(r"^\s*-\s*['\"]?" + re.escape(target) + r"['\"]?\s*:?\s*$")
    return next((i for i, line in enumerate(lines, start=1) if pattern.match(line)), 0)
