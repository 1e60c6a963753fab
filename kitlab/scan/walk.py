"""Walk a workspace folder fast (``os.scandir``, sizes only), leaving out noise and never following symlinks.

Noise is recognised by name (``.git``, ``__pycache__`` …) and by content (a virtualenv has ``pyvenv.cfg``
or ``conda-meta``; a TensorBoard log folder holds ``events.out.tfevents.*``; a folder with its own Kitfile
is an unpacked ModelKit). ``.kitignore`` is honoured.

Run-tracker folders (``mlruns``, ``wandb``, ``lightning_logs``) are walked, not dropped: the model of a
run lives inside them (docs/user-guide.md, "What was found"); ``kitlab.scan.runs`` keeps their logs out.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from kitlab.modelkit.kitignore import ALWAYS_IGNORED, KitIgnore
from kitlab.scan.types import ScanLimits, WalkedFile

NOISE_DIRS = {
    ".git": "version-control metadata",
    ".hg": "version-control metadata",
    ".svn": "version-control metadata",
    ".ipynb_checkpoints": "notebook autosave checkpoints",
    "__pycache__": "Python bytecode cache",
    "node_modules": "npm packages",
    "site-packages": "installed Python packages",
    ".mypy_cache": "tool cache",
    ".pytest_cache": "tool cache",
    ".ruff_cache": "tool cache",
    ".tox": "tool cache",
    ".nox": "tool cache",
    ".cache": "tool cache",
    ".virtual_documents": "JupyterLab LSP shadow files",
    ".Trash-0": "trash",
    ".neptune": "run logs (Neptune)",
    ".clearml": "run logs (ClearML)",
    ".dvc": "DVC metadata and cache (copies of tracked files)",
}
NOISE_FILES = {".DS_Store": "Finder metadata", "Thumbs.db": "Explorer thumbnails"}
VENV_MARKERS = ("pyvenv.cfg", "conda-meta")
TFEVENTS_PREFIX = "events.out.tfevents"
KITFILE_NAMES = ("Kitfile", "kitfile", ".kitfile")
TFEVENTS_REASON = "run logs (TensorBoard event files)"


@dataclass
class DirListing:
    files: list[str] = field(default_factory=list)
    subdirs: list[str] = field(default_factory=list)
    bytes: int = 0  # total size of ``files`` (direct children only)


@dataclass
class WalkResult:
    files: list[WalkedFile] = field(default_factory=list)
    dirs: dict[str, DirListing] = field(default_factory=dict)  # "" is the folder itself
    excluded: list[dict[str, str]] = field(default_factory=list)
    ignored_by_kitignore: int = 0
    symlinks: list[dict[str, str | bool]] = field(default_factory=list)
    stopped_early: bool = False
    stop_reason: str = ""
    seconds: float = 0.0


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _noise_reason(names: set[str], has_subdirs: bool) -> str:
    """Why a folder is noise, judged by what it contains (names were checked before listing it)."""
    if any(marker in names for marker in VENV_MARKERS):
        return "virtual environment (" + ", ".join(m for m in VENV_MARKERS if m in names) + ")"
    if any(n in names for n in KITFILE_NAMES):
        return "an unpacked ModelKit (it has its own Kitfile): a kit, not this workspace's model"
    # A log folder with subfolders (lightning_logs/version_0/checkpoints) may hold the model: only its
    # event files are left out then.
    if not has_subdirs and any(n.startswith(TFEVENTS_PREFIX) for n in names):
        return TFEVENTS_REASON
    return ""


def walk(folder: Path, limits: ScanLimits, ignore: KitIgnore | None = None) -> WalkResult:
    """List ``folder`` recursively; ``folder`` must already be resolved and confined by the caller."""
    started = time.monotonic()
    deadline = started + limits.max_seconds
    ignore = ignore if ignore is not None else KitIgnore.from_context(folder)
    full_check = ignore.has_exclusions
    # With only kit's built-in root names, nothing below the root can match.
    check_all = ignore.patterns != ALWAYS_IGNORED
    result = WalkResult()
    folder_str = str(folder)
    real_folder = os.path.realpath(folder_str)
    stack: list[str] = [""]
    seen = 0
    while stack:
        rel_dir = stack.pop()
        name = os.path.basename(rel_dir)
        if rel_dir and not limits.include_noise and name in NOISE_DIRS:
            # Known by name: no need to list it.
            result.excluded.append({"path": rel_dir, "reason": NOISE_DIRS[name]})
            continue
        abs_dir = os.path.join(folder_str, rel_dir) if rel_dir else folder_str
        try:
            with os.scandir(abs_dir) as it:
                entries = sorted(it, key=_entry_name)
        except OSError:
            continue
        names = {e.name for e in entries}
        if rel_dir and not limits.include_noise:
            reason = _noise_reason(names, any(e.is_dir(follow_symlinks=False) for e in entries))
            if reason:
                result.excluded.append({"path": rel_dir, "reason": reason})
                continue
        listing = DirListing()
        result.dirs[rel_dir] = listing
        prefix = rel_dir + "/" if rel_dir else ""
        for entry in entries:
            seen += 1
            if seen >= limits.max_files:
                result.stopped_early = True
                result.stop_reason = f"stopped after {limits.max_files} entries (max_files)"
                break
            if seen % 512 == 0 and time.monotonic() > deadline:
                result.stopped_early = True
                result.stop_reason = f"stopped after {limits.max_seconds:g} s (max_seconds)"
                break
            rel = prefix + entry.name
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                outside = os.path.commonpath([real_folder, target]) != real_folder
                result.symlinks.append({"path": rel, "outside": outside})
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            hit = (check_all or not rel_dir) and ignore.matches(rel)
            if hit and not (is_dir and full_check):
                result.ignored_by_kitignore += 1
                continue
            if is_dir:
                listing.subdirs.append(entry.name)
                stack.append(rel)
            elif hit:
                result.ignored_by_kitignore += 1
            elif entry.is_file(follow_symlinks=False):
                if not limits.include_noise and entry.name in NOISE_FILES:
                    result.excluded.append({"path": rel, "reason": NOISE_FILES[entry.name]})
                    continue
                if rel_dir and not limits.include_noise and entry.name.startswith(TFEVENTS_PREFIX):
                    result.excluded.append({"path": rel, "reason": TFEVENTS_REASON})
                    continue
                stat = entry.stat(follow_symlinks=False)
                listing.files.append(entry.name)
                listing.bytes += stat.st_size
                result.files.append(WalkedFile(rel, stat.st_size, stat.st_mtime))
        if result.stopped_early:
            break
    result.seconds = time.monotonic() - started
    return result


def subtree_bytes(dirs: dict[str, DirListing]) -> dict[str, int]:
    """Total size of each folder's whole subtree, added up bottom-up over the listings."""
    totals: dict[str, int] = {}
    for rel in sorted(dirs, key=lambda d: d.count("/") if d else -1, reverse=True):
        prefix = rel + "/" if rel else ""
        totals[rel] = dirs[rel].bytes + sum(totals.get(prefix + sub, 0) for sub in dirs[rel].subdirs)
    return totals
