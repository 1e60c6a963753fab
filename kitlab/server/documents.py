"""A folder's Kitfile as the form sees it: text, JSON, and every problem with its field path.

Problems come from three places, merged so the form shows them all at once: the strict parser (line,
column, unknown fields), the validator (kit's rules and what kit misses) and the layer walk (entries
that would pack nothing, files another layer swallows, symlinks, differences from kit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kitlab.atomicfile import write_atomically
from kitlab.errors import InvalidInput
from kitlab.kitfile import (
    KITFILE_NAMES,
    MAX_DOCUMENT_BYTES,
    Kitfile,
    KitfileError,
    Problem,
    find_kitfile,
    kitfile_from_dict,
    kitfile_to_dict,
    load_kitfile,
    render_kitfile,
    validate_kitfile,
)
from kitlab.kitfile.files import FileTooLarge, is_file_or_link, read_workspace_file
from kitlab.modelkit.kitignore import IGNORE_FILE_NAME
from kitlab.modelkit.layers import plan_layers
from kitlab.modelkit.secrets import find_layer_secrets
from kitlab.scan.hygiene import suggest_kitignore


def _layer_problems(kf: Kitfile, folder: Path) -> list[Problem]:
    """The layer walk's problems, and every file it would pack that looks like a secret (the one
    detector every pack path runs; a pack job stops on them unless ``allowSecrets``)."""
    plan = plan_layers(kf, folder)
    problems = [Problem(path=p.field, message=p.message, severity=p.severity) for p in plan.problems]
    for secret in find_layer_secrets(plan):
        message = f"{secret.describe()}: packing stops unless secrets are allowed; .kitignore leaves it out"
        problems.append(Problem(path=secret.field, message=message, severity="warning"))
    return problems


def check(folder: Path, payload: dict[str, Any]) -> tuple[Kitfile | None, list[Problem]]:
    """Parse ``{"text": yaml}`` or ``{"kitfile": json}`` and collect every problem (errors first)."""
    try:
        if isinstance(payload.get("text"), str):
            kf = load_kitfile(payload["text"])
        elif isinstance(payload.get("kitfile"), dict):
            kf = kitfile_from_dict(payload["kitfile"])
        else:
            raise InvalidInput('expected {"text": "<yaml>"} or {"kitfile": {...}}')
    except KitfileError as exc:
        return None, [Problem(**p) for p in exc.details["problems"]]
    problems = validate_kitfile(kf, folder)  # kit's rules, what kit misses, the kit version needed
    if not any(p.severity == "error" for p in problems):
        # The walk needs paths that exist inside the folder, which validation has just confirmed.
        problems += _layer_problems(kf, folder)
    problems.sort(key=lambda p: (p.severity != "error", p.path))
    return kf, problems


# "Write .kitignore" adds at most this many lines at once, each at most PATH_MAX long.
MAX_KITIGNORE_ADDITIONS = 1000
MAX_KITIGNORE_LINE = 4096


def _existing_kitignore(folder: Path, *, strict: bool) -> str:
    """The folder's ``.kitignore`` (read without following a symlink; "" when there is none). With
    ``strict``, a file that is not UTF-8 is refused, so a rewrite can never mangle the user's lines; a
    preview shows it with replacement characters instead."""
    try:
        data = read_workspace_file(folder / IGNORE_FILE_NAME, max_bytes=MAX_DOCUMENT_BYTES)
    except FileNotFoundError:
        return ""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not strict:
            return data.decode("utf-8", "replace")
        raise InvalidInput(f"{IGNORE_FILE_NAME} is not valid UTF-8 (byte {exc.start}); not changed") from None


def kitignore_for_secrets(folder: Path, paths: list[str]) -> str:
    """The folder's ``.kitignore`` with ``paths`` added under a comment: what "Write .kitignore" would
    write to keep those files out of every layer. "" when there is nothing to add."""
    if not paths:
        return ""
    return suggest_kitignore(_existing_kitignore(folder, strict=False), [], paths, [])


def write_kitignore(folder: Path, paths: list[str]) -> dict[str, Any]:
    """Add ``paths`` (files of secrets) to the folder's ``.kitignore``: every line the user wrote is
    kept, lines it already has are not repeated, and the file is replaced atomically. Merged with the
    file as it is now, not as a preview showed it, so an edit made meanwhile is never lost."""
    if len(paths) > MAX_KITIGNORE_ADDITIONS:
        raise InvalidInput(f"paths: {len(paths):,} entries; at most {MAX_KITIGNORE_ADDITIONS:,} at once")
    for index, path in enumerate(paths):
        if not path.strip() or len(path) > MAX_KITIGNORE_LINE or any(c in path for c in "\r\n\0"):
            raise InvalidInput(
                f"paths[{index}]: expected one path of at most {MAX_KITIGNORE_LINE} characters"
            )
    existing = _existing_kitignore(folder, strict=True)
    text = suggest_kitignore(existing, [], paths, []) if paths else existing
    have = {line.strip() for line in existing.splitlines()}
    added = sorted({p for p in paths if p not in have})
    if added:
        write_atomically(folder / IGNORE_FILE_NAME, text)
    return {"name": IGNORE_FILE_NAME, "text": text, "added": added}


def _kitfile_path(folder: Path) -> Path:
    return find_kitfile(folder) or folder / KITFILE_NAMES[0]


def _read_text(path: Path) -> str:
    """The Kitfile's text, read without following a symlink (a link to a file outside the workspace
    is refused, never read or echoed; docs/hardening.md)."""
    try:
        data = read_workspace_file(path, max_bytes=MAX_DOCUMENT_BYTES)
    except FileTooLarge:
        message = f"the Kitfile is larger than {MAX_DOCUMENT_BYTES:,} bytes, the most kitlab reads"
        raise KitfileError([Problem(path="", message=message)], source=path.name) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"the Kitfile is not valid UTF-8 (byte {exc.start})"
        raise KitfileError([Problem(path="", message=message)], source=path.name) from None


def _text_to_write(path: Path, payload: dict[str, Any]) -> str:
    """Raw YAML as given; form edits laid into ``original`` (the text the editor holds, unsaved edits
    and all) or else the file on disk, keeping its comments and key order."""
    if isinstance(payload.get("text"), str):
        return str(payload["text"])
    original = payload.get("original")
    if not isinstance(original, str):
        original = _read_text(path) if is_file_or_link(path) else None
    return render_kitfile(payload["kitfile"], original_text=original)


def validate(folder: Path, payload: dict[str, Any]) -> dict[str, Any]:
    """Live validation: every problem, the Kitfile as JSON, and the text a save would write (what the
    YAML tab shows after form edits). Nothing is written."""
    kf, problems = check(folder, payload)
    return {
        "problems": [p.to_dict() for p in problems],
        "kitfile": kitfile_to_dict(kf) if kf else None,
        "text": _text_to_write(_kitfile_path(folder), payload) if kf else None,
    }


def read(folder: Path) -> dict[str, Any]:
    """The folder's Kitfile document (``exists: False`` and no problems when there is none).

    ``name`` is the Kitfile's file name in ``folder`` (kit looks for Kitfile, kitfile, .kitfile).
    """
    path = find_kitfile(folder)
    if path is None:
        return {"name": KITFILE_NAMES[0], "exists": False, "problems": []}
    text = _read_text(path)
    kf, problems = check(folder, {"text": text})
    return {
        "name": path.name,
        "exists": True,
        "text": text,
        "kitfile": kitfile_to_dict(kf) if kf else None,
        "problems": [p.to_dict() for p in problems],
    }


def save(folder: Path, payload: dict[str, Any]) -> dict[str, Any]:
    """Validate and write the folder's Kitfile; refuse (with every problem) when anything is an error.

    Form edits keep the user's comments and key order; raw YAML is written as given.
    """
    kf, problems = check(folder, payload)
    errors = [p for p in problems if p.severity == "error"]
    if kf is None or errors:
        raise KitfileError(problems, source="Kitfile")
    path = _kitfile_path(folder)
    write_atomically(path, _text_to_write(path, payload))
    return read(folder)
