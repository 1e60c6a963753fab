"""A SLSA v1 provenance predicate for a kit packed from a workspace (docs/trust.md, "Attestations").

It records what produced the kit: the workspace's notebooks and scripts with their SHA-256 digests (as
``resolvedDependencies``), the git commit and whether the tree had uncommitted changes, the Python
version, and kitlab as the builder, with the time. Which cell wrote which artifact is not in it yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from kitlab._version import __version__

# URIs in the project's own namespace, as the job event schema id (https://events.kitlab.dev/job).
BUILD_TYPE = "https://kitlab.dev/provenance/pack/v1"
SOURCE_SUFFIXES = (".ipynb", ".py", ".r", ".R", ".sql")
MAX_SOURCES = 2000
SKIPPED_DIRS = {".git", ".ipynb_checkpoints", "__pycache__", "node_modules", ".venv", "venv"}


def _git(directory: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _sources(directory: Path) -> list[dict[str, Any]]:
    """Notebooks and scripts below ``directory`` (symlinks never followed), with their digests."""
    found: list[dict[str, Any]] = []
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if not name.endswith(SOURCE_SUFFIXES) or path.is_symlink() or not path.is_file():
                continue
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            found.append(
                {"uri": path.relative_to(directory).as_posix(), "digest": {"sha256": digest.hexdigest()}}
            )
            if len(found) >= MAX_SOURCES:
                return found
    return found


def provenance(directory: str | os.PathLike[str], reference: str) -> dict[str, Any]:
    """The SLSA v1 provenance predicate for ``reference`` packed from ``directory``."""
    directory = Path(directory).resolve()
    dependencies = _sources(directory)
    commit = _git(directory, "rev-parse", "HEAD")
    if commit:
        status = _git(directory, "status", "--porcelain")
        remote = _git(directory, "config", "--get", "remote.origin.url") or directory.as_uri()
        dependencies.insert(
            0,
            {
                "uri": f"git+{remote}",
                "digest": {"gitCommit": commit},
                "annotations": {"dirty": bool(status)},
            },
        )
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": {"reference": reference, "workspace": directory.name},
            "internalParameters": {
                "python": platform.python_version(),
                "implementation": platform.python_implementation(),
            },
            "resolvedDependencies": dependencies,
        },
        "runDetails": {
            "builder": {"id": f"https://kitlab.dev/kitlab@{__version__}"},
            "metadata": {"startedOn": now, "finishedOn": now},
        },
    }
