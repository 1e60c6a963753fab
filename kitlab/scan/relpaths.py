"""Tests on folder-relative POSIX paths ("" is the scanned folder itself), and the jail check for the
few files read by a fixed name rather than found by the walk (which never follows symlinks)."""

from __future__ import annotations

from pathlib import Path


def under(path: str, parent: str) -> bool:
    """``path`` is ``parent`` or inside it (path-segment aware; "" is the whole folder)."""
    return parent in ("", ".") or path == parent or path.startswith(parent + "/")


def inside_any(rel: str, paths: set[str]) -> bool:
    """``rel`` is one of ``paths`` or inside one of them: a walk up its parents, O(depth)."""
    if not paths:
        return False
    if "" in paths or "." in paths:
        return True
    while True:
        if rel in paths:
            return True
        cut = rel.rfind("/")
        if cut < 0:
            return False
        rel = rel[:cut]


def readable_inside(path: Path, root: Path) -> bool:
    """``path`` is a regular file whose real location is inside ``root`` (a resolved folder)."""
    try:
        real = path.resolve()
    except OSError:
        return False
    return (real == root or root in real.parents) and real.is_file()
