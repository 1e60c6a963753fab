"""The ``kitlab`` command: kit's verbs and flags where kit has them, for terminals and CI.

Every verb is a thin call into the library; errors print as ``Error: <message>`` on stderr with exit
code 1, like kit.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kitlab._version import __version__
from kitlab.errors import KitlabError
from kitlab.modelkit.home import kitops_home
from kitlab.modelkit.progress import ProgressEvent
from kitlab.modelkit.store import LocalStore

Command = Callable[[argparse.Namespace], int]


def _store(args: argparse.Namespace) -> LocalStore:
    return LocalStore(kitops_home(args.config))


def _print_progress(event: ProgressEvent) -> None:
    """Plain progress like kit's ``--progress plain``: one line when an item completes."""
    if event.total and event.done == event.total:
        print(
            f"{event.stage} {event.item} ({event.index + 1}/{event.count}): {_size(event.total)}",
            file=sys.stderr,
        )


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    raise AssertionError("unreachable")


# ------------------------------------------------------------------------------------------- verbs
def cmd_version(args: argparse.Namespace) -> int:
    print(f"Version: {__version__}")
    print(f"Store: {kitops_home(args.config) / 'storage'}")
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    from kitlab.modelkit.pack import pack

    result = pack(
        args.directory,
        kitfile_path=args.file,
        tags=[args.tag] if args.tag else [],
        compression=args.compression,
        store=_store(args),
        progress=_print_progress,
        plan_only=args.plan,
    )
    for warning in result.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    if args.plan:
        for layer in result.plan:
            state = "unchanged" if layer.unchanged else "changed"
            print(
                f"{layer.kind:9} {layer.path:40} {len(layer.files):6} files {_size(layer.size):>12}  {state}"
            )
        return 0
    print(f"Model saved: {result.manifest_digest}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    kits = _store(args).list_kits()
    if args.format == "json":
        rows = [
            {
                "repo": k.repo or "<none>",
                "digest": k.digest,
                "tags": k.tags or None,
                "modelName": k.model_name,
                "size": _size(k.size),
                "author": k.author,
            }
            for k in kits
        ]
        print(json.dumps(rows, indent=2))
        return 0
    header = ("REPOSITORY", "TAG", "MAINTAINER", "NAME", "SIZE", "DIGEST")
    table = [header]
    for k in kits:
        for tag in k.tags or ["<none>"]:
            table.append(
                (
                    k.repo or "<none>",
                    tag,
                    k.author or "<none>",
                    k.model_name or "<none>",
                    _size(k.size),
                    k.digest,
                )
            )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from kitlab.modelkit.inspect import inspect_kit

    print(json.dumps(inspect_kit(_store(args), args.reference), indent=2))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from kitlab.kitfile import dump_kitfile_yaml

    store = _store(args)
    manifest = store.get_manifest(store.resolve(args.reference))
    sys.stdout.write(dump_kitfile_yaml(store.get_config(manifest)))
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    _store(args).tag(args.source, args.target)
    print(f"Tagged {args.source} as {args.target}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    removed = _store(args).remove(args.reference, force=args.force)
    for desc in removed:
        print(f"Removed {args.reference} (digest {desc.digest})")
    return 0


def cmd_unpack(args: argparse.Namespace) -> int:
    from kitlab.modelkit.unpack import unpack

    unpack(
        args.reference,
        args.dir,
        store=_store(args),
        filters=args.filter or [],
        overwrite=args.overwrite,
        ignore_existing=args.ignore_existing,
        progress=_print_progress,
    )
    print(f"Unpacked {args.reference} to {Path(args.dir).resolve()}")
    return 0


# ------------------------------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kitlab",
        description="Pack, inspect and unpack KitOps ModelKits in the store shared with the kit CLI.",
    )
    parser.add_argument(
        "--config", metavar="DIR", help="kit's home directory (default: as kit: $KITOPS_HOME, …)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    add("version", cmd_version, "Show kitlab's version and the store it uses.")

    p = add("pack", cmd_pack, "Pack a directory into a ModelKit in the local store.")
    p.add_argument("directory", help="the context directory (Kitfile paths are relative to it)")
    p.add_argument("-f", "--file", help="the Kitfile (default: DIR/Kitfile, kitfile or .kitfile)")
    p.add_argument("-t", "--tag", help="reference to tag the kit with: [registry/]repository[:tag][,tag2…]")
    p.add_argument("--compression", default="none", choices=["none", "gzip", "gzip-fastest", "zstd"])
    p.add_argument("--plan", action="store_true", help="list each layer's files and sizes; write nothing")

    p = add("list", cmd_list, "List the ModelKits in the local store.")
    p.add_argument("--format", default="table", choices=["table", "json"])

    p = add("inspect", cmd_inspect, "Print a kit's digest, manifest and Kitfile as JSON.")
    p.add_argument("reference")

    p = add("info", cmd_info, "Print a kit's Kitfile as YAML.")
    p.add_argument("reference")

    p = add("tag", cmd_tag, "Give a kit another reference.")
    p.add_argument("source")
    p.add_argument("target")

    p = add("remove", cmd_remove, "Remove a tag, or the kit when it is its last tag.")
    p.add_argument("reference")
    p.add_argument("-f", "--force", action="store_true", help="remove the kit and all its tags")

    p = add("unpack", cmd_unpack, "Unpack a kit from the local store into a directory.")
    p.add_argument("reference")
    p.add_argument("-d", "--dir", default=".", help="destination directory (created if missing)")
    p.add_argument("-o", "--overwrite", action="store_true", help="overwrite existing files")
    p.add_argument("-i", "--ignore-existing", action="store_true", help="skip files that already exist")
    p.add_argument(
        "-f", "--filter", action="append", help="kit's filter syntax, e.g. model or datasets:train"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KitlabError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
