"""Dataset, code and docs entries, each with the reasons a person can check."""

from __future__ import annotations

import os
import posixpath
import re
from collections import Counter

from kitlab.scan.classify import FileFinding
from kitlab.scan.findings import Findings, cite
from kitlab.scan.relpaths import inside_any, under
from kitlab.scan.types import Entry

CODE_DIR_MIN_SHARE = 0.5
DOC_NAMES = re.compile(r"^(readme|license|licence|copying|notice|model[_-]?card|changelog)", re.I)


def _name(path: str) -> str:
    base = os.path.basename(path.rstrip("/")) or "dataset"
    return re.sub(r"\.[^.]+$", "", base) if "." in base[1:] else base


def dataset_entries(f: Findings, claimed: list[str]) -> list[Entry]:
    entries: dict[str, Entry] = {}
    for path, kind, count in f.dataset_folders:
        if inside_any(path, set(claimed)):
            continue
        subdirs = sorted(f.dirs[path].subdirs) if path in f.dirs else []
        label = kind.lstrip(".").upper() if kind.startswith(".") else kind
        noun = "images" if kind == "image" else "audio files" if kind == "audio" else f"{label} files"
        description = f"{count:,} {noun}"
        if 1 < len(subdirs) <= 12:
            description += " in folders " + ", ".join(subdirs)
        sample = next(
            (x for rel, x in f.files.items() if under(rel, path) and x.sniffed and not x.inferred_from), None
        )
        if sample is not None and sample.sniffed is not None and kind.startswith("."):
            description += f"; e.g. {sample.rel}: {sample.sniffed.summary}"
        entry = Entry(
            "dataset",
            path,
            f.size_of(path),
            name=_name(path),
            description=description,
            format=kind.lstrip("."),
        )
        entry.reasons.append(f"folder of one kind: {description.split(';')[0]} ({count} of its files)")
        entries[path] = entry
    covered = {*claimed, *entries}
    data_files = sorted(
        (
            x
            for rel, x in f.files.items()
            if x.sniffed and x.sniffed.role == "data" and not inside_any(rel, covered)
        ),
        key=lambda x: x.rel,
    )
    by_dir: dict[str, list[str]] = {}
    for item in data_files:
        by_dir.setdefault(posixpath.dirname(item.rel), []).append(item.rel)
    for home, rels in by_dir.items():
        siblings = len(f.dirs[home].files) if home in f.dirs else 0
        if home and len(rels) >= 3 and len(rels) == siblings:
            kinds = Counter(f.files[r].sniffed.format for r in rels)  # type: ignore[union-attr]
            description = ", ".join(f"{n} {k.upper()}" for k, n in kinds.most_common()) + " files"
            entry = Entry("dataset", home, f.size_of(home), name=_name(home), description=description)
            entry.reasons.append(f"every file in {home}/ is data: {description}")
            entries[home] = entry
            continue
        for rel in rels:
            item = f.files[rel]
            assert item.sniffed is not None
            entries[rel] = Entry(
                "dataset",
                rel,
                item.size,
                name=_name(rel),
                format=item.sniffed.format,
                description=item.sniffed.summary,
                reasons=[item.content_reason()],
            )
    for res in f.resolved:
        if res.event.op != "read" or res.rel is None or not res.exists or res.event.what == "model":
            continue
        if inside_any(res.rel, set(claimed)):
            continue
        owner = next((e for p, e in entries.items() if under(res.rel, p)), None)
        if owner is None:
            finding = f.files.get(res.rel)
            if finding is not None and finding.ext_kind in ("code", "docs"):
                continue
            owner = Entry(
                "dataset",
                res.rel,
                f.size_of(res.rel),
                name=_name(res.rel),
                description=finding.sniffed.summary if finding and finding.sniffed else "",
            )
            entries[res.rel] = owner
        reason = cite(res, "read")
        if reason not in owner.reasons:
            owner.reasons.insert(0, reason)
    for entry in entries.values():
        for res in f.events_for(entry.path, "write")[:1]:
            entry.reasons.append(cite(res, "written"))
    return sorted(entries.values(), key=lambda e: e.path)


def _describe_code(f: Findings, path: str) -> str:
    source = next((s for s in f.sources if s.path == path), None)
    if source is not None and source.notebook:
        return f"Jupyter notebook: {source.title}" if source.title else "Jupyter notebook"
    if path.endswith(".py"):
        return "Python script"
    if os.path.basename(path).startswith("requirements"):
        return "Python requirements"
    finding = f.files.get(path)
    if finding is not None and finding.sniffed is not None and finding.sniffed.role == "config":
        return f"configuration: {finding.sniffed.summary}"
    return ""


def _kind(finding: FileFinding) -> str:
    """code | docs | other — configuration files recognised by content (JSON objects) count as code."""
    if finding.ext_kind in ("code", "docs"):
        return finding.ext_kind
    return "code" if finding.sniffed is not None and finding.sniffed.role == "config" else "other"


def code_and_docs(f: Findings, claimed: list[str]) -> tuple[list[Entry], list[Entry]]:
    """Top-level files and folders not claimed by the model or datasets: code or docs."""
    code: list[Entry] = []
    docs: list[Entry] = []
    top: dict[str, list[str]] = {}
    taken = set(claimed)
    for rel in f.files:
        if rel not in f.secrets and not inside_any(rel, taken):
            top.setdefault(rel.split("/", 1)[0], []).append(rel)
    for name, rels in sorted(top.items()):
        if rels == [name]:
            finding = f.files[name]
            kind = "docs" if DOC_NAMES.match(name) else _kind(finding)
            if kind == "docs":
                docs.append(
                    Entry(
                        "docs",
                        name,
                        finding.size,
                        description=_doc_description(name),
                        reasons=[f"documentation by name: {name}"],
                    )
                )
            elif kind == "code":
                code.append(
                    Entry(
                        "code",
                        name,
                        finding.size,
                        description=_describe_code(f, name),
                        reasons=[_code_reason(f, name)],
                    )
                )
            continue
        kinds = Counter(_kind(f.files[r]) for r in rels)
        size = sum(f.files[r].size for r in rels)  # nested model/dataset layers are not in this one
        if name.lower() == "docs" or kinds["docs"] == len(rels):
            docs.append(
                Entry(
                    "docs",
                    name,
                    size,
                    description="documentation folder",
                    reasons=[f"{kinds['docs']} documentation files"],
                )
            )
        elif kinds["code"] >= CODE_DIR_MIN_SHARE * len(rels):
            counts = (
                (sum(r.endswith(".ipynb") for r in rels), "notebooks"),
                (sum(r.endswith(".py") for r in rels), "Python files"),
                (
                    sum(_kind(f.files[r]) == "code" and f.files[r].ext_kind != "code" for r in rels),
                    "config files",
                ),
            )
            what = ", ".join(f"{n} {label}" for n, label in counts if n) or "code files"
            code.append(
                Entry(
                    "code",
                    name,
                    size,
                    description=f"code folder: {what}",
                    reasons=[
                        f"{kinds['code']} of its {len(rels)} files not claimed by the model or datasets "
                        f"are code ({what})"
                    ],
                )
            )
    return code, docs


def _code_reason(f: Findings, path: str) -> str:
    source = next((s for s in f.sources if s.path == path), None)
    if source is not None:
        io = len(source.events)
        return (
            f"{'notebook' if source.notebook else 'script'} read for its imports and {io} file reads/writes"
        )
    return f"code or configuration by extension: {path}"


def _doc_description(name: str) -> str:
    upper = name.upper()
    if upper.startswith("README"):
        return "Readme file"
    if upper.startswith(("LICENSE", "LICENCE", "COPYING")):
        return "License file"
    return "Documentation"
