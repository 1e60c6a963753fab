"""YAML output byte-identical to Go's yaml.v3 encoder (``SetIndent(2)``), for the values a Kitfile holds.

kit writes the Kitfile it restores on ``kit unpack`` and prints on ``kit info`` with yaml.v3; matching it
means the same quoting decisions (yaml.v3's resolver, then libyaml's scalar analysis), the same
indentation (sequences indented under their key), literal blocks for multi-line strings, Go float
formatting and yaml.v3's "natural" ordering of map keys. Long lines are never folded (yaml.v3 sets an
unlimited width).

Input values: ``GoStruct`` (ordered pairs, see ``gojson``) for structs, ``dict`` for maps, ``FlowList``
for sequences tagged ``,flow``, plus list/str/int/float/bool/None.
"""

from __future__ import annotations

import functools
import math
import re
from decimal import Decimal
from typing import Any

from kitlab.kitfile.gojson import GoStruct
from kitlab.kitfile.yamlnodes import GoTime, resolve_plain

__all__ = ["FlowList", "go_yaml_dumps", "go_yaml_float"]

_INDENT = 2
_OLD_BOOLS = {
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "on",
    "On",
    "ON",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "off",
    "Off",
    "OFF",
}
_BASE60_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_BREAKS = "\n\r\x85\u2028\u2029"
_ESCAPES = {
    0x00: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0A: "n", 0x0B: "v", 0x0C: "f", 0x0D: "r", 0x1B: "e",
    0x22: '"', 0x5C: "\\", 0x85: "N", 0xA0: "_", 0x2028: "L", 0x2029: "P",
}  # fmt: skip


# Marks a line the writer must not end with "\n" (NUL never occurs in a literal block).
_NO_NEWLINE = "\x00"


class FlowList(list[object]):
    """A sequence written in flow style (``[a, b]``), like a Go field tagged ``yaml:",flow"``."""


# -- scalars --------------------------------------------------------------------------------------


def go_yaml_float(value: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 64) with yaml.v3's spellings of infinities and NaN."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    parts = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, parts.digits))
    assert isinstance(parts.exponent, int)
    exponent = len(digits) + parts.exponent - 1
    if exponent < -4 or exponent >= 6:  # strconv's rule for the shortest 'g' format
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    point = exponent + 1
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _printable(cp: int) -> bool:
    return (
        cp == 0x0A or 0x20 <= cp <= 0x7E or 0xA0 <= cp <= 0xD7FF or (0xE000 <= cp <= 0xFFFD and cp != 0xFEFF)
    )


class _Analysis:
    """libyaml's ``yaml_emitter_analyze_scalar``: which styles can represent the text."""

    def __init__(self, text: str) -> None:
        if not text:
            self.flow_plain = False
            self.block_plain = self.single_quoted = True
            self.block = False
            return
        block_ind = flow_ind = line_breaks = special = tabs = False
        leading_space = leading_break = trailing_space = trailing_break = False
        break_space = space_break = previous_space = previous_break = False
        if text.startswith(("---", "...")):
            block_ind = flow_ind = True
        preceded_by_ws = True
        last = len(text) - 1
        for i, ch in enumerate(text):
            followed_by_ws = i == last or text[i + 1] in " \t"
            if i == 0:
                if ch in "#,[]{}&*!|>'\"%@`":
                    flow_ind = block_ind = True
                elif ch in "?:":
                    flow_ind = True
                    block_ind = block_ind or followed_by_ws
                elif ch == "-" and followed_by_ws:
                    flow_ind = block_ind = True
            elif ch in ",?[]{}":
                flow_ind = True
            elif ch == ":":
                flow_ind = True
                block_ind = block_ind or followed_by_ws
            elif ch == "#" and preceded_by_ws:
                flow_ind = block_ind = True
            if ch == "\t":
                tabs = True
            elif not _printable(ord(ch)):
                special = True
            if ch == " ":
                leading_space = leading_space or i == 0
                trailing_space = trailing_space or i == last
                break_space = break_space or previous_break
                previous_space, previous_break = True, False
            elif ch in _BREAKS:
                line_breaks = True
                leading_break = leading_break or i == 0
                trailing_break = trailing_break or i == last
                space_break = space_break or previous_space
                previous_space, previous_break = False, True
            else:
                previous_space = previous_break = False
            preceded_by_ws = ch in " \t" or ch in _BREAKS
        self.flow_plain = self.block_plain = self.single_quoted = self.block = True
        if leading_space or leading_break or trailing_space or trailing_break:
            self.flow_plain = self.block_plain = False
        if trailing_space:
            self.block = False
        if break_space:
            self.flow_plain = self.block_plain = self.single_quoted = False
        if space_break or tabs or special:
            self.flow_plain = self.block_plain = self.single_quoted = False
        if space_break or special:
            self.block = False
        if line_breaks:
            self.flow_plain = self.block_plain = False
        if flow_ind:
            self.flow_plain = False
        if block_ind:
            self.block_plain = False


def _plain_is_string(text: str) -> bool:
    """yaml.v3 ``stringv``: plain style only if the text would read back as the same string."""
    if not text or text in _OLD_BOOLS or _BASE60_FLOAT.fullmatch(text):
        return False
    return type(resolve_plain(text)) is str  # not GoTime, MERGE, numbers, bools, null


def _double_quoted(text: str) -> str:
    # libyaml's is_bom() looks at the start of the *string*, not at the current character, so a string
    # that begins with U+FEFF gets every character escaped; reproduced on purpose.
    starts_with_bom = text.startswith("\ufeff")
    out = ['"']
    for ch in text:
        cp = ord(ch)
        if starts_with_bom or not _printable(cp) or ch in _BREAKS or ch in '"\\':
            if cp in _ESCAPES:
                out.append("\\" + _ESCAPES[cp])
            elif cp <= 0xFF:
                out.append(f"\\x{cp:02X}")
            elif cp <= 0xFFFF:
                out.append(f"\\u{cp:04X}")
            else:
                out.append(f"\\U{cp:08X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _single_quoted(text: str, indent: int) -> str:
    """libyaml's single-quoted writer: a line break inside is followed by indentation."""
    out = ["'"]
    after_break = False
    for ch in text:
        if ch in _BREAKS:
            if not after_break and ch == "\n":
                out.append("\n")  # a literal newline in single quotes is written doubled
            out.append(ch)
            after_break = True
        else:
            if after_break:
                out.append(" " * indent)
            out.append("''" if ch == "'" else ch)
            after_break = False
    out.append("'")
    return "".join(out)


def _literal(text: str, indent: int) -> list[str]:
    """A literal block scalar: the header, then content lines indented by ``indent``.

    Like libyaml, every line break character ends a line (LS/PS are written as themselves).
    """
    header = "|"
    if text[:1] == " " or text[:1] in _BREAKS:
        header += str(_INDENT)
    if text[-1:] not in _BREAKS:
        header += "-"
    elif len(text) == 1 or text[-2] in _BREAKS:
        header += "+"
    out = [header, "\n"]
    at_line_start = True
    for ch in text:
        if ch in _BREAKS:
            out.append(ch)
            at_line_start = True
        else:
            if at_line_start:
                out.append(" " * indent)
            out.append(ch)
            at_line_start = False
    block = "".join(out)
    if text[-1] in "\u2028\u2029":
        # libyaml counts these as line breaks, so the next line follows without a "\n".
        return (block + _NO_NEWLINE).split("\n")
    # The writer ends every line itself; drop the final line break the text supplied.
    return (block[:-1] if block.endswith("\n") else block).split("\n")


def _string(text: str, *, flow: bool, key: bool, indent: int) -> list[str]:
    if "\n" in text:
        style = "double" if flow else "literal"
    elif _plain_is_string(text):
        style = "plain"
    else:
        style = "double"
    analysis = _Analysis(text)
    plain_allowed = analysis.flow_plain if flow else analysis.block_plain
    if style == "plain" and (not plain_allowed or (not text and (flow or key))):
        style = "single"
    if style == "single" and not analysis.single_quoted:
        style = "double"
    if style == "literal" and (not analysis.block or flow or key):
        style = "double"
    if style == "plain":
        return [text]
    if style == "single":
        return _single_quoted(text, indent).split("\n")
    if style == "double":
        return [_double_quoted(text)]
    return _literal(text, indent)


def _scalar(value: Any, *, flow: bool, key: bool, indent: int, json_numbers: bool) -> list[str]:
    if value is None:
        return ["null"]
    if value is True:
        return ["true"]
    if value is False:
        return ["false"]
    if isinstance(value, int):
        return [go_yaml_float(float(value)) if json_numbers else str(value)]
    if isinstance(value, float):
        return [go_yaml_float(value)]
    if isinstance(value, GoTime):
        return [str(value)]  # yaml.v3 writes a time.Time plain, in RFC 3339
    if isinstance(value, str):
        return _string(value, flow=flow, key=key, indent=indent)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


# -- map key order (yaml.v3 sorter.go keyList.Less, for string keys) -----------------------------


def _natural_less(a: str, b: str) -> bool:
    digits = False
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            digits = ca.isdecimal()
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            return al if digits else bl
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdecimal():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdecimal():
            an = an * 10 + (ord(a[ai]) - 48)
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdecimal():
            bn = bn * 10 + (ord(b[bi]) - 48)
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


def _sorted_keys(mapping: dict[str, Any]) -> list[str]:
    def compare(a: str, b: str) -> int:
        return -1 if _natural_less(a, b) else (1 if _natural_less(b, a) else 0)

    return sorted(mapping, key=functools.cmp_to_key(compare))


# -- collections ----------------------------------------------------------------------------------


class _Writer:
    def __init__(self, json_numbers: bool) -> None:
        self.json_numbers = json_numbers

    def pairs(self, value: Any) -> list[tuple[str, Any]] | None:
        if isinstance(value, GoStruct):
            return list(value)
        if isinstance(value, dict):
            return [(k, value[k]) for k in _sorted_keys(value)]
        return None

    def is_block(self, value: Any) -> bool:
        """Non-empty mappings and non-flow sequences start on their own line."""
        if isinstance(value, FlowList):
            return False
        return isinstance(value, (GoStruct, dict, list, tuple)) and len(value) > 0

    def flow(self, value: Any, indent: int) -> str:
        """A flow collection or a scalar inside one; ``indent`` is the collection's indentation."""
        pairs = self.pairs(value)
        if pairs is not None:
            inner = ", ".join(f"{self.flow(k, indent)}: {self.flow(v, indent + _INDENT)}" for k, v in pairs)
            return "{" + inner + "}"
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(self.flow(item, indent + _INDENT) for item in value) + "]"
        lines = _scalar(value, flow=True, key=False, indent=indent, json_numbers=self.json_numbers)
        return "\n".join(lines)

    def inline(self, value: Any, indent: int) -> list[str]:
        """A value that follows ``key:`` or ``- `` on the same line."""
        if isinstance(value, (GoStruct, dict, list, tuple)):
            return self.flow(value, indent).split("\n")
        return _scalar(value, flow=False, key=False, indent=indent, json_numbers=self.json_numbers)

    def mapping(self, pairs: list[tuple[str, Any]], indent: int) -> list[str]:
        lines: list[str] = []
        pad = " " * indent
        for key, value in pairs:
            if any(ch in _BREAKS for ch in key) or len(key.encode("utf-8", "surrogateescape")) > 128:
                # Not a simple key for libyaml: "? key" on its own line(s), then ": value".
                first, *rest = _scalar(
                    key, flow=False, key=False, indent=indent + _INDENT, json_numbers=False
                )
                lines += [f"{pad}? {first}", *rest]
                lines += self.item(":", value, indent)
                continue
            head = pad + _scalar(key, flow=False, key=True, indent=indent, json_numbers=False)[0] + ":"
            lines += self.after(head, value, indent)
        return lines

    def after(self, head: str, value: Any, indent: int) -> list[str]:
        if self.is_block(value):
            return [head, *self.block(value, indent + _INDENT)]
        first, *rest = self.inline(value, indent + _INDENT)
        return [f"{head} {first}", *rest]

    def block(self, value: Any, indent: int) -> list[str]:
        pairs = self.pairs(value)
        if pairs is not None:
            return self.mapping(pairs, indent)
        lines: list[str] = []
        for item in value:
            lines += self.item("-", item, indent)
        return lines

    def item(self, indicator: str, value: Any, indent: int) -> list[str]:
        """``- value`` in a sequence, or ``: value`` after a complex key: a block value starts on the
        indicator's line."""
        pad = " " * indent
        if self.is_block(value):
            nested = self.block(value, indent + _INDENT)
            return [f"{pad}{indicator} {nested[0][indent + _INDENT :]}", *nested[1:]]
        first, *rest = self.inline(value, indent + _INDENT)
        return [f"{pad}{indicator} {first}", *rest]


def go_yaml_dumps(document: GoStruct | dict[str, Any], *, json_numbers: bool = False) -> str:
    """yaml.v3 ``Encoder`` output (indent 2) for one mapping document.

    ``json_numbers`` formats ints as the float64 they become after a JSON round trip (kit prints a
    ModelKit's config that way: 1000000 → 1e+06).
    """
    writer = _Writer(json_numbers)
    pairs = writer.pairs(document)
    assert pairs is not None
    if not pairs:
        return "{}\n"
    lines = writer.mapping(pairs, 0)
    return "".join(line[:-1] if line.endswith(_NO_NEWLINE) else line + "\n" for line in lines)
