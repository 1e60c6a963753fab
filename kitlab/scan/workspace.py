"""``scan_workspace``: walk, recognise, read the notebooks, draft the Kitfile, and report hygiene."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kitlab.errors import InvalidInput, NotFound, PathOutsideRoot
from kitlab.kitfile import kitfile_to_dict
from kitlab.kitfile.model import Kitfile
from kitlab.modelkit.kitignore import KitIgnore
from kitlab.modelkit.secrets import finding_kinds
from kitlab.scan.classify import classify
from kitlab.scan.compare import compare_existing
from kitlab.scan.draft import build_draft
from kitlab.scan.findings import Findings
from kitlab.scan.folders import FolderFinding, detect_checkpoint, detect_dataset_folders, detect_model_folder
from kitlab.scan.hygiene_report import LIST_LIMIT, depth_first, find_secrets, hygiene_report
from kitlab.scan.notebooks import SourceInfo, read_notebook, read_script
from kitlab.scan.pickles import DANGEROUS, NOT_A_PICKLE, SAFE, UNKNOWN, pickle_warnings, scan_pickle_file
from kitlab.scan.pipelines import DVC_FILES, read_dvc, read_dvc_pointer
from kitlab.scan.relpaths import inside_any, readable_inside, under
from kitlab.scan.requirements import pinned_requirements
from kitlab.scan.resolve import resolve_all
from kitlab.scan.runs import carve, find_trackers
from kitlab.scan.types import ScanLimits
from kitlab.scan.walk import WalkResult, walk

MAX_LOG_PATHS = 100


@dataclass
class ScanReport:
    folder: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    kitfile: dict[str, Any] = field(default_factory=dict)
    package_reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hygiene: dict[str, Any] = field(default_factory=dict)
    requirements: str = ""
    existing_kitfile: dict[str, Any] | None = None
    stopped_early: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    kitfile_object: Kitfile | None = None  # the draft itself, for writing it with kit's YAML layout

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "entries": self.entries,
            "kitfile": self.kitfile,
            "package_reasons": self.package_reasons,
            "warnings": self.warnings,
            "hygiene": self.hygiene,
            "requirements": self.requirements,
            "existing_kitfile": self.existing_kitfile,
            "stopped_early": self.stopped_early,
            "stats": self.stats,
        }


def confine(folder: Path, root: Path) -> tuple[Path, Path]:
    """Resolved (folder, root); ``folder`` may be relative to ``root``; it must stay inside it."""
    real_root = root.resolve()
    target = (folder if folder.is_absolute() else real_root / folder).resolve()
    if target != real_root and real_root not in target.parents:
        raise PathOutsideRoot(f"{folder} is outside the server root")
    if not target.is_dir():
        raise NotFound(f"{folder} is not a folder")
    return target, real_root


def scan_workspace(folder: Path, root: Path, *, limits: ScanLimits | None = None) -> ScanReport:
    """Scan ``folder`` (inside ``root``, the jail: nothing outside it is read or followed)."""
    limits = limits or ScanLimits()
    started = time.monotonic()
    folder, root = confine(Path(folder), Path(root))
    report = ScanReport(folder=str(folder.relative_to(root)) if folder != root else ".")
    walked = walk(folder, limits, _kitignore(folder, root, report))
    t_walk = time.monotonic()
    if walked.stopped_early:
        report.stopped_early = True
        report.warnings.append(f"scan {walked.stop_reason}: the draft covers only what was seen")

    model_folders, checkpoints = _artifact_folders(folder, walked)
    trackers = find_trackers(folder, walked.dirs)
    claimed = {m.path for m in model_folders + checkpoints}
    dataset_folders = detect_dataset_folders(walked.dirs, claimed | set(trackers.roots))
    files, unopened = classify(
        folder,
        walked.files,
        claimed,
        limits.sniffs_per_dir_and_kind,
        started + limits.max_seconds,
        set(trackers.roots),
    )
    if unopened:
        report.stopped_early = True
        report.warnings.append(f"time limit reached: {unopened} files were not opened to recognise them")
    t_sniff = time.monotonic()

    not_code = claimed | {p for p, _, _ in dataset_folders} | set(trackers.roots)
    sources = _read_sources(folder, files, not_code, limits, report)
    file_set = set(files)
    listings = {rel: listing.files for rel, listing in walked.dirs.items()}
    resolved = [r for s in sources for e in s.events for r in resolve_all(e, file_set, listings, str(folder))]
    t_read = time.monotonic()

    secrets = find_secrets(folder, files, sources, not_code, limits, report.warnings)
    in_checkpoint = {c.path for c in checkpoints}
    findings = Findings(
        folder=folder,
        files={k: v for k, v in files.items() if not (in_checkpoint and inside_any(k, in_checkpoint))},
        dirs=walked.dirs,
        model_folders=model_folders,
        checkpoints=checkpoints,
        dataset_folders=dataset_folders,
        sources=sources,
        resolved=resolved,
        secrets={str(s["path"]) for s in secrets},
        trackers=trackers,
    )
    draft = build_draft(findings, root)
    drafted = [e.path for e in draft.entries]
    # A checkpoint picked as the model (or holding it) is packed; the others stay out (.kitignore).
    findings.checkpoints = [c for c in checkpoints if not any(under(d, c.path) for d in drafted)]
    for tracker_root, reason in trackers.roots.items():
        kept = [d for d in drafted if under(d, tracker_root)]
        logs = carve(walked.dirs, tracker_root, kept)
        # Logs lie outside every drafted layer, so they are never packed; the list only informs (and
        # feeds the suggested .kitignore), so a tracker with thousands of runs lists the first ones.
        walked.excluded += [{"path": p, "reason": reason} for p in logs[:MAX_LOG_PATHS]]
        if len(logs) > MAX_LOG_PATHS:
            report.warnings.append(
                f"{tracker_root}: {len(logs) - MAX_LOG_PATHS} more run-log paths are left out of the kit "
                "(not listed)"
            )
    report.entries = [e.to_dict() for e in draft.entries]
    _flag_pickles(report, folder, files)
    report.kitfile = kitfile_to_dict(draft.kitfile)
    report.kitfile_object = draft.kitfile
    report.package_reasons = draft.package_reasons
    report.warnings += draft.warnings
    report.existing_kitfile = compare_existing(folder, root, file_set, set(walked.dirs), draft.entries)
    # W&B's latest-run link and the like: inside a tracker's logs, which stay out anyway.
    links = [x for x in walked.symlinks if not inside_any(str(x["path"]), set(trackers.roots))]
    _warn_about(report, links, sources, resolved)
    _warn_about_secrets(report, secrets)
    report.hygiene = hygiene_report(folder, root, findings, walked.excluded, secrets, draft.entries, resolved)
    if limits.pinned_requirements:
        _pin_requirements(report, sources, files)
    report.stats = {
        "files": len(walked.files),
        "dirs": len(walked.dirs),
        "bytes": sum(f.size for f in walked.files),
        "sniffed": sum(1 for f in files.values() if f.sniffed is not None and not f.inferred_from),
        "notebooks": sum(1 for s in sources if s.notebook),
        "scripts": sum(1 for s in sources if not s.notebook),
        "ignored_by_kitignore": walked.ignored_by_kitignore,
        "seconds": {
            "walk": round(t_walk - started, 3),
            "sniff": round(t_sniff - t_walk, 3),
            "read_code": round(t_read - t_sniff, 3),
            "total": round(time.monotonic() - started, 3),
        },
    }
    return report


def _kitignore(folder: Path, root: Path, report: ScanReport) -> KitIgnore:
    if (folder / ".kitignore").exists() and not readable_inside(folder / ".kitignore", root):
        report.warnings.append(".kitignore not used: it leads outside the server root")
        return KitIgnore([])
    try:
        return KitIgnore.from_context(folder)
    except InvalidInput as exc:
        report.warnings.append(f".kitignore not used: {exc.message}")
        return KitIgnore([])


def _artifact_folders(folder: Path, walked: WalkResult) -> tuple[list[FolderFinding], list[FolderFinding]]:
    """Topmost model folders and training checkpoints (parents are visited before their children)."""
    models: list[FolderFinding] = []
    checkpoints: list[FolderFinding] = []
    model_paths: set[str] = set()  # for inside_any: O(depth) a folder, not O(models)
    checkpoint_paths: set[str] = set()
    for rel in sorted(walked.dirs):
        if inside_any(rel, checkpoint_paths):
            continue
        if inside_any(rel, model_paths):
            # A trainer's checkpoint-N inside its output folder: an alternative, left out of the kit.
            inner = detect_checkpoint(folder / rel, rel, walked.dirs[rel])
            if inner is not None:
                checkpoints.append(inner)
                checkpoint_paths.add(rel)
            continue
        found = detect_model_folder(folder / rel if rel else folder, rel, walked.dirs[rel])
        if found is not None:
            (checkpoints if found.checkpoint else models).append(found)
            (checkpoint_paths if found.checkpoint else model_paths).add(rel)
    return models, checkpoints


def _warn_about_secrets(report: ScanReport, secrets: list[dict[str, object]]) -> None:
    for path in sorted({str(s["path"]) for s in secrets}):
        kinds = sorted({k for s in secrets if s["path"] == path for k in finding_kinds(s)})
        report.warnings.append(
            f"{path} holds a possible secret ({', '.join(kinds)}): a layer that carries it stops the pack; "
            "leave it out with .kitignore (Write .kitignore), or remove the secret (or clear the notebook "
            "output) to pack it"
        )


def _flag_pickles(report: ScanReport, folder: Path, files: dict[str, Any]) -> None:
    """The pickle gate's verdict on each drafted model file that is pickle-based (docs/pickle-gate.md):
    loading a pickle runs code, so the scan says which ones are safe before anyone packs or loads them."""
    for entry in report.entries:
        if entry["kind"] not in ("model", "modelpart") or entry["path"] not in files:
            continue
        found = scan_pickle_file(folder / entry["path"])
        if found.verdict == NOT_A_PICKLE:
            continue
        named = found.named(DANGEROUS) or found.named(UNKNOWN)
        entry["pickle"] = {"verdict": found.verdict, "globals": named[:6]}
        if found.verdict == SAFE:
            entry["reasons"].append("pickle: safe to load (only classes on the allowlist)")
            continue
        entry["reasons"].append(f"pickle: {found.verdict}, loading it may run code ({', '.join(named[:6])})")
        report.warnings += pickle_warnings([found], folder)


def _pin_requirements(report: ScanReport, sources: list[SourceInfo], files: dict[str, Any]) -> None:
    modules: set[str] = set().union(*(s.imports for s in sources)) if sources else set()
    kernels = Counter(s.kernel for s in sources if s.kernel)
    kernel = kernels.most_common(1)[0][0] if kernels else ""
    report.requirements, warnings = pinned_requirements(modules, _local_modules(files), kernel)
    report.warnings += warnings


def _read_sources(
    folder: Path, files: dict[str, Any], skip: set[str], limits: ScanLimits, report: ScanReport
) -> list[SourceInfo]:
    notebooks = [r for r in files if r.endswith(".ipynb") and not inside_any(r, skip)]
    scripts = [r for r in files if r.endswith(".py") and not inside_any(r, skip)]
    pipelines = [r for r in files if r.rsplit("/", 1)[-1] in DVC_FILES and not inside_any(r, skip)]
    pointers = [
        r for r in files if r.endswith(".dvc") and files[r].size <= 64 * 1024 and not inside_any(r, skip)
    ]
    for kind, items, cap in (
        ("notebooks", notebooks, limits.max_notebooks),
        (".py files", scripts, limits.max_code_files),
    ):
        if len(items) > cap:
            report.warnings.append(f"read only the {cap} shallowest of {len(items)} {kind}")
    out = [
        read_notebook(folder / r, r)
        for r in sorted(notebooks, key=depth_first)[: limits.max_notebooks]
        if files[r].size <= 50 * limits.max_code_bytes
    ]
    out += [
        read_script(folder / r, r)
        for r in sorted(scripts, key=depth_first)[: limits.max_code_files]
        if files[r].size <= limits.max_code_bytes
    ]
    out += [
        read_dvc(folder / r, r)
        for r in sorted(pipelines, key=depth_first)[:20]
        if files[r].size <= limits.max_code_bytes
    ]
    out += [
        read_dvc_pointer(folder / r, r) for r in sorted(pointers, key=depth_first)[: limits.max_code_files]
    ]
    return out


def _local_modules(files: dict[str, Any]) -> set[str]:
    local = set()
    for rel in files:
        if rel.endswith(".py"):
            parts = rel[:-3].split("/")
            local.add(parts[-1])
            local.update(parts[:-1])
    return local


def _warn_about(
    report: ScanReport, symlinks: list[dict[str, Any]], sources: list[SourceInfo], resolved: list[Any]
) -> None:
    for link in symlinks[:LIST_LIMIT]:
        if link["outside"]:
            report.warnings.append(
                f"symlink {link['path']} points outside the folder: not followed, not packed"
            )
        else:
            report.warnings.append(f"symlink {link['path']} is not packed by kit (symlinks are skipped)")
    for source in sources:
        if source.syntax_errors:
            report.warnings.append(
                f"{source.path}: {source.syntax_errors} cell(s)/file(s) could not be parsed"
            )
        report.warnings += [f"path not constant, not followed: {u}" for u in source.unresolved[:20]]
    for res in resolved:
        if res.rel is not None and not res.exists and res.event.op == "read":
            report.warnings.append(f"{res.event.where()} reads {res.event.raw}, which is not in the folder")
