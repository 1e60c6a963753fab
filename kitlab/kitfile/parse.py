"""Reading a Kitfile as strictly as kit does (yaml.v3 with ``KnownFields(true)``).

Everything kit would reject is reported, all at once, with the field path and position: unknown keys
(with a did-you-mean), duplicate keys, values of the wrong type, and ``parameters`` kit could not store
as JSON. String fields keep the literal scalar text (``version: 1.10`` is ``"1.10"``), and
``parameters`` follow yaml.v3's typing (``yes`` is a string, ``0x1F`` is 31).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from pathlib import Path
from typing import Any

from kitlab.errors import NotFound
from kitlab.kitfile.files import FileTooLarge, is_file_or_link, read_workspace_file
from kitlab.kitfile.model import Kitfile
from kitlab.kitfile.problems import KitfileError, Problem
from kitlab.kitfile.schema import FieldSpec
from kitlab.kitfile.structure import ObjectSpec, root_spec
from kitlab.kitfile.yamlnodes import (
    MAX_DOCUMENT_BYTES,
    Node,
    ResolveError,
    YamlLimitError,
    YamlSyntaxError,
    compose_first_document,
    is_null,
    resolve_scalar,
)

__all__ = [
    "KITFILE_NAMES",
    "did_you_mean",
    "find_kitfile",
    "load_kitfile",
    "load_kitfile_file",
    "locate_problems",
]

# kit pack DIR looks for these, in this order (pkg/lib/filesystem/paths.go).
KITFILE_NAMES = ("Kitfile", "kitfile", ".kitfile")

# yaml.v3 refuses documents whose aliases expand to huge trees ("billion laughs"); so do we.
_MAX_DECODED_NODES = 1_000_000

_LAYER_KEYS_MESSAGE = (
    "unknown field; digest and diffId are filled in by kit when packing, not written in a Kitfile"
)


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def did_you_mean(key: str, known: list[str]) -> str:
    """The suffix "; did you mean X?" naming the known key closest to ``key`` (case-insensitively first)."""
    by_lower = {k.lower(): k for k in known}
    match = by_lower.get(key.lower())
    if match is None:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        match = close[0] if close else None
    return f"; did you mean {match}?" if match else ""


class _Decoder:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.decoded_nodes = 0

    def error(self, path: str, message: str, node: Node | None) -> None:
        self.problems.append(
            Problem(
                path=path,
                message=message,
                line=node.line if node else None,
                column=node.column if node else None,
            )
        )

    # -- mappings ------------------------------------------------------------------------------

    def pairs(self, node: Node, path: str, *, struct: bool) -> list[tuple[str, Node, Node]]:
        """(key text, key node, value node) of a mapping: explicit keys, then ``<<`` merges.

        Duplicate explicit keys are reported (yaml.v3 refuses them); merged keys never override.
        """
        out: list[tuple[str, Node, Node]] = []
        first_seen: dict[str, Node] = {}
        merges: list[Node] = []
        for key_node, value_node in node.pairs:
            if key_node.kind != "scalar":
                self.error(path, f"mapping keys must be scalars, found {key_node.describe()}", key_node)
                continue
            if key_node.is_plain and key_node.value == "<<":
                merges.append(value_node)
                continue
            key = "" if is_null(key_node) else key_node.value
            if key in first_seen:
                what = "field" if struct else "mapping key"
                self.error(
                    _child(path, key),
                    f"duplicate {what} {key!r} (first defined at line {first_seen[key].line})",
                    key_node,
                )
                continue
            first_seen[key] = key_node
            out.append((key, key_node, value_node))
        for merge in merges:
            sources = merge.items if merge.kind == "seq" else [merge]
            for source in sources:
                if source.kind != "map":
                    self.error(path, "map merge (<<) needs a mapping or a list of mappings", merge)
                    continue
                for key, key_node, value_node in self.pairs(source, path, struct=struct):
                    if key not in first_seen:
                        first_seen[key] = key_node
                        out.append((key, key_node, value_node))
        return out

    # -- typed structure -----------------------------------------------------------------------

    def decode_object(self, node: Node, spec: ObjectSpec, path: str) -> Any:
        if is_null(node):
            return spec.new()
        if node.kind != "map":
            label = path or "Kitfile"
            self.error(path, f"expected a mapping for {label}, found {node.describe()}", node)
            return spec.new()
        by_key = {f.key: f for f in spec.fields}
        values: dict[str, Any] = {}
        for key, key_node, value_node in self.pairs(node, path, struct=True):
            spec_field = by_key.get(key)
            if spec_field is None:
                if key in ("digest", "diffId"):
                    message = _LAYER_KEYS_MESSAGE
                else:
                    message = "unknown field" + did_you_mean(key, list(by_key))
                self.error(_child(path, key), message, key_node)
                continue
            values[spec_field.attr] = self.decode_field(value_node, spec_field, spec, _child(path, key))
        return spec.new(**values)

    def decode_field(self, node: Node, spec_field: FieldSpec, parent: ObjectSpec, path: str) -> Any:
        kind = spec_field.kind
        if kind == "any":
            return None if is_null(node) else self.decode_any(node, path)
        if kind == "string":
            return self.decode_string(node, path)
        if kind == "object":
            if is_null(node) and parent.is_optional(spec_field.attr):
                return None
            return self.decode_object(node, parent.child(spec_field), path)
        if is_null(node):
            return []
        if node.kind != "seq":
            self.error(path, f"expected a list, found {node.describe()}", node)
            return []
        # yaml.v3 drops null items of a list of strings or structs (decoding null into them "fails").
        items = [(i, item) for i, item in enumerate(node.items) if not is_null(item)]
        if kind == "string_list":
            return [self.decode_string(item, f"{path}[{i}]") for i, item in items]
        child = parent.child(spec_field)
        return [self.decode_object(item, child, f"{path}[{i}]") for i, item in items]

    def decode_string(self, node: Node, path: str) -> str:
        if is_null(node):
            return ""
        if node.kind != "scalar":
            self.error(path, f"expected a string, found {node.describe()}", node)
            return ""
        # yaml.v3 stores the scalar's text in a Go string field whatever it looks like (1.10, true).
        return node.value

    # -- parameters: any JSON-compatible value -------------------------------------------------

    def decode_any(self, node: Node, path: str) -> Any:
        self.decoded_nodes += 1
        if self.decoded_nodes > _MAX_DECODED_NODES:
            raise _TooLarge
        if node.kind == "scalar":
            try:
                value = resolve_scalar(node)
            except ResolveError as exc:
                self.error(path, str(exc), node)
                return None
            if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
                self.error(path, f"{node.value} cannot be stored: kit writes parameters as JSON", node)
            return value
        if node.kind == "seq":
            return [self.decode_any(item, f"{path}[{i}]") for i, item in enumerate(node.items)]
        out: dict[str, Any] = {}
        for key, key_node, value_node in self.pairs(node, path, struct=False):
            if type(_key_value(key_node)) is not str:  # a GoTime key is not a string to yaml.v3 either
                self.error(
                    _child(path, key),
                    f"map key {key_node.value!r} is not a string; kit cannot store it as JSON "
                    "(quote the key)",
                    key_node,
                )
                continue
            out[key] = self.decode_any(value_node, _child(path, key))
        return out


class _TooLarge(Exception):
    pass


def _key_value(key_node: Node) -> Any:
    try:
        return resolve_scalar(key_node)
    except ResolveError:
        return None


def load_kitfile(text: str, *, source: str = "Kitfile") -> Kitfile:
    """Parse Kitfile YAML like kit; raises ``KitfileError`` listing every problem found."""
    try:
        root = compose_first_document(text)
    except YamlSyntaxError as exc:
        message = exc.message if isinstance(exc, YamlLimitError) else f"invalid YAML: {exc.message}"
        raise KitfileError(
            [Problem(path="", message=message, line=exc.line, column=exc.column)], source=source
        ) from None
    if root is None:
        raise KitfileError(
            [Problem(path="", message="the Kitfile is empty", line=1, column=1)], source=source
        )
    decoder = _Decoder()
    try:
        kitfile = decoder.decode_object(root, root_spec(), "")
    except _TooLarge:
        raise KitfileError(
            [
                Problem(
                    path="",
                    message="the document contains excessive aliasing",
                    line=root.line,
                    column=root.column,
                )
            ],
            source=source,
        ) from None
    if decoder.problems:
        problems = sorted(decoder.problems, key=lambda p: (p.line or 0, p.column or 0))
        raise KitfileError(problems, source=source)
    assert isinstance(kitfile, Kitfile)
    return kitfile


def find_kitfile(context_dir: str | Path) -> Path | None:
    """The Kitfile kit would use for ``kit pack context_dir`` (Kitfile, kitfile, .kitfile), or None."""
    directory = Path(context_dir)
    for name in KITFILE_NAMES:
        candidate = directory / name
        # A symlink counts (reading it is then refused, docs/hardening.md): never silently skipped.
        if is_file_or_link(candidate):
            return candidate
    return None


def load_kitfile_file(path: str | Path) -> Kitfile:
    """Parse a Kitfile from disk; ``path`` may also be a context directory (see ``find_kitfile``)."""
    target = Path(path)
    if target.is_dir():
        found = find_kitfile(target)
        if found is None:
            raise NotFound(f"no Kitfile in {target} (looked for {', '.join(KITFILE_NAMES)})")
        target = found
    try:
        # Never through a symlink (its target may be outside the workspace), at most one byte past
        # the limit (enough to refuse the file without reading all of it).
        data = read_workspace_file(target, max_bytes=MAX_DOCUMENT_BYTES)
    except FileNotFoundError:
        raise NotFound(f"Kitfile {target} does not exist") from None
    except FileTooLarge:
        message = f"the Kitfile is larger than {MAX_DOCUMENT_BYTES:,} bytes, the most kitlab reads"
        raise KitfileError([Problem(path="", message=message)], source=str(target)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KitfileError(
            [Problem(path="", message=f"the Kitfile is not valid UTF-8 (byte {exc.start})")],
            source=str(target),
        ) from None
    return load_kitfile(text, source=str(target))


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def locate_problems(problems: list[Problem], text: str) -> list[Problem]:
    """Add line/column (from the Kitfile ``text``) to problems that have a field path but no position.

    ``validate_kitfile`` works on the parsed model, so its problems carry only paths; the editor wants
    to underline the place in the file. A problem points at its key (``license:``), or at the nearest
    enclosing entry when the field is missing from the text.
    """
    try:
        root = compose_first_document(text)
    except YamlSyntaxError:
        return problems
    if root is None:
        return problems
    out = []
    for problem in problems:
        if problem.line is not None or not problem.path:
            out.append(problem)
            continue
        node: Node | None = root
        mark: Node = root
        for name, index in _STEP.findall(problem.path):
            if node is None:
                break
            if name and node.kind == "map":
                pair = next((pair for pair in node.pairs if pair[0].value == name), None)
                node = pair[1] if pair else None
                mark = pair[0] if pair else mark
            elif index and node.kind == "seq" and int(index) < len(node.items):
                node = node.items[int(index)]
                mark = node
            else:
                node = None
        out.append(dataclasses.replace(problem, line=mark.line, column=mark.column))
    return out
