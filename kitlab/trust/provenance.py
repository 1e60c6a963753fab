"""A SLSA v1 provenance predicate for a kit packed from a workspace (docs/trust.md, "Attestations").

It records what produced the kit: the workspace's notebooks and scripts with their SHA-256 digests (as
``resolvedDependencies``), and for each artifact the kit carries (each Kitfile path) the notebook cells
and script lines that wrote it, as the scanner reads them (``kitlab.scan``, without running anything):
the notebook, its digest, the cell's number as the scanner counts (the N-th code cell: the prompt a
notebook run top to bottom shows) and the execution count saved with it (the ``[n]`` it shows now), and
the call. Also the git commit and whether the tree
had uncommitted changes, each notebook's kernel and the Python version it runs, and kitlab as the
packing tool, with the time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from kitlab._version import __version__
from kitlab.errors import KitlabError
from kitlab.kitfile import find_kitfile, layer_paths, load_kitfile_file
from kitlab.scan.notebooks import SourceInfo, read_notebook, read_script
from kitlab.scan.requirements import kernel_python
from kitlab.scan.resolve import resolve_all

# URIs in the project's own namespace, as the job event schema id (https://events.kitlab.dev/job).
BUILD_TYPE = "https://kitlab.dev/provenance/pack/v1"
SOURCE_SUFFIXES = (".ipynb", ".py", ".r", ".R", ".sql")
MAX_SOURCES = 2000
MAX_FILES = 200_000  # workspace files listed to resolve the paths the code writes
MAX_PARSED_BYTES = 50_000_000  # notebooks and scripts larger than this are hashed, not parsed
MAX_WRITERS = 20  # writers listed per artifact
SKIPPED_DIRS = {".git", ".ipynb_checkpoints", "__pycache__", "node_modules", ".venv", "venv"}


def _git(directory: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _walk(directory: Path) -> tuple[list[str], dict[str, list[str]]]:
    """Notebooks and scripts below ``directory``, and every file's folder listing (symlinks never
    followed; bounded)."""
    sources: list[str] = []
    listings: dict[str, list[str]] = {}
    count = 0
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        rel_root = Path(root).relative_to(directory).as_posix()
        rel_root = "" if rel_root == "." else rel_root
        listings[rel_root] = sorted(files)
        for name in sorted(files):
            rel = f"{rel_root}/{name}" if rel_root else name
            path = Path(root) / name
            if name.endswith(SOURCE_SUFFIXES) and len(sources) < MAX_SOURCES and not path.is_symlink():
                sources.append(rel)
        count += len(files)
        if count >= MAX_FILES:
            break
    return sources, listings


def _execution_counts(path: Path) -> dict[int, int]:
    """Cell number as the scanner counts (the N-th code cell) → the execution count saved with it."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells") or []
    except (OSError, ValueError, AttributeError):
        return {}
    code = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    return {
        number: cell["execution_count"]
        for number, cell in enumerate(code, start=1)
        if isinstance(cell.get("execution_count"), int)
    }


def _python_version(python: str) -> str:
    try:
        done = subprocess.run(
            [python, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _kit_paths(directory: Path) -> list[str]:
    """The paths the workspace's Kitfile packs (empty when it has none or it does not parse)."""
    kitfile = find_kitfile(directory)
    if kitfile is None:
        return []
    try:
        parsed = load_kitfile_file(kitfile)
    except KitlabError:
        return []
    return [p.path.strip().strip("/") for p in layer_paths(parsed) if p.path.strip() and "://" not in p.path]


def _artifact_of(rel: str, kit_paths: list[str]) -> str | None:
    for path in kit_paths:
        if path in (".", "") or rel == path or rel.startswith(path + "/"):
            return rel
    return None


def _producers(
    directory: Path, infos: list[SourceInfo], digests: dict[str, str], listings: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Each artifact of the kit with the cells and lines that wrote it."""
    files = {f"{d}/{n}" if d else n for d, names in listings.items() for n in names}
    kit_paths = _kit_paths(directory)
    counts: dict[str, dict[int, int]] = {}
    by_artifact: dict[str, list[dict[str, Any]]] = {}
    for info in infos:
        for event in info.events:
            if event.op != "write":
                continue
            for resolved in resolve_all(event, files, listings, str(directory)):
                artifact = resolved.rel if resolved.rel and resolved.exists else None
                if artifact is None or (kit_paths and _artifact_of(artifact, kit_paths) is None):
                    continue
                writer: dict[str, Any] = {
                    "source": info.path,
                    "sha256": digests.get(info.path, ""),
                    "code": event.snippet,
                }
                if event.cell is not None:
                    if info.path not in counts:
                        counts[info.path] = _execution_counts(directory / info.path)
                    writer["cell"] = event.cell
                    if event.cell in counts[info.path]:
                        writer["executionCount"] = counts[info.path][event.cell]
                else:
                    writer["line"] = event.line
                writers = by_artifact.setdefault(artifact, [])
                if writer not in writers and len(writers) < MAX_WRITERS:
                    writers.append(writer)
    return [{"path": path, "producedBy": by_artifact[path]} for path in sorted(by_artifact)]


def _kernels(infos: list[SourceInfo]) -> list[dict[str, str]]:
    """Each notebook kernel named, with the interpreter's Python version where it can be asked."""
    out: list[dict[str, str]] = []
    for name in sorted({i.kernel for i in infos if i.notebook and i.kernel}):
        python = kernel_python(name)
        version = _python_version(python) if python else ""
        out.append({"name": name, **({"python": version} if version else {})})
    return out


def provenance(directory: str | os.PathLike[str], reference: str) -> dict[str, Any]:
    """The SLSA v1 provenance predicate for ``reference`` packed from ``directory``."""
    directory = Path(directory).resolve()
    sources, listings = _walk(directory)
    digests = {rel: _digest(directory / rel) for rel in sources}
    dependencies: list[dict[str, Any]] = [{"uri": rel, "digest": {"sha256": digests[rel]}} for rel in sources]
    infos = []
    for rel in sources:
        path = directory / rel
        if path.stat().st_size > MAX_PARSED_BYTES:
            continue
        if rel.endswith(".ipynb"):
            infos.append(read_notebook(path, rel))
        elif rel.endswith(".py"):
            infos.append(read_script(path, rel))
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
                "kernels": _kernels(infos),
                "artifacts": _producers(directory, infos, digests, listings),
            },
            "resolvedDependencies": dependencies,
        },
        "runDetails": {
            "builder": {"id": f"https://kitlab.dev/kitlab@{__version__}", "version": {"kitlab": __version__}},
            "metadata": {"startedOn": now, "finishedOn": now},
        },
    }
