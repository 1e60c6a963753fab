"""Everything the scan found, in one place, for the drafter: classified files, artifact folders, notebook
reads and writes resolved to workspace paths, and secret paths."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kitlab.scan.classify import FileFinding
from kitlab.scan.folders import FolderFinding
from kitlab.scan.notebooks import SourceInfo
from kitlab.scan.resolve import Resolved
from kitlab.scan.runs import Trackers
from kitlab.scan.walk import DirListing, subtree_bytes


@dataclass
class Findings:
    folder: Path
    files: dict[str, FileFinding]
    dirs: dict[str, DirListing]
    model_folders: list[FolderFinding] = field(default_factory=list)
    checkpoints: list[FolderFinding] = field(default_factory=list)
    dataset_folders: list[tuple[str, str, int]] = field(default_factory=list)
    sources: list[SourceInfo] = field(default_factory=list)
    resolved: list[Resolved] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    trackers: Trackers = field(default_factory=Trackers)
    _dir_sizes: dict[str, int] = field(default_factory=dict, repr=False)

    def size_of(self, path: str) -> int:
        if path in self.files:
            return self.files[path].size
        if not self._dir_sizes:
            self._dir_sizes = subtree_bytes(self.dirs)
        return self._dir_sizes.get("" if path == "." else path, 0)

    def events_for(self, path: str, op: str) -> list[Resolved]:
        """Resolved reads or writes of ``path`` or of anything inside it."""
        prefix = path + "/"
        return [
            r
            for r in self.resolved
            if r.event.op == op
            and r.rel is not None
            and r.exists
            and (r.rel == path or r.rel.startswith(prefix))
        ]


def cite(resolved: Resolved, verb: str) -> str:
    """The checkable reason: 'written by train.ipynb cell 12: `joblib.dump(model, "models/clf.joblib")`'."""
    return f"{verb} by {resolved.event.where()}: `{resolved.event.snippet}`"
