"""``kitlab scan DIR`` and ``kitlab init DIR``: options and output around ``kitlab.scan``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kitlab.scan.types import ScanLimits

if TYPE_CHECKING:
    pass


def add_arguments(cmd: argparse.ArgumentParser, name: str) -> None:
    """The options of ``kitlab scan`` and ``kitlab init`` (registered by ``kitlab.cli.main``)."""
    cmd.add_argument("dir", type=Path)
    cmd.add_argument(
        "--root",
        type=Path,
        default=None,
        help="nothing outside this folder is read (default: DIR itself)",
    )
    cmd.add_argument("--include-noise", action="store_true", help="walk caches, virtualenvs and run logs too")
    cmd.add_argument("--max-files", type=int, default=ScanLimits.max_files)
    cmd.add_argument("--max-seconds", type=float, default=ScanLimits.max_seconds)
    cmd.add_argument("--no-pins", action="store_true", help="skip the pinned requirements")
    if name == "scan":
        cmd.add_argument("--format", choices=("json", "yaml"), default="json")
    else:
        cmd.add_argument("--force", action="store_true", help="overwrite an existing Kitfile")


def run(args: argparse.Namespace) -> int:
    """``kitlab scan`` / ``kitlab init``; a ``KitlabError`` propagates to the CLI's error printer."""
    # Here, not at the top: the scanner's imports are a third of the CLI's start-up, which every
    # other command (pull, unpack …) would pay for nothing.
    from kitlab.scan.init import init_workspace

    limits = ScanLimits(
        max_files=args.max_files,
        max_seconds=args.max_seconds,
        include_noise=args.include_noise,
        pinned_requirements=not args.no_pins,
    )
    folder = args.dir.resolve()
    root = (args.root or args.dir).resolve()
    if args.command == "scan":
        from kitlab.scan.workspace import scan_workspace

        report = scan_workspace(folder, root, limits=limits)
        if args.format == "json":
            print(json.dumps(report.to_dict(), indent=2))
        else:
            from kitlab.kitfile.yamlio import safe_dump

            print(safe_dump(report.to_dict()), end="")
        return 0
    _path, report, written = init_workspace(folder, root, force=args.force, limits=limits)
    for item in written:
        print(f"wrote {item}")
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for secret in report.hygiene.get("secrets", []):
        print(
            f"warning: possible secret ({secret['kind']}) in {secret['path']}: kept out of the ModelKit",
            file=sys.stderr,
        )
    return 0
