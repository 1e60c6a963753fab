"""JSON encoding byte-identical to Go's ``encoding/json.Marshal``.

kit stores the Kitfile config blob and the manifest as ``json.Marshal`` output; a ModelKit only gets
the same digest as one packed by kit if every byte matches, so Python's ``json`` module (different
escaping, float formatting and no struct order) cannot be used.

Values map to Go as follows:

* ``GoStruct`` (an ordered list of ``(key, value)`` pairs) → a Go struct: keys in the given order. Build
  it with ``encode_ordered``/``struct_pairs`` so omitempty is applied the way Go does.
* ``dict`` → a Go ``map[string]any``: keys sorted byte-wise (by their UTF-8 bytes, as Go does).
* ``list``/``tuple`` → array; ``None`` → ``null``; ``bool``; ``int`` → decimal; ``float`` → Go's float
  formatting; ``str`` → Go string escaping; ``bytes`` → treated as a Go ``string`` holding those bytes
  (not base64 like a Go ``[]byte``), so invalid UTF-8 becomes ``\\ufffd`` as in Go.

Strings may carry invalid UTF-8 as lone surrogates (``errors="surrogateescape"``); each becomes
``\\ufffd``, exactly as Go replaces each invalid byte.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

__all__ = [
    "GoJSONError",
    "GoStruct",
    "as_go_struct",
    "encode_ordered",
    "go_float",
    "go_json_dumps",
    "go_json_indent",
    "go_quote",
    "is_go_empty",
]

_HEX = "0123456789abcdef"
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
# HTML-sensitive characters Go escapes by default (json.Marshal uses escapeHTML=true).
_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


class GoJSONError(ValueError):
    """A value Go's ``json.Marshal`` would refuse (NaN, ±Inf, a map with a non-string key, …)."""


class GoStruct(list[tuple[str, object]]):
    """An ordered list of ``(json_key, value)`` pairs encoded as a JSON object in exactly this order."""


def _escape_char(ch: str) -> str:
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    if ch in _HTML_ESCAPES:
        return _HTML_ESCAPES[ch]
    cp = ord(ch)
    if cp < 0x20:
        return "\\u00" + _HEX[cp >> 4] + _HEX[cp & 0xF]
    if cp in (0x2028, 0x2029):
        # JSONP/JavaScript line terminators; Go escapes them so the output is valid JS.
        return f"\\u{cp:04x}"
    if 0xD800 <= cp <= 0xDFFF:
        # A lone surrogate stands for one invalid UTF-8 byte; Go writes the replacement character.
        return "\\ufffd"
    return ch


# Every character _escape_char changes: controls, quote, backslash, HTML specials, U+2028/9, surrogates.
_NEEDS_ESCAPE = re.compile('[\x00-\x1f"\\\\<>&\u2028\u2029\ud800-\udfff]')


def go_quote(value: str | bytes) -> str:
    """Quote a string the way Go's encoder does (with ``escapeHTML``)."""
    text = value.decode("utf-8", errors="surrogateescape") if isinstance(value, bytes) else value
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _escape_char(m.group()), text) + '"'


def go_float(value: float) -> str:
    """Format a float64 like ``encoding/json``.

    Go uses the shortest representation that round-trips (as Python's ``repr``), in plain notation for
    ``1e-6 <= |x| < 1e21`` and in exponent notation otherwise, with a one-digit negative exponent
    written without zero padding (``1e-7``) but positive ones as strconv does (``1e+21``).
    """
    if math.isnan(value) or math.isinf(value):
        raise GoJSONError(f"json: unsupported value: {value!r}")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    # repr() gives the shortest round-trip digits; Decimal splits them into digits and exponent.
    digits_tuple = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(str(d) for d in digits_tuple.digits)
    assert isinstance(digits_tuple.exponent, int)
    # Value = 0.<digits> * 10**point, i.e. ``point`` digits before the decimal point.
    point = len(digits) + digits_tuple.exponent
    magnitude = abs(value)
    if 1e-6 <= magnitude < 1e21:
        if point <= 0:
            body = "0." + "0" * (-point) + digits
        elif point >= len(digits):
            body = digits + "0" * (point - len(digits))
        else:
            body = digits[:point] + "." + digits[point:]
        return sign + body
    exponent = point - 1
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp_sign = "-" if exponent < 0 else "+"
    exp_digits = str(abs(exponent))
    if len(exp_digits) < 2 and exp_sign == "+":
        # strconv pads to two digits; json only strips the padding of negative exponents.
        exp_digits = "0" + exp_digits
    return f"{sign}{mantissa}e{exp_sign}{exp_digits}"


def is_go_empty(value: Any) -> bool:
    """Go's omitempty test for the value kinds we emit: false, 0, "", nil, empty slice/map."""
    if value is None or value is False:
        return True
    if isinstance(value, (str, bytes, list, tuple, dict)):
        return len(value) == 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == 0
    return False


def encode_ordered(pairs: Iterable[tuple[str, Any, bool]]) -> GoStruct:
    """Build a struct value from ``(key, value, omitempty)`` triples, dropping empty omitempty fields.

    ``GoStruct`` values are never dropped by omitempty (Go never treats a struct as empty).
    """
    out = GoStruct()
    for key, value, omitempty in pairs:
        if omitempty and not isinstance(value, GoStruct) and is_go_empty(value):
            continue
        out.append((key, value))
    return out


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(go_float(value))
    elif isinstance(value, (str, bytes)):
        out.append(go_quote(value))
    elif isinstance(value, GoStruct):
        out.append("{")
        for index, (key, item) in enumerate(value):
            if index:
                out.append(",")
            out.append(go_quote(key))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise GoJSONError(f"json: unsupported map key {key!r} (only string keys can be encoded)")
        keys = sorted(value, key=lambda k: k.encode("utf-8", errors="surrogateescape"))
        out.append("{")
        for index, key in enumerate(keys):
            if index:
                out.append(",")
            out.append(go_quote(key))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise GoJSONError(f"json: unsupported type: {type(value).__name__}")


def go_json_dumps(value: Any) -> bytes:
    """``json.Marshal(value)``: compact UTF-8 bytes, no trailing newline."""
    out: list[str] = []
    _encode(value, out)
    # Lone surrogates were already replaced, so strict UTF-8 encoding cannot fail.
    return "".join(out).encode("utf-8")


def go_json_indent(value: Any, indent: str = "  ") -> str:
    """``json.MarshalIndent(value, "", indent)``: what kit prints for ``--format json`` and ``inspect``
    (non-ASCII as UTF-8, ``<``, ``>`` and ``&`` escaped, empty objects and arrays kept as ``{}``/``[]``).

    Go indents the compact encoding; this walks it the same way (strings copied as they are).
    """
    compact = go_json_dumps(value).decode("utf-8")
    out: list[str] = []
    depth = 0
    pending_open = False  # an opening bracket whose newline waits: an empty one closes on its line
    in_string = escaped = False
    for ch in compact:
        if in_string:
            out.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if pending_open and ch not in "]}":
            pending_open = False
            depth += 1
            out.append("\n" + indent * depth)
        if ch == '"':
            in_string = True
            out.append(ch)
        elif ch in "{[":
            out.append(ch)
            pending_open = True
        elif ch in "]}":
            if pending_open:
                pending_open = False
            else:
                depth -= 1
                out.append("\n" + indent * depth)
            out.append(ch)
        elif ch == ",":
            out.append(",\n" + indent * depth)
        elif ch == ":":
            out.append(": ")
        else:
            out.append(ch)
    return "".join(out)


def as_go_struct(value: Any) -> Any:
    """A value parsed with ``json.loads`` (keys in document order) as Go structs in that order, for
    re-encoding a document Go wrote (a manifest, a config) with its fields where Go put them."""
    if isinstance(value, dict):
        return GoStruct((key, as_go_struct(item)) for key, item in value.items())
    if isinstance(value, list):
        return [as_go_struct(item) for item in value]
    return value
