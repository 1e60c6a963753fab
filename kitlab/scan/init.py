"""``kitlab init``'s library half: scan a folder and write its Kitfile and suggested ``.kitignore``.

An existing Kitfile is only replaced when the caller says so (``force``); a ``.kitignore`` the user
already has is never touched, so nothing the user wrote is lost.
"""

from __future__ import annotations

import os
from pathlib import Path

from kitlab.atomicfile import write_atomically
from kitlab.errors import Conflict
from kitlab.kitfile import dump_kitfile_yaml
from kitlab.scan.compare import KITFILE_NAMES
from kitlab.scan.types import ScanLimits
from kitlab.scan.workspace import ScanReport, scan_workspace


def init_workspace(
    folder: Path, root: Path, *, force: bool = False, limits: ScanLimits | None = None
) -> tuple[Path, ScanReport, list[Path]]:
    """Scan ``folder`` and write its Kitfile (and a suggested ``.kitignore`` if it has none).

    Returns the Kitfile path, the report and every file written. Raises ``Conflict`` when a Kitfile
    exists and ``force`` is false.
    """
    report = scan_workspace(folder, root, limits=limits)
    target_dir = root.resolve() / report.folder if report.folder != "." else root.resolve()
    # lexists: a dangling symlink named Kitfile is still the user's file, not a free name.
    existing = next((target_dir / n for n in KITFILE_NAMES if os.path.lexists(target_dir / n)), None)
    if existing is not None and not force:
        raise Conflict(
            f"{existing.name} already exists in {report.folder}; use --force to overwrite",
            details={"existing_kitfile": report.existing_kitfile},
        )
    kitfile_path = existing or target_dir / "Kitfile"
    assert report.kitfile_object is not None
    # write_atomically replaces a symlink with the file: never writes through it to its target.
    write_atomically(kitfile_path, dump_kitfile_yaml(report.kitfile_object))
    written = [kitfile_path]
    suggestion = report.hygiene.get("suggested_kitignore", "")
    ignore_path = target_dir / ".kitignore"
    if suggestion and not os.path.lexists(ignore_path):
        write_atomically(ignore_path, suggestion)
        written.append(ignore_path)
    return kitfile_path, report, written
