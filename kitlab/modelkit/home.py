"""Where kit keeps its state: the same resolution as the kit CLI, so both tools share one store."""

from __future__ import annotations

import os
from pathlib import Path


def kitops_home(override: str | os.PathLike[str] | None = None) -> Path:
    """``--config``-style override, then ``$KITOPS_HOME``, then ``$XDG_DATA_HOME/kitops``, then
    ``~/.local/share/kitops`` (kit's Linux default; docs/kit-format.md, "The local store")."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("KITOPS_HOME")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg) / "kitops"
    return Path.home() / ".local" / "share" / "kitops"
