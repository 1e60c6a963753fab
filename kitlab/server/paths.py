"""Confinement of user-supplied paths to the Jupyter server's root directory.

The browser names files as the contents API does: '/'-separated, relative to the server root. Every
such path is resolved (symlinks included) and must land inside the root, or the request is refused.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from kitlab.errors import PathOutsideRoot


def resolve_in_root(root: Path, api_path: str) -> Path:
    """The absolute, symlink-resolved path for ``api_path`` under ``root``; refuse anything outside.

    Absolute paths and ``..`` segments are refused outright rather than normalised, so a request can
    never mean something other than what it says.
    """
    if "\x00" in api_path:
        raise PathOutsideRoot("path contains a NUL byte")
    pure = PurePosixPath(api_path.strip())
    if pure.is_absolute() or api_path.startswith("\\"):
        raise PathOutsideRoot(
            f"{api_path!r}: absolute paths are not allowed; use a path inside the workspace"
        )
    if ".." in pure.parts:
        raise PathOutsideRoot(f"{api_path!r}: '..' is not allowed; use a path inside the workspace")
    real_root = root.resolve()
    candidate = real_root.joinpath(*pure.parts).resolve()
    if candidate != real_root and real_root not in candidate.parents:
        raise PathOutsideRoot(f"{api_path!r} leads outside the workspace (through a symbolic link)")
    return candidate


def to_api_path(root: Path, path: Path) -> str:
    """The contents-API form of a path inside ``root`` ('' for the root itself)."""
    rel = path.resolve().relative_to(root.resolve())
    return "" if rel == Path(".") else rel.as_posix()
