"""Turning the paths notebooks spell into workspace paths: relative to the notebook's folder (Jupyter's
working directory), then to the scanned folder; URLs, hub ids and anything outside the folder are
external — reported, never read."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from kitlab.scan.notebooks import IOEvent

URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
MAX_PATTERN_MATCHES = 200
HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")


@dataclass
class Resolved:
    event: IOEvent
    rel: str | None  # inside the folder; None when external
    exists: bool
    external: str = ""  # "url", "hub", "outside"

    def to_external(self) -> dict[str, object]:
        return {
            "path": self.event.raw,
            "kind": self.external,
            "op": self.event.op,
            "by": self.event.where(),
            "code": self.event.snippet,
        }


def resolve(event: IOEvent, files: Collection[str], dirs: Collection[str], folder_abs: str) -> Resolved:
    raw = event.raw.strip()
    if URL.match(raw):
        return Resolved(event, None, False, "url")
    if raw.startswith("~"):
        return Resolved(event, None, False, "outside")
    if raw.startswith("/"):
        inner = posixpath.relpath(posixpath.normpath(raw), folder_abs)
        if inner.startswith(".."):
            return Resolved(event, None, False, "outside")
        candidates = [inner]
    else:
        base = posixpath.dirname(event.source)
        candidates = [posixpath.normpath(posixpath.join(base, raw)), posixpath.normpath(raw)]
    inside = [c for c in candidates if not c.startswith("..")]
    for rel in inside:
        rel = "" if rel == "." else rel
        if rel in files or rel in dirs:
            return Resolved(event, rel, True)
    if event.hub and HUB_ID.match(raw):
        return Resolved(event, None, False, "hub")
    if not inside:
        return Resolved(event, None, False, "outside")
    return Resolved(event, inside[0], False)


def resolve_all(
    event: IOEvent,
    files: Collection[str],
    dirs: Mapping[str, Collection[str] | Sequence[str]],
    folder_abs: str,
) -> list[Resolved]:
    """``resolve`` for a constant path; for a loop's glob (``models/fold_*.joblib``) one Resolved per file
    it matches in its folder (the folder part is constant, so only that folder's listing is read)."""
    if not event.pattern:
        return [resolve(event, files, dirs, folder_abs)]
    raw = event.raw.strip()
    if URL.match(raw) or raw.startswith(("~", "/")):
        return []
    base = posixpath.dirname(event.source)
    for candidate in (posixpath.normpath(posixpath.join(base, raw)), posixpath.normpath(raw)):
        if candidate.startswith(".."):
            continue
        home, name = posixpath.split(candidate)
        names = dirs.get(home)
        if names is None:
            continue
        regex = re.compile(fnmatch.translate(name))
        matched = sorted(n for n in names if regex.match(n))[:MAX_PATTERN_MATCHES]
        if matched:
            out = []
            for n in matched:
                rel = f"{home}/{n}" if home else n
                single = IOEvent(**{**event.__dict__, "raw": rel, "pattern": False, "glob": raw})
                out.append(Resolved(single, rel, rel in files))
            return out
    return []
