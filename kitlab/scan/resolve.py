"""Turning the paths notebooks spell into workspace paths: relative to the notebook's folder (Jupyter's
working directory), then to the scanned folder; URLs, hub ids and anything outside the folder are
external — reported, never read."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection
from dataclasses import dataclass

from kitlab.scan.notebooks import IOEvent

URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
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
