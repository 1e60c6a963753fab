"""Choosing the main model among the candidates (files and folders recognised as models), and the parts
written next to it: what the same notebook saved beside it (scalers, encoders, tokenizers, label maps)
and preprocessing objects stored in the same folder."""

from __future__ import annotations

import math
import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from kitlab.scan.findings import Findings, cite
from kitlab.scan.relpaths import inside_any, under
from kitlab.scan.resolve import Resolved
from kitlab.scan.types import Entry, Sniffed

PART_HINTS = (
    ("tokenizer", "tokenizer"),
    ("vectorizer", "vectorizer"),
    ("scaler", "scaler"),
    ("encoder", "encoder"),
    ("label", "label-map"),
    ("classes", "label-map"),
    ("vocab", "vocabulary"),
    ("imputer", "imputer"),
    ("pca", "decomposition"),
    ("feature", "features"),
    ("config", "config"),
)


@dataclass
class Candidate:
    path: str
    size: int
    sniffed: Sniffed
    is_dir: bool
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    writer: Resolved | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.sniffed.format,
            "framework": self.sniffed.framework,
            "size": self.size,
            "reason": self.reasons[0] if self.reasons else self.sniffed.summary,
        }


def _content_reason(f: Findings, path: str, sniffed: Sniffed) -> str:
    finding = f.files.get(path)
    return finding.content_reason() if finding else f"content: {sniffed.summary}"


def model_candidates(f: Findings) -> list[Candidate]:
    found: list[Candidate] = []
    for folder in f.model_folders:
        if folder.sniffed.role == "model":
            found.append(
                Candidate(
                    folder.path or ".",
                    f.size_of(folder.path),
                    folder.sniffed,
                    True,
                    50.0,
                    [f"content: {folder.sniffed.summary}"],
                )
            )
    claimed = {c.path for c in found}
    for rel, finding in f.files.items():
        if finding.sniffed and finding.sniffed.role == "model" and not inside_any(rel, claimed):
            found.append(
                Candidate(
                    rel,
                    finding.size,
                    finding.sniffed,
                    False,
                    30.0,
                    [_content_reason(f, rel, finding.sniffed)],
                )
            )
    found += _unrecognised_saves(f, claimed)
    for cand in found:
        writes = [
            r
            for r in f.resolved
            if r.event.op == "write"
            and r.rel is not None
            and r.exists
            and (r.rel == cand.path or (cand.is_dir and under(r.rel, cand.path)))
        ]
        if writes:
            cand.writer = writes[-1]
            cand.score += 40
            cand.reasons.insert(0, cite(writes[-1], "written"))
        reads = [r for r in f.resolved if r.event.op == "read" and r.rel == cand.path]
        if reads:
            cand.score += 5
            cand.reasons.append(cite(reads[0], "loaded"))
        cand.score += math.log10(cand.size + 1)
    return sorted(found, key=lambda c: (-c.score, c.path))


def _unrecognised_saves(f: Findings, claimed: set[str]) -> list[Candidate]:
    """Files and folders a model-saving call wrote whose bytes were not recognised: weaker candidates."""
    found: list[Candidate] = []
    folders = {m.path for m in f.model_folders}
    for res in f.resolved:
        rel = res.rel
        if res.event.op != "write" or res.event.what not in ("model", "dir") or rel is None or not res.exists:
            continue
        finding = f.files.get(rel)
        if inside_any(rel, claimed) or rel in folders or (finding and (finding.sniffed or finding.ext_kind)):
            continue
        ext = os.path.splitext(rel)[1].lstrip(".").lower()
        sniffed = Sniffed(
            "model",
            ext if finding else "folder",
            f"saved by {res.event.func}; its content is not a format kitlab recognises",
        )
        found.append(Candidate(rel, f.size_of(rel), sniffed, finding is None, 10.0, [sniffed.summary]))
        claimed.add(rel)
    return found


def part_type(path: str, sniffed: Sniffed | None, obj: str) -> str:
    if sniffed is not None and sniffed.part_type:
        return sniffed.part_type
    text = f"{obj} {os.path.basename(path)}".lower()
    return next((kind for hint, kind in PART_HINTS if hint in text), "artifact")


def _part_name(path: str) -> str:
    stem = os.path.basename(path.rstrip("/"))
    return re.sub(r"\.[^.]+$", "", stem) or stem


def model_parts(f: Findings, main: Candidate, others: list[Candidate]) -> list[Entry]:
    parts: dict[str, Entry] = {}
    other_paths = {c.path for c in others}
    if main.writer is not None:
        source = main.writer.event.source
        for res in f.resolved:
            rel = res.rel
            if (
                res.event.op != "write"
                or res.event.source != source
                or rel is None
                or not res.exists
                or under(rel, main.path)
                or rel in other_paths
                or rel in parts
            ):
                continue
            finding = f.files.get(rel)
            folder = next((m for m in f.model_folders if m.path == rel), None)
            sniffed = finding.sniffed if finding else (folder.sniffed if folder else None)
            if sniffed is not None and sniffed.role in ("data", "model"):
                continue
            if finding is not None and finding.ext_kind in ("image", "audio", "docs"):
                continue
            kind = part_type(rel, sniffed, res.event.obj)
            beside = posixpath.dirname(rel) == posixpath.dirname(main.path)
            if kind == "artifact" and not beside:
                continue  # e.g. metrics.json elsewhere: saved by the notebook, but not part of the model
            entry = Entry(
                "modelpart",
                rel,
                f.size_of(rel),
                name=_part_name(rel),
                part_type=kind,
                format=sniffed.format if sniffed else "",
                framework=sniffed.framework if sniffed else "",
                description=sniffed.summary if sniffed else "",
            )
            entry.reasons.append(cite(res, "written") + " — saved by the notebook that wrote the model")
            if finding is not None and finding.content_reason():
                entry.reasons.append(finding.content_reason())
            parts[rel] = entry
    if not main.is_dir:
        home = posixpath.dirname(main.path)
        for rel, finding in f.files.items():
            sniffed = finding.sniffed
            if (
                sniffed is None
                or sniffed.role != "modelpart"
                or rel in parts
                or posixpath.dirname(rel) != home
                or rel in other_paths
            ):
                continue
            entry = Entry(
                "modelpart",
                rel,
                finding.size,
                name=_part_name(rel),
                part_type=sniffed.part_type,
                format=sniffed.format,
                framework=sniffed.framework,
                description=sniffed.summary,
            )
            entry.reasons += [finding.content_reason(), f"in the same folder as the model {main.path}"]
            parts[rel] = entry
        for folder in f.model_folders:
            if folder.sniffed.role == "modelpart" and posixpath.dirname(folder.path) == home:
                entry = Entry(
                    "modelpart",
                    folder.path,
                    f.size_of(folder.path),
                    name=_part_name(folder.path),
                    part_type=folder.sniffed.part_type,
                    format=folder.sniffed.format,
                    framework=folder.sniffed.framework,
                    description=folder.sniffed.summary,
                )
                entry.reasons += [f"content: {folder.sniffed.summary}", f"beside the model {main.path}"]
                parts.setdefault(folder.path, entry)
    return sorted(parts.values(), key=lambda e: e.path)


def model_entry(main: Candidate, others: list[Candidate]) -> Entry:
    name = _part_name(main.path) if main.path != "." else ""
    entry = Entry(
        "model",
        main.path,
        main.size,
        name=name,
        format=main.sniffed.format,
        framework=main.sniffed.framework,
        version=main.sniffed.version,
        description=main.sniffed.summary,
        reasons=list(main.reasons),
    )
    entry.alternatives = [c.summary() for c in others[:8]]
    if others:
        entry.reasons.append(
            f"chosen over {len(others)} other model candidate(s): "
            + ("written by a notebook" if main.writer else "largest and most specific")
        )
    return entry
