"""Small project folders for the pack, unpack and transfer tests, and reading a folder back."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def write_context(root: Path, files: Mapping[str, bytes], kitfile: str) -> Path:
    """``files`` (relative path → bytes) and the Kitfile under ``root``; ``.py`` files are 0755 and the
    others 0644 whatever the umask, so packed modes are the same on every machine. Returns ``root``."""
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o755 if name.endswith(".py") else 0o644)
    (root / "Kitfile").write_text(kitfile)
    return root


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path → bytes)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
