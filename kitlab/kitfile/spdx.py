"""Checking license fields against SPDX identifiers and expressions.

kit stores licenses as free text, but its docs ask for SPDX identifiers and newer kit copies them into
ModelPack configs, where tools expect SPDX. We therefore only *warn*. Accepted: ids from the SPDX
License List (shipped in ``data/``), ``LicenseRef-…`` / ``DocumentRef-…:LicenseRef-…``, ``id+``, and
expressions with ``AND``, ``OR``, ``WITH <exception>`` and parentheses, plus ``NONE``/``NOASSERTION``.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

__all__ = ["check_license", "license_ids"]

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
_LICENSE_REF = re.compile(r"(DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+")


def _read_ids(name: str) -> tuple[dict[str, str], set[str]]:
    """(lower-case id → canonical id, deprecated ids)."""
    text = resources.files("kitlab.kitfile").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    ids: dict[str, str] = {}
    deprecated: set[str] = set()
    in_deprecated = False
    for line in text.splitlines():
        if line.startswith("#"):
            in_deprecated = in_deprecated or line.strip() == "# deprecated"
            continue
        if line:
            ids[line.lower()] = line
            if in_deprecated:
                deprecated.add(line)
    return ids, deprecated


def license_ids() -> list[str]:
    """The SPDX License List's current (not deprecated) ids, sorted case-insensitively: what the form
    offers as you type a license."""
    ids, deprecated = _licenses()
    return sorted((i for i in ids.values() if i not in deprecated), key=str.lower)


@cache
def _licenses() -> tuple[dict[str, str], set[str]]:
    return _read_ids("spdx-licenses.txt")


@cache
def _exceptions() -> dict[str, str]:
    return _read_ids("spdx-exceptions.txt")[0]


class _Parser:
    """Recursive descent over: or := and (OR and)* ; and := with (AND with)* ; with := atom (WITH exc)?"""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.notes: list[str] = []

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ValueError("the expression ends too early")
        self.pos += 1
        return token

    def expression(self) -> None:
        self.conjunction()
        while self.peek() == "OR":
            self.take()
            self.conjunction()

    def conjunction(self) -> None:
        self.with_exception()
        while self.peek() == "AND":
            self.take()
            self.with_exception()

    def with_exception(self) -> None:
        self.atom()
        if self.peek() == "WITH":
            self.take()
            exception = self.take()
            canonical = _exceptions().get(exception.lower())
            if canonical is None:
                raise ValueError(f"{exception!r} is not an SPDX license exception")
            if canonical != exception:
                self.notes.append(f"write {exception!r} as {canonical!r}")

    def atom(self) -> None:
        token = self.take()
        if token == "(":
            self.expression()
            if self.take() != ")":
                raise ValueError("missing ')'")
            return
        if token in ("AND", "OR", "WITH", ")"):
            raise ValueError(f"unexpected {token!r}")
        if token.lower() in ("and", "or", "with"):
            raise ValueError(f"operators must be upper case ({token.upper()})")
        if _LICENSE_REF.fullmatch(token):
            return
        base = token[:-1] if token.endswith("+") else token
        ids, deprecated = _licenses()
        canonical = ids.get(base.lower())
        if canonical is None:
            raise ValueError(_not_an_id(base))
        if canonical != base:
            self.notes.append(f"write {base!r} as {canonical!r}")
        if canonical in deprecated:
            self.notes.append(f"{canonical!r} is a deprecated SPDX identifier")


def _not_an_id(text: str) -> str:
    """Why ``text`` is not a license id: a near id when there is one ("Apache 2" → Apache-2.0),
    else how to name a license SPDX does not list."""
    near = _near_ids().get(_loose(text))
    if near is not None:
        return f"{text!r} is not an SPDX license identifier; did you mean {near!r}?"
    return f"{text!r} is not an SPDX license identifier (use LicenseRef-{_ref_name(text)} for others)"


def _loose(text: str) -> str:
    """A license name as people write it, reduced to compare: case, the words "license" and
    "version", a "v" before a version, ".0" versions and punctuation do not count, so "Apache License
    2.0", "apache-2" and "Apache 2" all read "apache2", as does Apache-2.0."""
    text = text.lower()
    text = re.sub(r"\b(licen[cs]e|version)\b", " ", text)
    text = re.sub(r"\bv(?=\d)", "", text)
    text = re.sub(r"(\d)\.0\b", r"\1", text)
    return re.sub(r"[^a-z0-9]+", "", text)


@cache
def _near_ids() -> dict[str, str]:
    """Loose form → current SPDX id, for the ids no other current id shares a loose form with."""
    ids, deprecated = _licenses()
    near: dict[str, str] = {}
    shared: set[str] = set()
    for canonical in ids.values():
        if canonical in deprecated:
            continue
        key = _loose(canonical)
        if key in near:
            shared.add(key)
        near[key] = canonical
    return {key: canonical for key, canonical in near.items() if key not in shared}


def _ref_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-") or "custom"


def check_license(expression: str) -> str | None:
    """None if ``expression`` is a valid SPDX license expression, else a short explanation."""
    text = expression.strip()
    if text in ("NONE", "NOASSERTION"):
        return None
    if not text:
        return "the license is blank"
    tokens = _TOKEN.findall(text)
    parser = _Parser(tokens)
    try:
        parser.expression()
        if parser.peek() is not None:
            raise ValueError(f"unexpected {parser.peek()!r}")
    except ValueError as exc:
        # A license written the way people say it ("Apache 2", "BSD 3 clause") is one name, not an
        # expression of several: suggest the id it means.
        if len(tokens) > 1 and _loose(text) in _near_ids():
            return _not_an_id(text)
        return str(exc)
    return "; ".join(parser.notes) or None
