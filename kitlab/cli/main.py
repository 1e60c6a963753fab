"""The ``kitlab`` command: kit's verbs and flags where kit has them, for terminals and CI.

Every verb is a thin call into the library; errors print as ``Error: <message>`` on stderr with exit
code 1, like kit.
"""

from __future__ import annotations

import argparse
import getpass
import json
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from kitlab._version import __version__
from kitlab.cli import scan as scan_cli
from kitlab.errors import InvalidInput, KitlabError
from kitlab.modelkit.home import kitops_home

if TYPE_CHECKING:
    from kitlab.modelkit.registry import Remote
    from kitlab.modelkit.store import KitSummary, LocalStore
    from kitlab.modelkit.unpack import UnpackResult
    from kitlab.progress import ProgressEvent
    from kitlab.trust import VerifyResult

Command = Callable[[argparse.Namespace], int]


def _store(args: argparse.Namespace) -> LocalStore:
    from kitlab.modelkit.store import LocalStore

    return LocalStore(kitops_home(args.config))


_reported: set[tuple[str, str]] = set()


def _print_progress(event: ProgressEvent) -> None:
    """Plain progress like kit's ``--progress plain``: one line when an item completes (once, though
    a finished item may be reported again, e.g. by the final flush of its stage)."""
    key = (event.stage, event.item)
    if event.total and event.done == event.total and key not in _reported:
        _reported.add(key)
        print(
            f"{event.stage} {event.item} ({event.index + 1}/{event.count}): {kit_size(event.total)}",
            file=sys.stderr,
        )


def kit_size(n: int) -> str:
    """kit's size text: whole bytes below 1 KiB, else one decimal rounded *down* (1,150,000 bytes is
    ``1.0 MiB``, never ``1.1 MiB``), so a size is never shown larger than it is."""
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        if size < 1024:
            return f"{math.floor(size * 10) / 10:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} PiB"


# ------------------------------------------------------------------------------------------- verbs
def cmd_version(args: argparse.Namespace) -> int:
    print(f"Version: {__version__}")
    print(f"Store: {kitops_home(args.config) / 'storage'}")
    return 0


def _warn_unsafe_pickles(args: argparse.Namespace) -> None:
    """Before a kit is packed (and pushed): warn about every pickle the kit will carry that the safety
    scan cannot prove safe (the files of the plan, as the server's pack jobs do; not the whole folder)."""
    from kitlab.loaders.pickle_safety import pickle_warnings, scan_planned_pickles
    from kitlab.modelkit.pack import plan_pack

    plan = plan_pack(
        args.directory,
        kitfile_path=args.file,
        kitfile_text=args.kitfile_text,
        store=_store(args),
        allow_kitlab_only_names=args.allow_kitlab_only_names,
    )
    for line in pickle_warnings(scan_planned_pickles(plan.layers), args.directory):
        print(f"Warning: {line}: whoever loads it runs what it imports", file=sys.stderr)


def cmd_pack(args: argparse.Namespace) -> int:
    from kitlab.modelkit.pack import pack, plan_pack

    # kit's "-f -": the Kitfile comes from standard input (read once; every step below uses the text).
    args.kitfile_text = sys.stdin.read() if args.file == "-" else None
    if args.kitfile_text is not None:
        args.file = None

    if args.plan:
        plan = plan_pack(
            args.directory,
            kitfile_path=args.file,
            kitfile_text=args.kitfile_text,
            compression=args.compression,
            store=_store(args),
            allow_kitlab_only_names=args.allow_kitlab_only_names,
        )
        for warning in plan.warnings:
            print(f"Warning: {warning}", file=sys.stderr)
        for secret in plan.secrets:
            print(
                f"Warning: {secret.field}: {secret.describe()}; pack stops unless --allow-secrets",
                file=sys.stderr,
            )
        for layer in plan.planned:
            state = "unchanged" if layer.unchanged else "changed"
            print(
                f"{layer.kind:9} {layer.path:40} {len(layer.files):6} files",
                f"{kit_size(layer.size):>12}  {state}",
            )
        return 0

    _warn_unsafe_pickles(args)
    facts = None
    if args.use_model_pack:
        from kitlab.scan.modelfacts import model_facts

        facts = model_facts(args.directory, kitfile_path=args.file, kitfile_text=args.kitfile_text)
    if args.push:
        from kitlab.modelkit.packpush import pack_and_push

        if not args.tag:
            raise InvalidInput("pack --push needs a reference to push to: -t registry/repository:tag")
        pushed = pack_and_push(
            args.directory,
            args.tag,
            kitfile_path=args.file,
            kitfile_text=args.kitfile_text,
            compression=args.compression,
            store=_store(args),
            progress=_print_progress,
            remote=_network(args),
            allow_secrets=args.allow_secrets,
            use_model_pack=args.use_model_pack,
            model_facts=facts,
            allow_kitlab_only_names=args.allow_kitlab_only_names,
            concurrency=_concurrency(args),
        )
        for warning in pushed.warnings:
            print(f"Warning: {warning}", file=sys.stderr)
        print(f"Pushed {pushed.reference} ({pushed.digest}): {kit_size(pushed.uploaded_bytes)} uploaded")
        return 0

    result = pack(
        args.directory,
        kitfile_path=args.file,
        kitfile_text=args.kitfile_text,
        tags=[args.tag] if args.tag else [],
        use_model_pack=args.use_model_pack,
        model_facts=facts,
        compression=args.compression,
        store=_store(args),
        progress=_print_progress,
        allow_secrets=args.allow_secrets,
        allow_kitlab_only_names=args.allow_kitlab_only_names,
    )
    for warning in result.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    print(f"Model saved: {result.manifest_digest}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    if args.repository:
        from kitlab.modelkit.remotekits import list_remote_kits

        kits = list_remote_kits(args.repository, remote=_network(args))
    else:
        kits = _store(args).list_kits()
    if args.format == "json":
        from kitlab.kitfile.gojson import GoStruct, go_json_indent

        # kit's JSON: its modelInfo struct in field order, "<none>" where kit's table shows it.
        rows = [
            GoStruct(
                [
                    ("repo", k.repo or "<none>"),
                    ("digest", k.digest),
                    ("tags", k.tags or None),
                    ("modelName", k.model_name or "<none>"),
                    ("size", kit_size(k.size)),
                    ("author", k.author or "<none>"),
                ]
            )
            for k in kits
        ]
        print(go_json_indent(rows))
    elif args.format == "table":
        table = [["REPOSITORY", "TAG", "MAINTAINER", "NAME", "SIZE", "DIGEST"]]
        for k in kits:
            for tag in k.tags or ["<none>"]:
                row = [k.repo, tag, k.author, k.model_name, kit_size(k.size), k.digest]
                table.append([cell or "<none>" for cell in row])
        sys.stdout.write(go_tabwriter(table))
    else:
        sys.stdout.write(go_template_rows(args.format, kits))
    _warn_unreadable(kits)
    return 0


def go_tabwriter(rows: list[list[str]], padding: int = 3) -> str:
    """Go's ``tabwriter.NewWriter(w, 0, 2, 3, ' ', 0)`` as kit's table uses it: every cell but the last
    of a line padded to its column's widest cell (in characters) plus ``padding`` spaces."""
    widths = [max(len(row[i]) for row in rows if i < len(row) - 1) for i in range(max(map(len, rows)) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[i] + padding) for i, cell in enumerate(row[:-1])]
        lines.append("".join(cells) + row[-1] + "\n")
    return "".join(lines)


_TEMPLATE_FIELD = re.compile(r"{{-?\s*\.(\w+)\s*-?}}")
_TEMPLATE_FIELDS = ("Repo", "Digest", "Tags", "ModelName", "Size", "Author")


def go_template_rows(template: str, kits: list[KitSummary]) -> str:
    """kit's Go-template ``--format``, for the common case only: ``{{.Field}}`` of a list row (Repo,
    Digest, Tags, ModelName, Size, Author), one line per kit. Anything else (pipelines, ``range``,
    functions) is refused with a clear error (docs/cli.md)."""
    leftover = _TEMPLATE_FIELD.sub("", template)
    if "{{" in leftover or "}}" in leftover:
        raise InvalidInput(
            "kitlab's --format supports table, json and templates of {{.Field}} only "
            f"(fields: {', '.join(_TEMPLATE_FIELDS)})"
        )
    for name in _TEMPLATE_FIELD.findall(template):
        if name not in _TEMPLATE_FIELDS:
            raise InvalidInput(
                f"--format: a list row has no field {name} (fields: {', '.join(_TEMPLATE_FIELDS)})"
            )
    out = []
    for k in kits:
        values = {
            "Repo": k.repo or "<none>",
            "Digest": k.digest,
            "Tags": "[" + " ".join(k.tags) + "]",  # how Go prints a []string
            "ModelName": k.model_name or "<none>",
            "Size": kit_size(k.size),
            "Author": k.author or "<none>",
        }
        out.append(_TEMPLATE_FIELD.sub(lambda m: values[m.group(1)], template) + "\n")  # noqa: B023
    return "".join(out)


def _warn_unreadable(kits: list[KitSummary]) -> None:
    """A kit that cannot be read is named on stderr; the rest of the store still lists."""
    for k in kits:
        if k.error:
            print(f"Warning: {k.repo}@{k.digest or '<index>'}: {k.error}", file=sys.stderr)


def _inspected(args: argparse.Namespace) -> dict[str, Any]:
    """``kit inspect``'s document, from the store or (``--remote``) the registry without pulling."""
    if args.remote:
        from kitlab.modelkit.reference import DEFAULT_REGISTRY, parse_reference
        from kitlab.modelkit.remotekits import inspect_remote

        if parse_reference(args.reference).registry == DEFAULT_REGISTRY:
            raise InvalidInput(f"can not check remote: {args.reference} does not contain registry")
        return inspect_remote(args.reference, remote=_network(args))
    from kitlab.modelkit.inspect import inspect_kit

    return inspect_kit(_store(args), args.reference)


def cmd_inspect(args: argparse.Namespace) -> int:
    from kitlab.kitfile.gojson import as_go_struct, go_json_indent

    # Re-encoded as kit prints it: Go's field order (the documents' own), UTF-8, Go's escaping.
    print(go_json_indent(as_go_struct(_inspected(args))))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from kitlab.kitfile import dump_kitfile_yaml, from_config_json, kitfile_struct

    if args.remote:
        document = _inspected(args)["kitfile"]
        if document is None:
            raise InvalidInput(f"{args.reference} carries no Kitfile")
        kitfile = from_config_json(json.dumps(document).encode("utf-8"))
    else:
        store = _store(args)
        kitfile = store.get_config(store.get_manifest(store.resolve(args.reference)))
    if args.filter:
        sys.stdout.write(filter_kitfile(kitfile_struct(kitfile, for_yaml=True), args.filter))
    else:
        # The config's numbers went through JSON (float64 in kit): 1000000 prints as kit's 1e+06.
        sys.stdout.write(dump_kitfile_yaml(kitfile, json_numbers=True))
    return 0


# kit's ``info --filter`` walks the Kitfile's Go struct by field name (each segment title-cased), so
# only these names resolve; ``datasets`` does not (the Go field is DataSets). Empty fields print as Go
# zero values: "" for strings, [] for lists, null for structs and maps.
_INFO_FIELDS: dict[str, dict[str, Any]] = {
    "": {
        "ManifestVersion": ("manifestVersion", ""),
        "Package": ("package", None),
        "Model": ("model", None),
        "Code": ("code", []),
        "DataSets": ("datasets", []),
        "Docs": ("docs", []),
    },
    "package": {
        "Name": ("name", ""),
        "Version": ("version", ""),
        "Description": ("description", ""),
        "License": ("license", ""),
        "Authors": ("authors", []),
    },
    "model": {
        "Name": ("name", ""),
        "Path": ("path", ""),
        "License": ("license", ""),
        "Framework": ("framework", ""),
        "Format": ("format", ""),
        "Version": ("version", ""),
        "Description": ("description", ""),
        "Parts": ("parts", []),
        "Parameters": ("parameters", None),
    },
}
_INFO_FILTER = re.compile(r"^\.?[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$")


def filter_kitfile(document: Any, selector: str) -> str:
    """kit's ``info --filter .model.name``: one field of the Kitfile, printed as yaml.v3 prints it."""
    from kitlab.kitfile.gojson import GoStruct
    from kitlab.kitfile.goyaml import go_yaml_dumps

    if "[" in selector:
        raise InvalidInput("invalid filter: array access using '[]' is not currently supported")
    if not _INFO_FILTER.match(selector):
        raise InvalidInput(f"invalid filter: {selector}")
    value: Any = document
    struct = ""
    for segment in selector.removeprefix(".").split("."):
        fields = _INFO_FIELDS.get(struct)
        name = segment[:1].upper() + segment[1:]
        if fields is None or name not in fields or (value is not None and not isinstance(value, GoStruct)):
            raise InvalidInput("error filtering output: cannot find required node")
        key, zero = fields[name]
        value = dict(value or []).get(key, zero)
        struct = key
    if isinstance(value, GoStruct):
        return go_yaml_dumps(value, json_numbers=True)
    if isinstance(value, list):
        value = list(value)  # a list alone is a block sequence (the flow style is the field's tag)
    text = go_yaml_dumps(GoStruct([("v", value)]), json_numbers=True)
    if text.startswith("v: "):
        return text[3:]
    return "".join(line[2:] + "\n" for line in text.splitlines()[1:])


def cmd_tag(args: argparse.Namespace) -> int:
    _store(args).tag(args.source, args.target)
    print(f"Tagged {args.source} as {args.target}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from kitlab.modelkit.reference import parse_reference

    if args.all:
        if args.reference or args.remote:
            raise InvalidInput("--all removes every local kit: give no reference and no --remote")
        for repo_key, desc in _store(args).remove_all(include_tagged=args.force):
            print(f"Removed {format_repository(repo_key)}@{desc.digest}")
        return 0
    if not args.reference:
        raise InvalidInput("remove needs a reference (registry/repository[:tag|@digest]) or --all")
    ref = parse_reference(args.reference)
    if args.remote:
        from kitlab.modelkit.remotekits import delete_tag

        delete_tag(ref, remote=_network(args))
        print(f"Removed {ref.display()} from {ref.registry}")
        return 0
    store = _store(args)
    first, *extra = [ref.with_reference(tag=ref.tag, digest=ref.digest)] + [
        ref.with_reference(tag=t) for t in ref.extra_tags
    ]
    for desc in store.remove(first, force=args.force):
        print(f"Removed {first.display()} (digest {desc.digest})")
    # As kit: the first reference must exist; a further tag that does not is reported, not fatal.
    for one in extra:
        try:
            removed = store.remove(one, force=args.force)
        except KitlabError as exc:
            print(f"Error: Failed to remove tag {one.tag}: {exc.message}", file=sys.stderr)
            continue
        for desc in removed:
            print(f"Removed {one.display()} (digest {desc.digest})")
    return 0


def format_repository(repo_key: str) -> str:
    from kitlab.modelkit.reference import format_repository_for_display

    return format_repository_for_display(repo_key) or "<none>"


def _network(args: argparse.Namespace) -> Remote:
    """kit's network flags as the library's one ``Remote`` value."""
    from kitlab.modelkit.registry import Remote

    cert: str | tuple[str, str] | None = (args.cert, args.key) if args.cert and args.key else args.cert
    # Token services on another host than their registry that may receive the saved credentials, e.g.
    # a self-hosted GitLab's (docs/hardening.md, registries): comma-separated hosts.
    realms = os.environ.get("KITLAB_TRUSTED_TOKEN_REALMS", "")
    return Remote(
        plain_http=args.plain_http,
        tls_verify=args.tls_verify,
        client_cert=cert,
        trusted_token_realms=tuple(h.strip() for h in realms.split(",") if h.strip()),
    )


def _concurrency(args: argparse.Namespace) -> int:
    from kitlab.modelkit.transfer import DEFAULT_CONCURRENCY

    return int(args.concurrency or DEFAULT_CONCURRENCY)


def cmd_push(args: argparse.Namespace) -> int:
    from kitlab.modelkit.push import push
    from kitlab.modelkit.secrets import find_kit_secrets, refuse_secrets

    # A stored kit is checked before it is sent: one packed by kit, or with --allow-secrets, was not.
    store = _store(args)
    found = find_kit_secrets(store, store.get_manifest(store.resolve(args.reference)))
    for warning in refuse_secrets(found, allow=args.allow_secrets, action="pushed"):
        print(f"Warning: {warning}", file=sys.stderr)
    result = push(
        args.reference,
        args.destination,
        store=_store(args),
        progress=_print_progress,
        remote=_network(args),
        concurrency=_concurrency(args),
    )
    print(f"Pushed {result.reference} ({result.digest}): {kit_size(result.uploaded_bytes)} uploaded")
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    from kitlab.modelkit.pull import pull

    store = _store(args)
    note = ""
    if args.verify:
        # Verified before any download; the verified digest is what is pulled (kitlab/trust/pull.py).
        from kitlab.trust import load_public_key
        from kitlab.trust.pull import pull_verified

        public_key = load_public_key(args.verify)
        result, verified = pull_verified(
            args.reference,
            public_key,
            store=store,
            progress=_print_progress,
            remote=_network(args),
            concurrency=_concurrency(args),
            warn=lambda message: print(f"Warning: {message}", file=sys.stderr),
        )
        _print_verified(verified, args.verify)
        if args.notebook:
            from kitlab.modelkit.reference import parse_reference
            from kitlab.trust.attest import verified_predicates
            from kitlab.trust.summary import trust_note

            # Attestations of exactly the verified digest, signed by the same key (summary.py).
            pinned = parse_reference(args.reference).with_reference(digest=verified.digest)
            predicates = verified_predicates(pinned, public_key, remote=_network(args))
            note = trust_note(verified, public_key, Path(args.verify).name, predicates)
    else:
        result = pull(
            args.reference,
            store=store,
            progress=_print_progress,
            remote=_network(args),
            warn=lambda message: print(f"Warning: {message}", file=sys.stderr),
            concurrency=_concurrency(args),
        )
    print(f"Pulled {result.reference} ({result.digest}): {kit_size(result.downloaded_bytes)} downloaded")
    if args.dir:
        from kitlab.loaders.notebook import write_notebook
        from kitlab.loaders.pickle_safety import scan_tree
        from kitlab.modelkit.unpack import unpack

        unpacked = unpack(
            args.reference, args.dir, store=store, filters=args.filter or [], progress=_print_progress
        )
        _warn_refused(unpacked.refused)
        print(f"Unpacked to {Path(args.dir).resolve()}")
        if args.notebook:
            reports = scan_tree(args.dir)
            notebook = write_notebook(
                Path(args.dir),
                reference=result.reference,
                digest=result.digest,
                safety=reports,
                trust_note=note,
            )
            for report in reports:
                if report.verdict != "safe":
                    print(f"Warning: {report.path} is a {report.verdict} pickle", file=sys.stderr)
            print(f"Notebook: {notebook}")
    return 0


def cmd_login(args: argparse.Namespace) -> int:
    from kitlab.modelkit.registry import login

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else args.password
    if not password:
        password = getpass.getpass(f"Password for {args.username}@{args.registry}: ")
    login(
        args.registry,
        args.username,
        password,
        remote=_network(args),
        kitops_home=kitops_home(args.config),
    )
    print("Log in successful")
    return 0


def cmd_logout(args: argparse.Namespace) -> int:
    from kitlab.modelkit.registry import logout

    known = logout(args.registry, kitops_home=kitops_home(args.config))
    print("Log out successful" if known else f"Not logged in to {args.registry}")
    return 0


def _signing_password(confirm: bool = False) -> bytes:
    """The private key's password: ``COSIGN_PASSWORD`` when set (even empty, as cosign), else a prompt."""
    if "COSIGN_PASSWORD" in os.environ:
        return os.environ["COSIGN_PASSWORD"].encode()
    if not sys.stdin.isatty():
        raise InvalidInput("the private key needs a password: set COSIGN_PASSWORD or run in a terminal")
    password = getpass.getpass("Password for the private key: ")
    if confirm and getpass.getpass("Password again: ") != password:
        raise InvalidInput("the passwords differ")
    return password.encode()


def _trust_network(args: argparse.Namespace) -> Remote:
    """``sign`` and ``verify`` take ``--key`` as cosign does (the signing key), so they have no client
    certificate flags; the rest of the network options are kit's."""
    args.cert = args.key = None
    return _network(args)


def _print_verified(result: VerifyResult, key_path: str) -> None:
    count = len(result.signatures)
    where = ", ".join(sorted({s.source for s in result.signatures}))
    print(f"Verified {result.reference} ({result.digest}): {count} signature(s) by {key_path} ({where})")


def cmd_keygen(args: argparse.Namespace) -> int:
    from kitlab.trust import default_key_dir, generate_key_pair

    directory = Path(args.dir) if args.dir else default_key_dir(kitops_home(args.config))
    pair = generate_key_pair(directory, _signing_password(confirm=True), name=args.name, force=args.force)
    print(f"Private key written to {pair.private_path} (mode 0600, encrypted as cosign's)")
    print(f"Public key written to {pair.public_path}")
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    from kitlab.trust import load_private_key, sign

    key = load_private_key(args.signing_key, _signing_password())
    result = sign(args.reference, key, remote=_trust_network(args), mode=args.registry_referrers_mode)
    stored = [f"tag {result.signature_tag}"] if result.signature_tag else []
    stored += [f"referrer {result.referrer}"] if result.referrer else []
    print(f"Signed {result.reference} ({result.digest}): {', '.join(stored)}")
    return 0


def cmd_attest(args: argparse.Namespace) -> int:
    from kitlab.trust import load_private_key
    from kitlab.trust.attest import PREDICATE_CYCLONEDX, PREDICATE_SLSA_PROVENANCE_V1, attest

    key = load_private_key(args.signing_key, _signing_password())
    remote = _trust_network(args)
    if args.type == "sbom":
        from kitlab.trust.sbom import kit_sbom, workspace_facts

        # With --dir, the workspace's pinned requirements (the scanner's, from the kernel) and the model
        # facts it read from the weights join the SBOM; files are hashed from the store's layers if there.
        facts = workspace_facts(Path(args.dir)) if args.dir else None
        predicate_type, predicate = (
            PREDICATE_CYCLONEDX,
            kit_sbom(args.reference, remote=remote, store=_store(args), facts=facts),
        )
    else:
        from kitlab.trust.provenance import provenance

        predicate_type, predicate = PREDICATE_SLSA_PROVENANCE_V1, provenance(args.dir or ".", args.reference)
    result = attest(
        args.reference,
        key,
        predicate_type,
        predicate,
        remote=remote,
        replace=True,
        mode=args.registry_referrers_mode,
    )
    stored = [f"under tag {result.tag}"] if result.tag else []
    stored += [f"referrer {result.referrer}"] if result.referrer else []
    print(f"Attested {result.reference} ({result.digest}): {result.predicate_type} {', '.join(stored)}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from kitlab.trust import load_public_key, verify

    result = verify(args.reference, load_public_key(args.signing_key), remote=_trust_network(args))
    _print_verified(result, args.signing_key)
    return 0


def cmd_scan_pickle(args: argparse.Namespace) -> int:
    from kitlab.loaders.pickle_safety import scan_pickle_cli

    text, code = scan_pickle_cli(args.paths)
    print(text)
    return code


def cmd_unpack(args: argparse.Namespace) -> int:
    from kitlab.errors import NotFound
    from kitlab.modelkit.pull import pull
    from kitlab.modelkit.reference import DEFAULT_REGISTRY, parse_reference
    from kitlab.modelkit.unpack import parse_filters, unpack

    parse_filters(args.filter or [])  # a bad filter fails before anything is downloaded
    store = _store(args)

    def run() -> UnpackResult:
        return unpack(
            args.reference,
            args.dir,
            store=store,
            filters=args.filter or [],
            overwrite=args.overwrite,
            ignore_existing=args.ignore_existing,
            progress=_print_progress,
        )

    try:
        result = run()
    except NotFound:
        # As kit: a kit (or parent) missing from the store comes from its registry. kitlab pulls what
        # is missing into the store (unpack is all or nothing, so the destination is still untouched).
        if parse_reference(args.reference).registry == DEFAULT_REGISTRY:
            raise
        pulled = pull(
            args.reference,
            store=store,
            progress=_print_progress,
            remote=_network(args),
            warn=lambda message: print(f"Warning: {message}", file=sys.stderr),
        )
        print(f"Pulled {pulled.reference} ({pulled.digest}): {kit_size(pulled.downloaded_bytes)} downloaded")
        result = run()
    _warn_refused(result.refused)
    print(f"Unpacked {args.reference} to {Path(args.dir).resolve()}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from kitlab.modelkit.diff import diff_kits, diff_workspace

    if (args.b is None) == (args.workspace is None):
        raise InvalidInput("diff compares kit A with kit B, or with --workspace DIR: give one of them")
    if args.workspace is not None:
        result = diff_workspace(
            args.a, args.workspace, kitfile_path=args.file, store=_store(args), remote=_network(args)
        )
    else:
        result = diff_kits(args.a, args.b, store=_store(args), remote=_network(args))
    if args.format == "json":
        print(json.dumps(result.to_api(), indent=2, ensure_ascii=False))
        return 0
    if result.identical:
        print(f"ModelKits are identical ({result.a.digest})")
        return 0
    print("Comparing:")
    for label, side in (("A", result.a), ("B", result.b)):
        digest = f", {side.digest}" if side.digest else ""
        print(f"  {label}: {side.reference} ({side.source} {side.format}{digest})")
    same = (
        "identical" if result.same_config else f"differ ({result.a.config_digest} → {result.b.config_digest})"
    )
    print(f"Config: {same}")
    print(f"Annotations: {'identical' if result.annotations_match else 'differ'}")
    print("Layers:")
    for layer in result.layers:
        old, new = layer.a, layer.b
        digests = " → ".join(v.digest[:19] or "(not hashed)" for v in (old, new) if v is not None)
        sizes = " → ".join(kit_size(v.size) for v in (old, new) if v is not None)
        print(f"  {layer.status:9} {layer.kind:9} {layer.path:30} {digests} ({sizes})")
    print("Kitfile:" if result.kitfile else "Kitfile: identical")
    marks = {"added": "+", "removed": "-", "changed": "~"}
    for change in result.kitfile:
        values = " → ".join(json.dumps(v, ensure_ascii=False) for v in (change.a, change.b) if v is not None)
        print(f"  {marks[change.status]} {change.field}: {values}")
    if result.kitfile_truncated:
        print("  … more Kitfile differences not shown")
    return 0


def _warn_refused(refused: list[str]) -> None:
    """Entries a kit may never write (docs/hardening.md): reported, one line each."""
    for name in refused:
        print(f"Warning: not written: {name} (a kit never writes into a .git folder)", file=sys.stderr)


# ------------------------------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    parser = KitArgumentParser(
        prog="kitlab",
        description="Pack, push, pull and unpack KitOps ModelKits; the local store is the kit CLI's own.",
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
    p.add_argument(
        "-f",
        "--file",
        help="the Kitfile, or - for standard input (default: DIR/Kitfile, kitfile or .kitfile)",
    )
    p.add_argument("-t", "--tag", help="reference to tag the kit with: [registry/]repository[:tag][,tag2…]")
    p.add_argument("--compression", default="none", choices=["none", "gzip", "gzip-fastest", "zstd"])
    p.add_argument("--plan", action="store_true", help="list each layer's files and sizes; write nothing")
    p.add_argument(
        "--push", action="store_true", help="stream the layers straight to the registry (no local copy)"
    )
    p.add_argument(
        "--use-model-pack",
        action="store_true",
        help="write a CNCF ModelPack (kit >= 1.10, modctl, Harbor, KServe); its config is filled from "
        "the model's files",
    )
    p.add_argument(
        "--allow-secrets",
        action="store_true",
        help="pack files that look like secrets (.env, keys, tokens) instead of stopping; --plan lists them",
    )
    p.add_argument(
        "--allow-kitlab-only-names",
        action="store_true",
        help="pack file names containing '..', which kit cannot unpack (default: leave them out, warning)",
    )
    network_flags(p)
    concurrency_flag(p)

    p = add("list", cmd_list, "List the ModelKits in the local store, or in a remote repository.")
    p.add_argument(
        "repository",
        nargs="?",
        help="registry/repository[:tag] to list the kits of, read without pulling (default: local store)",
    )
    p.add_argument(
        "--format",
        default="table",
        help="table, json, or a template of {{.Field}}s (Repo, Digest, Tags, ModelName, Size, Author)",
    )
    network_flags(p)

    p = add("inspect", cmd_inspect, "Print a kit's digest, manifest and Kitfile as JSON.")
    p.add_argument("reference")
    p.add_argument(
        "-r", "--remote", action="store_true", help="read it from its registry (no layer is pulled)"
    )
    network_flags(p)

    p = add("info", cmd_info, "Print a kit's Kitfile as YAML.")
    p.add_argument("reference")
    p.add_argument(
        "-r", "--remote", action="store_true", help="read it from its registry (no layer is pulled)"
    )
    p.add_argument(
        "-f", "--filter", help="print one field, as kit: .model.name, package.authors (Go field names)"
    )
    network_flags(p)

    p = add("tag", cmd_tag, "Give a kit another reference.")
    p.add_argument("source")
    p.add_argument("target")

    p = add("remove", cmd_remove, "Remove a tag, or the kit when it is its last tag.")
    p.add_argument("reference", nargs="?", help="registry/repository:tag[,tag2…] or …@digest")
    p.add_argument("-f", "--force", action="store_true", help="remove the kit and all its tags")
    p.add_argument(
        "-a",
        "--all",
        action="store_true",
        help="remove every untagged kit of the local store; with --force, every kit",
    )
    p.add_argument(
        "-r",
        "--remote",
        action="store_true",
        help="remove the tag from its registry (refused where that would delete other tags too)",
    )
    network_flags(p)

    p = add(
        "unpack",
        cmd_unpack,
        "Unpack a kit into a directory; a kit not in the local store is pulled from its registry first.",
    )
    p.add_argument("reference")
    p.add_argument("-d", "--dir", default=".", help="destination directory (created if missing)")
    p.add_argument("-o", "--overwrite", action="store_true", help="overwrite existing files")
    p.add_argument("-i", "--ignore-existing", action="store_true", help="skip files that already exist")
    p.add_argument(
        "-f", "--filter", action="append", help="kit's filter syntax, e.g. model or datasets:train"
    )
    network_flags(p)

    p = add("diff", cmd_diff, "Compare two kits: layers added, removed or changed, and Kitfile fields.")
    p.add_argument("a", help="the older kit: local:// or remote:// prefix, else the local store first")
    p.add_argument("b", nargs="?", help="the newer kit, as A")
    p.add_argument(
        "--workspace",
        metavar="DIR",
        help="instead of B: what packing DIR now would change (layers the stat cache knows unchanged "
        "keep their digest; others count as changed)",
    )
    p.add_argument("-f", "--file", help="with --workspace: the Kitfile (default: DIR/Kitfile)")
    p.add_argument("--format", default="text", choices=["text", "json"])
    network_flags(p)

    p = add("push", cmd_push, "Push a kit from the local store to a registry.")
    p.add_argument("reference")
    p.add_argument("destination", nargs="?", help="push under another reference (default: the same)")
    p.add_argument(
        "--allow-secrets", action="store_true", help="push a kit holding files that look like secrets"
    )
    network_flags(p)
    concurrency_flag(p)

    p = add("pull", cmd_pull, "Pull a kit (and its parent kits) from a registry into the local store.")
    p.add_argument("reference")
    p.add_argument("-d", "--dir", help="also unpack it into this directory")
    p.add_argument("-f", "--filter", action="append", help="with --dir: what to unpack (kit's filter syntax)")
    p.add_argument("--notebook", action="store_true", help="with --dir: write a notebook that loads the kit")
    p.add_argument(
        "--verify",
        metavar="PUBLIC_KEY",
        help="pull only if the kit carries a cosign signature by this public key (checked first)",
    )
    network_flags(p)
    concurrency_flag(p)

    p = add("keygen", cmd_keygen, "Create a cosign key pair (password from COSIGN_PASSWORD or a prompt).")
    p.add_argument("--dir", help="where to write cosign.key and cosign.pub (default: <kit home>/kitlab/keys)")
    p.add_argument("--name", default="cosign", help="file name stem (default: cosign)")
    p.add_argument("--force", action="store_true", help="replace an existing key pair")

    p = add("sign", cmd_sign, "Sign a kit on its registry as cosign does (no transparency log).")
    p.add_argument("reference")
    p.add_argument("--key", dest="signing_key", required=True, help="cosign private key file")
    referrers_mode_flag(p, ".sig tag", "a referrer")
    trust_network_flags(p)

    p = add("attest", cmd_attest, "Attach a signed SBOM or provenance attestation, as cosign attest does.")
    p.add_argument("reference")
    p.add_argument("--key", dest="signing_key", required=True, help="cosign private key file")
    p.add_argument(
        "--type",
        required=True,
        choices=["sbom", "provenance"],
        help="sbom: a CycloneDX 1.6 ML-BOM of the kit; provenance: SLSA v1 provenance of --dir",
    )
    p.add_argument(
        "--dir",
        help="the workspace the kit was packed from: provenance describes it (default: the current "
        "directory); the SBOM adds its pinned requirements",
    )
    referrers_mode_flag(p, ".att tag", "a Sigstore bundle referrer (cosign attest --new-bundle-format)")
    trust_network_flags(p)

    p = add("verify", cmd_verify, "Verify a kit's cosign signature with a public key.")
    p.add_argument("reference")
    p.add_argument("--key", dest="signing_key", required=True, help="public key file (cosign.pub)")
    trust_network_flags(p)

    p = add("login", cmd_login, "Log in to a registry; the credentials are verified before they are saved.")
    p.add_argument("registry")
    p.add_argument("-u", "--username", required=True)
    p.add_argument("-p", "--password", help="insecure: prefer --password-stdin or the prompt")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    network_flags(p)

    p = add("logout", cmd_logout, "Forget the saved login for a registry.")
    p.add_argument("registry")

    p = add(
        "init",
        scan_cli.run,
        "Scan a directory and write the Kitfile it drafts (an existing one only with --force).",
    )
    scan_cli.add_arguments(p, "init")

    p = add("scan", scan_cli.run, "Scan a directory: the drafted Kitfile with reasons and a hygiene report.")
    scan_cli.add_arguments(p, "scan")

    p = add("scan-pickle", cmd_scan_pickle, "Report what pickle files would import, without loading them.")
    p.add_argument("paths", nargs="+", help="files or directories")
    return parser


def referrers_mode_flag(p: argparse.ArgumentParser, legacy: str, referrer: str) -> None:
    """cosign's ``--registry-referrers-mode`` for ``sign`` and ``attest``: where the signature goes."""
    p.add_argument(
        "--registry-referrers-mode",
        default="auto",
        choices=["auto", "legacy", "oci-1-1"],
        help=f"legacy: cosign's {legacy}; oci-1-1: {referrer}; auto: the tag, and a referrer when the "
        "registry has the referrers API",
    )


def trust_network_flags(p: argparse.ArgumentParser) -> None:
    """kit's network flags without ``--cert/--key``: ``sign`` and ``verify`` use ``--key`` as cosign."""
    p.add_argument("--plain-http", action="store_true", help="use HTTP, not HTTPS (local registries)")
    p.add_argument(
        "--tls-verify",
        default=True,
        action=argparse.BooleanOptionalAction,
        help="verify the registry's TLS certificate (default); as kit, --tls-verify=false turns it off",
    )


def network_flags(p: argparse.ArgumentParser) -> None:
    """kit's network flags."""
    trust_network_flags(p)
    p.add_argument("--cert", help="client certificate (PEM) for mutual TLS")
    p.add_argument("--key", help="client certificate key (PEM)")


def _positive(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"must be a number from 1 to 64, not {text!r}")
    return int(text)


def concurrency_flag(p: argparse.ArgumentParser) -> None:
    """kit's ``--concurrency``: blobs uploaded or downloaded at once (each with its own progress)."""
    p.add_argument(
        "--concurrency", type=_positive, metavar="N", help="blobs moved at once (default 5, as kit)"
    )


# Go's strconv.ParseBool, which kit's boolean flags use for --flag=VALUE.
_GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


class KitArgumentParser(argparse.ArgumentParser):
    """Usage errors exit 1 with ``Error: …`` on stderr, as kit's do (argparse exits 2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"Error: {message}", file=sys.stderr)
        sys.exit(1)


def _kit_bool_flags(argv: Sequence[str]) -> list[str]:
    """kit's ``--tls-verify=false`` form of the boolean flag, as argparse's ``--no-tls-verify``."""
    out: list[str] = []
    for token in argv:
        name, eq, value = token.partition("=")
        if token == "--":
            out.extend(argv[len(out) :])
            break
        if name == "--tls-verify" and eq:
            if value not in _GO_TRUE + _GO_FALSE:
                raise InvalidInput(f'invalid argument "{value}" for "--tls-verify" flag: not a boolean')
            token = "--tls-verify" if value in _GO_TRUE else "--no-tls-verify"
        out.append(token)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    try:
        argv = _kit_bool_flags(sys.argv[1:] if argv is None else argv)
    except InvalidInput as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 1
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
