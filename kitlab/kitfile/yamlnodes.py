"""A YAML node tree with source positions, and scalar resolution as Go's yaml.v3 does it.

kit reads Kitfiles with yaml.v3, whose YAML 1.2-ish rules differ from PyYAML's (``yes``/``on`` stay
strings, ``017`` is octal, ``1_000`` is an int, timestamps stay strings when decoded into ``any``). We
take only the parser's *event* stream (so we see each scalar's raw text, style and explicit tag, and its
line/column) and build a small node tree ourselves; resolution then follows yaml.v3's ``resolve``.

The events come from libyaml (PyYAML's C parser): yaml.v3's parser is a Go port of libyaml, so its
events are kit's, and it reads a 20,000-entry Kitfile in a fraction of a second where ruamel.yaml's
pure-Python parser took seconds. ruamel.yaml stays the library that writes (round trip, comments kept).
"""

from __future__ import annotations

import base64
import binascii
import calendar
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from yaml.error import MarkedYAMLError, YAMLError
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

NodeKind = Literal["scalar", "seq", "map"]

TAG_PREFIX = "tag:yaml.org,2002:"
STR_TAG = TAG_PREFIX + "str"


@dataclass(eq=False)
class Node:
    kind: NodeKind
    line: int  # 1-based
    column: int  # 1-based
    value: str = ""  # scalar text as written (after YAML unescaping/folding)
    tag: str | None = None  # explicit tag only (``!!int 1``), else None
    style: str | None = None  # None = plain; one of ' " | > for scalars
    items: list[Node] = field(default_factory=list)
    pairs: list[tuple[Node, Node]] = field(default_factory=list)

    @property
    def is_plain(self) -> bool:
        return self.kind == "scalar" and self.style is None and self.tag is None

    def describe(self) -> str:
        """yaml.v3-like name of what the node is, for type-mismatch messages."""
        if self.kind == "seq":
            return "a list"
        if self.kind == "map":
            return "a mapping"
        # Never the scalar's text: a file that is not a Kitfile (a key, a token) must not come back
        # in an error message or a log (docs/hardening.md); the line and column say where it is.
        return "a scalar"


class YamlSyntaxError(Exception):
    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class YamlLimitError(YamlSyntaxError):
    """The document is too large or nests too deeply to be parsed at all (docs/hardening.md)."""


# Limits checked before (size, flow nesting) and while (any nesting) the parser runs. The YAML scanner's
# cost per token grows with the nesting depth, so ``"[" * 50000`` pinned a core for minutes and 4,000
# block levels took 16 s; a Kitfile needs a handful of levels, and a few thousand entries fit in 1 MiB.
MAX_DOCUMENT_BYTES = 1 << 20
MAX_DEPTH = 100

# What can hide a bracket from the flow-depth count: quoted scalars and comments.
_FLOW_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\']|\'\')*\'|(?<!\S)#[^\n]*|[\[\]{}]')


def check_document_limits(text: str) -> None:
    """Raise ``YamlLimitError`` for a text over ``MAX_DOCUMENT_BYTES`` or with flow collections (``[``,
    ``{``) nested deeper than ``MAX_DEPTH``: a linear scan, before any YAML parsing."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        raise YamlLimitError(
            f"the document is {size:,} bytes; at most {MAX_DOCUMENT_BYTES:,} bytes are read", None, None
        )
    depth = 0
    for match in _FLOW_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
                raise YamlLimitError(f"the document nests deeper than {MAX_DEPTH} levels", line, column)
        elif token in "]}":
            depth = max(0, depth - 1)


# libyaml's parser; PyYAML's own Python port of it where PyYAML was built without libyaml (same events).
_EVENTS_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _pos(event: Any) -> tuple[int, int]:
    mark = event.start_mark
    return mark.line + 1, mark.column + 1


def compose_first_document(text: str) -> Node | None:
    """Node tree of the first document (yaml.v3's ``Decoder.Decode`` reads only that one).

    Returns None for a stream without documents (empty or comments only). Aliases resolve to the very
    node object their anchor names, as in yaml.v3. Raises ``YamlLimitError`` past the size and depth
    limits (``check_document_limits``; block nesting is counted as the events arrive).
    """
    check_document_limits(text)
    events = yaml.parse(text, Loader=_EVENTS_LOADER)
    anchors: dict[str, Node] = {}
    # Open collections: the node, its pending key (maps) and its anchor. An anchor is registered only
    # when its collection is complete, so an alias inside its own anchor fails, as in yaml.v3.
    stack: list[tuple[Node, list[Node], str | None]] = []
    root: Node | None = None

    def attach(node: Node) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        parent, pending, _ = stack[-1]
        if parent.kind == "seq":
            parent.items.append(node)
        elif pending:
            parent.pairs.append((pending.pop(), node))
        else:
            pending.append(node)

    try:
        for event in events:
            if isinstance(event, ScalarEvent):
                line, column = _pos(event)
                tag = _explicit_tag(event.tag)
                node = Node("scalar", line, column, value=event.value, tag=tag, style=event.style or None)
                if event.anchor:
                    anchors[event.anchor] = node
                attach(node)
            elif isinstance(event, (SequenceStartEvent, MappingStartEvent)):
                line, column = _pos(event)
                if len(stack) >= MAX_DEPTH:
                    raise YamlLimitError(f"the document nests deeper than {MAX_DEPTH} levels", line, column)
                kind: NodeKind = "seq" if isinstance(event, SequenceStartEvent) else "map"
                node = Node(kind, line, column, tag=_explicit_tag(event.tag))
                stack.append((node, [], event.anchor))
            elif isinstance(event, (SequenceEndEvent, MappingEndEvent)):
                node, _, anchor = stack.pop()
                if anchor:
                    anchors[anchor] = node
                attach(node)
            elif isinstance(event, AliasEvent):
                if event.anchor not in anchors:
                    line, column = _pos(event)
                    # Not the anchor's name: errors never quote the file (docs/hardening.md).
                    raise YamlSyntaxError("an alias refers to an unknown anchor", line, column)
                attach(anchors[event.anchor])
            elif isinstance(event, (DocumentEndEvent, StreamEndEvent)) and root is not None:
                break
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            message = f"{exc.context}: {exc.problem}"
        raise YamlSyntaxError(
            message, mark.line + 1 if mark else None, mark.column + 1 if mark else None
        ) from None
    except YAMLError as exc:
        raise YamlSyntaxError(str(exc), None, None) from None
    except UnicodeEncodeError:  # a lone surrogate: libyaml reads UTF-8
        raise YamlSyntaxError("the document is not valid Unicode text", None, None) from None
    return root


def _explicit_tag(tag: Any) -> str | None:
    if tag is None:
        return None
    return str(tag)


# --------------------------------------------------------------------------------------------------
# yaml.v3 scalar resolution (resolve.go)

MERGE = object()  # the ``<<`` merge key

_RESOLVE_MAP: dict[str, Any] = {
    **dict.fromkeys(["true", "True", "TRUE"], True),
    **dict.fromkeys(["false", "False", "FALSE"], False),
    **dict.fromkeys(["", "~", "null", "Null", "NULL"], None),
    **dict.fromkeys([".nan", ".NaN", ".NAN"], math.nan),
    **dict.fromkeys([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"], math.inf),
    **dict.fromkeys(["-.inf", "-.Inf", "-.INF"], -math.inf),
    "<<": MERGE,
}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
# strconv.ParseFloat on text that starts with '.': decimal digits, '_' allowed only between digits.
_DOT_FLOAT = re.compile(r"\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?")
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
_BASES = {"0x": (16, "0123456789abcdefABCDEF"), "0o": (8, "01234567"), "0b": (2, "01")}


def _go_parse_int_base0(text: str, *, signed: bool) -> int | None:
    """strconv.ParseInt/ParseUint(text, 0, 64) for text without underscores; None on any error."""
    sign = 1
    body = text
    if signed and body[:1] in ("+", "-"):
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if not body:
        return None
    prefix = body[:2].lower()
    if prefix in _BASES:
        base, allowed = _BASES[prefix]
        digits = body[2:]
    elif body[0] == "0" and len(body) > 1:
        base, allowed, digits = 8, "01234567", body[1:]
    else:
        base, allowed, digits = 10, "0123456789", body
    if not digits or any(c not in allowed for c in digits):
        return None
    value = sign * int(digits, base)
    if signed:
        return value if _INT64_MIN <= value <= _INT64_MAX else None
    return value if value <= _UINT64_MAX else None


def _go_parse_int_base(text: str, base: int, *, unsigned_fallback: bool = True) -> int | None:
    """strconv.ParseInt(text, base, 64), then ParseUint as yaml.v3 does; None on error."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    allowed = "01" if base == 2 else "01234567"
    if not digits or any(c not in allowed for c in digits):
        return None
    value = int(text, base)
    if _INT64_MIN <= value <= _INT64_MAX:
        return value
    if unsigned_fallback and text[:1] not in ("+", "-") and value <= _UINT64_MAX:
        return value
    return None


def _float_or_none(text: str) -> float | None:
    value = float(text)
    # strconv.ParseFloat reports overflow as an error, and yaml.v3 then keeps the text as a string.
    return None if math.isinf(value) else value


class GoTime(str):
    """An unquoted timestamp, which yaml.v3 decodes into a Go ``time.Time``.

    The text is the time in RFC 3339 with nanoseconds, which is how Go writes it to JSON and YAML
    (``2001-12-14`` becomes ``2001-12-14T00:00:00Z``).
    """


_TIMESTAMP = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:(?P<sep>[Tt ])(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{1,2}):(?P<s>[0-9]{1,2})(?:\.(?P<f>[0-9]+))?"
    r"(?P<z>Z|[+-][0-9]{2}:[0-9]{2})?)?"
)


def parse_timestamp(text: str) -> GoTime | None:
    """yaml.v3 ``parseTimestamp``: the Go layouts 2006-1-2T15:4:5.999999999Z07:00 (also with ``t``),
    ``2006-1-2 15:4:5.999999999`` (no zone) and ``2006-1-2``."""
    match = _TIMESTAMP.fullmatch(text)
    if not match:
        return None
    year, month, day = int(match["y"]), int(match["mo"]), int(match["d"])
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    date = f"{year:04d}-{month:02d}-{day:02d}"
    if match["sep"] is None:
        return GoTime(date + "T00:00:00Z")
    zone = match["z"]
    if (match["sep"] == " ") == (zone is not None):  # the space layout has no zone, the T layouts need one
        return None
    hour, minute, second = int(match["h"]), int(match["mi"]), int(match["s"])
    if hour > 23 or minute > 59 or second > 59:
        return None
    fraction = (match["f"] or "")[:9].rstrip("0")  # Go keeps nanoseconds
    if zone is None or zone in ("Z", "+00:00", "-00:00"):
        zone = "Z"
    elif int(zone[1:3]) > 23 or int(zone[4:6]) > 59:
        return None
    return GoTime(f"{date}T{hour:02d}:{minute:02d}:{second:02d}{'.' + fraction if fraction else ''}{zone}")


def resolve_plain(text: str) -> Any:
    """Value of an untagged plain scalar: None, bool, int, float, GoTime, MERGE, or the text itself."""
    if text in _RESOLVE_MAP:
        return _RESOLVE_MAP[text]
    hint = text[0]
    if hint == "." and _DOT_FLOAT.fullmatch(text):
        value = _float_or_none(text.replace("_", ""))
        return text if value is None else value
    if hint in "+-0123456789":
        timestamp = parse_timestamp(text)
        if timestamp is not None:
            return timestamp
        plain = text.replace("_", "")
        for signed in (True, False):
            number = _go_parse_int_base0(plain, signed=signed)
            if number is not None:
                return number
        if _YAML_STYLE_FLOAT.fullmatch(plain):
            value = _float_or_none(plain)
            if value is not None:
                return value
        # yaml.v3's own 0b/0o fallbacks parse the rest with strconv and an explicit base, which accepts
        # a sign: "0o-4" is -4 (a quirk, reproduced).
        for prefix, base in (("0b", 2), ("0o", 8)):
            if plain.startswith(prefix):
                number = _go_parse_int_base(plain[2:], base)
                if number is not None:
                    return number
            elif plain.startswith("-" + prefix):
                number = _go_parse_int_base("-" + plain[3:], base, unsigned_fallback=False)
                if number is not None:
                    return number
    return text


class ResolveError(ValueError):
    pass


def resolve_scalar(node: Node) -> Any:
    """Value of a scalar node decoded into Go's ``any`` by yaml.v3."""
    # An explicit tag wins over quoting (``!!int "12"`` is 12); otherwise quoted means string.
    if node.tag in ("!", STR_TAG) or (node.tag is None and node.style is not None):
        return node.value
    if node.tag is None:
        value = resolve_plain(node.value)
        return node.value if value is MERGE else value
    short = node.tag.removeprefix(TAG_PREFIX) if node.tag.startswith(TAG_PREFIX) else None
    if short in ("int", "float", "bool", "null"):
        value = resolve_plain(node.value)
        expected: dict[str, type | tuple[type, ...]] = {
            "int": int,
            "float": (int, float),
            "bool": bool,
            "null": type(None),
        }
        if (isinstance(value, bool) and short != "bool") or not isinstance(value, expected[short]):
            raise ResolveError(f"cannot decode !!str `{node.value}` as a !!{short}")
        return float(value) if short == "float" and isinstance(value, int | float) else value
    if short == "binary":
        try:
            data = base64.b64decode(node.value.replace("\n", "").replace("\r", ""), validate=True)
        except binascii.Error:
            raise ResolveError("!!binary value contains invalid base64 data") from None
        # A Go string holding those bytes; invalid UTF-8 is kept as surrogate escapes (JSON: \ufffd).
        return data.decode("utf-8", errors="surrogateescape")
    # !!timestamp and application tags: yaml.v3 hands the text to ``any`` unchanged.
    return node.value


def is_null(node: Node) -> bool:
    """Whether yaml.v3 would decode the node as null (which leaves a Go field at its zero value)."""
    if node.kind != "scalar" or node.style is not None:
        return False
    if node.tag is None:
        return node.value in ("", "~", "null", "Null", "NULL")
    return node.tag == TAG_PREFIX + "null"
