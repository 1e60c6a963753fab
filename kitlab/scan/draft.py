"""Findings → a Kitfile draft: package metadata, the main model with its parts and alternatives,
datasets, code and docs — every entry with its reasons."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kitlab.kitfile.model import CodeEntry, DatasetEntry, DocsEntry, Kitfile, Model, ModelPart, Package
from kitlab.scan.artifacts import code_and_docs, dataset_entries
from kitlab.scan.candidates import model_candidates, model_entry, model_parts
from kitlab.scan.findings import Findings
from kitlab.scan.metadata import git_author, license_from_card, license_from_text, read_head
from kitlab.scan.types import Entry

MANIFEST_VERSION = "1.0.0"
GENERIC_FOLDER_NAMES = {"", "work", "jovyan", "home", "notebooks", "workspace", "src", "project"}
PART_TYPE = re.compile(r"^[\w][\w.-]*$")


@dataclass
class Draft:
    kitfile: Kitfile
    entries: list[Entry] = field(default_factory=list)
    package_reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def kit_path(path: str) -> str:
    """``path`` as the Kitfile spells it: a folder named like ``model:v3`` (a W&B artifact download)
    would read as a ModelKit reference to kit, so it gets a trailing ``/``: no tag
    ends in one, and kit cleans it off the layer path."""
    from kitlab.kitfile.pathtypes import is_modelkit_reference

    return f"{path}/" if is_modelkit_reference(path) else path


def _package_name(f: Findings, main_source: str) -> str:
    base = f.folder.name
    if base.lower() in GENERIC_FOLDER_NAMES and main_source:
        base = main_source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return re.sub(r"[^a-z0-9._-]+", "-", base.lower()).strip("-._") or "modelkit"


def _license(f: Findings, docs: list[Entry], model_dir: str) -> tuple[str, str]:
    for entry in docs:
        if entry.description == "License file":
            spdx = license_from_text(read_head(f.folder / entry.path))
            if spdx:
                return spdx, f"license {spdx} recognised in {entry.path}"
    cards = [e.path for e in docs if e.description == "Readme file"]
    if model_dir:
        cards.insert(0, f"{model_dir}/README.md")
    for card in cards:
        if card in f.files:
            spdx = license_from_card(read_head(f.folder / card))
            if spdx:
                return spdx, f"license {spdx} from the model card front matter in {card}"
    return "", ""


def _describe(f: Findings, main_source: str, docs: list[Entry]) -> tuple[str, str]:
    sources = sorted(f.sources, key=lambda s: (s.path != main_source, not s.notebook, s.path))
    for source in sources:
        if source.title:
            text = f"{source.title}: {source.summary}" if source.summary else source.title
            return text, f"description from the first markdown heading of {source.path}"
    for entry in docs:
        if entry.description == "Readme file" and entry.path.lower().endswith(".md"):
            lines = [ln.strip() for ln in read_head(f.folder / entry.path).splitlines()]
            heading = next((ln.lstrip("#").strip() for ln in lines if ln.startswith("#")), "")
            if heading:
                return heading, f"description from the first heading of {entry.path}"
    return "", ""


def build_draft(f: Findings, root: Path) -> Draft:
    draft = Draft(Kitfile(manifest_version=MANIFEST_VERSION))
    seen: set[str] = set()

    def unique(entries: list[Entry]) -> list[Entry]:
        # kit rejects a Kitfile that uses one path twice; the first (most specific) role wins.
        kept = []
        for entry in entries:
            if entry.path in seen:
                draft.warnings.append(f"{entry.path} also looked like {entry.kind}; listed once")
                continue
            seen.add(entry.path)
            kept.append(entry)
        return kept

    candidates = model_candidates(f)
    # Run-tracker folders are logs but for the model picked from them (workspace.py carves them).
    claimed: list[str] = list(f.trackers.roots)
    main_source = ""
    model_dir = ""
    if candidates:
        main, others = candidates[0], candidates[1:]
        model = model_entry(main, others)
        parts = unique([model, *model_parts(f, main, others)])[1:]
        draft.entries += [model, *parts]
        claimed += [main.path, *(p.path for p in parts), *(c.path for c in others)]
        main_source = main.writer.event.source if main.writer else ""
        model_dir = main.path if main.is_dir else ""
        draft.kitfile.model = Model(
            name=model.name,
            path=kit_path(model.path),
            framework=model.framework,
            format=model.format,
            version=model.version,
            description=model.description,
            # kit keeps model.parameters as free YAML (the format reference's section 2.5)
            parameters=model.metadata or None,
            parts=[
                ModelPart(
                    name=p.name,
                    path=kit_path(p.path),
                    type=p.part_type if PART_TYPE.match(p.part_type) else "",
                )
                for p in parts
            ],
        )
    datasets = unique(dataset_entries(f, claimed))
    code, docs = code_and_docs(f, claimed + [d.path for d in datasets])
    code, docs = unique(code), unique(docs)
    draft.entries += datasets + code + docs
    draft.kitfile.datasets = [
        DatasetEntry(name=d.name, path=kit_path(d.path), description=d.description) for d in datasets
    ]
    draft.kitfile.code = [CodeEntry(path=kit_path(c.path), description=c.description) for c in code]
    draft.kitfile.docs = [DocsEntry(path=kit_path(d.path), description=d.description) for d in docs]
    _package(draft, f, main_source, docs, model_dir, root)
    return draft


def _package(
    draft: Draft, f: Findings, main_source: str, docs: list[Entry], model_dir: str, root: Path
) -> None:
    pkg = Package(name=_package_name(f, main_source))
    draft.package_reasons.append(
        f"name {pkg.name!r} from the folder"
        if f.folder.name.lower() not in GENERIC_FOLDER_NAMES or not main_source
        else f"name from {main_source}"
    )
    pkg.description, why = _describe(f, main_source, docs)
    if why:
        draft.package_reasons.append(why)
    authors = next((s.authors for s in f.sources if s.authors), [])
    if authors:
        draft.package_reasons.append("authors from notebook metadata")
    else:
        author = git_author(f.folder, root)
        authors = [author] if author else []
        if author:
            draft.package_reasons.append("author from git config")
    pkg.authors = authors
    pkg.license, why = _license(f, docs, model_dir)
    if why:
        draft.package_reasons.append(why)
        if draft.kitfile.model is not None:
            draft.kitfile.model.license = pkg.license
    draft.kitfile.package = pkg
