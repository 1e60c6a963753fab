""".kitignore semantics, identical to kit's: moby ``ignorefile.ReadAll`` + ``patternmatcher`` (v0.6.0).

kit reads ``<context>/.kitignore`` with Docker's ``.dockerignore`` rules, appends ``Kitfile``,
``kitfile``, ``.kitfile`` and ``.kitignore`` (root-only patterns), and asks
``MatchesOrParentMatches`` about every walked path: a path is ignored when it or any parent directory
matches, ``!`` patterns re-include, and later patterns win.

patternmatcher turns each pattern into a Go regular expression; this module builds the same Go regex
text and translates the few RE2 constructs that can appear in it into Python ``re`` syntax, so that
odd patterns (brackets containing ``*``, raw ``^``) behave as in kit too.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kitlab.errors import InvalidInput, PathOutsideRoot
from kitlab.kitfile import go_clean
from kitlab.kitfile.files import read_workspace_file

IGNORE_FILE_NAME = ".kitignore"
KITFILE_NAMES = ("Kitfile", "kitfile", ".kitfile")
ALWAYS_IGNORED = (*KITFILE_NAMES, IGNORE_FILE_NAME)
MAX_KITIGNORE_BYTES = 1 << 20  # a few thousand patterns; more is not an ignore file (docs/hardening.md)

# Go's unicode.IsSpace (used by strings.TrimSpace); Python's str.strip() also strips \x1c-\x1f.
GO_WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_UTF8_BOM = b"\xef\xbb\xbf"


def go_trim_space(text: str) -> str:
    return text.strip(GO_WHITESPACE)


def go_dir(path: str) -> str:
    """Go's ``filepath.Dir``."""
    return go_clean(path[: path.rfind("/") + 1])


def read_ignore_lines(data: bytes) -> list[str]:
    """moby ``ignorefile.ReadAll``: the cleaned pattern list from the raw bytes of an ignore file."""
    return [pattern for _, pattern in read_numbered_ignore_lines(data)]


def read_numbered_ignore_lines(data: bytes) -> list[tuple[int, str]]:
    """``read_ignore_lines`` with each pattern's line number, so errors can say where a pattern is
    without quoting the file (docs/hardening.md)."""
    patterns: list[tuple[int, str]] = []
    text = data.removeprefix(_UTF8_BOM)
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # bufio.ScanLines does not yield an empty final token
    for number, raw in enumerate(lines, 1):
        line = os.fsdecode(raw.removesuffix(b"\r"))
        if line.startswith("#"):
            continue  # comments are recognised before trimming, as in moby
        pattern = go_trim_space(line)
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = go_trim_space(pattern[1:])
        if pattern:
            pattern = go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append((number, "!" + pattern if invert else pattern))
    return patterns


@dataclass(frozen=True)
class _Pattern:
    text: str  # the cleaned pattern, without "!"
    exclusion: bool
    kind: str  # "exact" | "prefix" | "suffix" | "regex"
    regex: re.Pattern[str] | None

    def match(self, path: str) -> bool:
        if self.kind == "exact":
            return path == self.text
        if self.kind == "prefix":
            return path.startswith(self.text[:-2])
        if self.kind == "suffix":
            suffix = self.text[2:]
            return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])
        assert self.regex is not None
        return self.regex.search(path) is not None


# Paths whose answer ``KitIgnore.matches`` keeps (a few MB at most).
MAX_REMEMBERED_ANSWERS = 4096


class KitIgnore:
    """The ignore-file half of kit's ``ignore.Paths`` (layer cross-exclusion lives in ``layers``)."""

    def __init__(self, patterns: Sequence[str], lines: Sequence[int] = ()) -> None:
        """``patterns`` as ``ReadAll`` returns them; the always-ignored Kitfile names are appended.

        ``lines`` (each pattern's line in the file) lets an error name where a bad pattern is; the
        pattern itself is never quoted, as the file may not be what its name says.
        """
        self.patterns: tuple[str, ...] = (*patterns, *ALWAYS_IGNORED)
        self._compiled = tuple(_compile_all(self.patterns, lines))
        self.has_exclusions = any(p.exclusion for p in self._compiled)
        # Answers for recent paths: a walk asks again for each layer's path and the folders above it
        # (a 20,000-entry Kitfile asked for "src" 20,000 times). Cleared when full, so it stays small.
        self._answers: dict[str, bool] = {}

    @classmethod
    def from_context(cls, context_dir: Path) -> KitIgnore:
        try:
            # Never through a symlink: its target may be a secret outside the workspace (issue 14).
            data = read_workspace_file(Path(context_dir) / IGNORE_FILE_NAME, max_bytes=MAX_KITIGNORE_BYTES)
        except FileNotFoundError:
            data = b""
        except PathOutsideRoot as err:  # a symlink: a problem the form shows next to the others
            raise InvalidInput(err.message) from None
        except OSError as err:
            raise InvalidInput(f"cannot read {IGNORE_FILE_NAME}: {err.strerror}") from err
        return cls._numbered(data)

    @classmethod
    def from_text(cls, text: str) -> KitIgnore:
        return cls._numbered(os.fsencode(text))

    @classmethod
    def _numbered(cls, data: bytes) -> KitIgnore:
        numbered = read_numbered_ignore_lines(data)
        return cls([pattern for _, pattern in numbered], [number for number, _ in numbered])

    def matches(self, relpath: str) -> bool:
        """Whether kit ignores ``relpath`` (context-relative, '/'-separated) by the ignore file.

        Like kit, the path is trimmed and cleaned first, then it or any of its parents must match.
        """
        answer = self._answers.get(relpath)
        if answer is None:
            if len(self._answers) >= MAX_REMEMBERED_ANSWERS:
                self._answers.clear()
            answer = self._answers[relpath] = self._matches(relpath)
        return answer

    def _matches(self, relpath: str) -> bool:
        path = go_clean(go_trim_space(relpath))
        parent = go_dir(path)
        parents = parent.split("/")
        matched = False
        for pattern in self._compiled:
            if pattern.exclusion != matched:
                continue  # only an exclusion can flip a match, only an inclusion can create one
            hit = pattern.match(path)
            if not hit and parent != ".":
                hit = any(pattern.match("/".join(parents[: i + 1])) for i in range(len(parents)))
            if hit:
                matched = not pattern.exclusion
        return matched


def _compile_all(patterns: Iterable[str], lines: Sequence[int] = ()) -> Iterable[_Pattern]:
    """patternmatcher.New followed by each pattern's compile (kit compiles lazily; we fail early).

    A bad pattern is named by its line (or its position), never quoted (docs/hardening.md)."""
    for index, raw in enumerate(patterns):
        where = f"line {lines[index]}" if index < len(lines) else f"pattern {index + 1}"
        try:
            compiled = _compile_one(raw)
        except InvalidInput as err:
            raise InvalidInput(f"invalid {IGNORE_FILE_NAME} file: {err.message} ({where})") from None
        if compiled is not None:
            yield compiled


def _compile_one(raw: str) -> _Pattern | None:
    """One pattern compiled; None for a blank one. Errors say what is wrong, not the pattern."""
    text = go_trim_space(raw)
    if not text:
        return None
    text = go_clean(text)
    exclusion = text.startswith("!")
    if exclusion:
        if len(text) == 1:
            raise InvalidInput('illegal exclusion pattern: "!"')
        text = text[1:]
    if not _valid_glob(text):
        raise InvalidInput("syntax error in pattern")
    kind, go_regex = _go_regex(text)
    regex = _python_regex(go_regex, text) if kind == "regex" else None
    return _Pattern(text, exclusion, kind, regex)


def _go_regex(pattern: str) -> tuple[str, str]:
    """patternmatcher's ``Pattern.compile`` with '/' as separator: (match kind, Go regex text)."""
    regex = "^"
    kind = "exact"
    i = 0
    pos = 0
    n = len(pattern)
    while pos < n:
        ch = pattern[pos]
        pos += 1
        if ch == "*":
            if pos < n and pattern[pos] == "*":
                pos += 1
                if pos < n and pattern[pos] == "/":
                    pos += 1  # treat "**/" as "**"
                if pos >= n:
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        regex += ".*"
                        kind = "regex"
                else:
                    regex += "(.*/)?"
                    kind = "regex"
                if i == 0:
                    kind = "suffix"
            else:
                regex += "[^/]*"
                kind = "regex"
        elif ch == "?":
            regex += "[^/]"
            kind = "regex"
        elif ch in ".+()$":
            # moby means to escape ".+()|{}$" too, but its bitmap overflows for bytes >= 64, so '|', '{'
            # and '}' reach the regex raw ("a|*" matches every path in kit).
            regex += "\\" + ch
        elif ch == "\\":
            if pos < n:
                regex += "\\" + pattern[pos]
                pos += 1
                kind = "regex"
            else:
                regex += "\\"
        elif ch in "[]":
            regex += ch
            kind = "regex"
        else:
            regex += ch
        i += 1
    return kind, regex + "$"


_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_GO_SPACE_CLASS = "\\t\\n\\f\\r "
_RE2_REPEAT = re.compile(r"\{[0-9]+(?:,[0-9]*)?\}")


def _python_regex(go_regex: str, pattern: str) -> re.Pattern[str]:
    """Translate the RE2 text patternmatcher builds into an equivalent Python regex."""
    out: list[str] = []
    i = 0
    n = len(go_regex)
    in_class = False
    while i < n:
        ch = go_regex[i]
        if ch == "\\":
            if i + 1 >= n:
                raise _bad(pattern)
            out.append(_escape(go_regex[i + 1], in_class, pattern))
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
                out.append("]")
            elif go_regex.startswith("[:", i) and go_regex.find(":]", i + 2) >= 0:
                end = go_regex.find(":]", i + 2)
                chars = _POSIX_CLASSES.get(go_regex[i + 2 : end])
                if chars is None:
                    raise _bad(pattern)  # RE2 rejects unknown names; we also refuse negated ones
                out.append(chars)
                i = end + 2
                continue
            elif ch in "[&~|":
                out.append("\\" + ch)  # literal in RE2 classes; Python would warn about set operations
            else:
                out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            out.append("[")
            i += 1
            if i < n and go_regex[i] == "^":
                out.append("^")
                i += 1
            if i < n and go_regex[i] == "]":
                out.append("\\]")  # a leading ']' is a literal in RE2 classes
                i += 1
            continue
        if ch == "$":
            out.append("\\Z")  # RE2 '$' without (?m) never matches before a final newline
        elif ch == "{":
            repeat = _RE2_REPEAT.match(go_regex, i)
            if repeat:
                out.append(repeat.group())
                i = repeat.end()
                continue
            out.append("\\{")  # RE2 reads a '{' that starts no repeat as a literal; Python may not
        elif ch == "}":
            out.append("\\}")
        else:
            out.append(ch)
        i += 1
    if in_class:
        raise _bad(pattern)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return re.compile("".join(out), re.ASCII)
    except re.error as err:
        raise _bad(pattern) from err


def _escape(ch: str, in_class: bool, pattern: str) -> str:
    """One RE2 escape sequence ``\\ch`` as Python regex text."""
    if ch.isascii() and not ch.isalnum():
        return "\\" + ch
    if ch in "afnrtv":
        return "\\" + ch
    if ch in "dDwW":
        return "\\" + ch  # compiled with re.ASCII, like RE2's Perl classes
    if ch == "s":
        return _GO_SPACE_CLASS if in_class else f"[{_GO_SPACE_CLASS}]"
    if not in_class:
        if ch == "S":
            return f"[^{_GO_SPACE_CLASS}]"
        if ch in "bBA":
            return "\\" + ch
        if ch == "z":
            return "\\Z"
    # RE2 also knows \pN, \x41, octal and \Q…\E; nobody writes those in an ignore file, so refuse.
    raise _bad(pattern)


def _bad(pattern: str) -> InvalidInput:
    return InvalidInput("unsupported pattern")


def _valid_glob(pattern: str) -> bool:
    """Whether Go's ``filepath.Match`` accepts ``pattern`` (patternmatcher.New's syntax check)."""
    rest = pattern
    while rest:
        rest = rest.lstrip("*")
        chunk, rest = _scan_chunk(rest)
        if not _valid_chunk(chunk):
            return False
    return True


def _scan_chunk(pattern: str) -> tuple[str, str]:
    in_range = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if i + 1 < len(pattern):
                i += 1
        elif ch == "[":
            in_range = True
        elif ch == "]":
            in_range = False
        elif ch == "*" and not in_range:
            return pattern[:i], pattern[i:]
        i += 1
    return pattern, ""


def _valid_chunk(chunk: str) -> bool:
    i = 0
    n = len(chunk)
    while i < n:
        ch = chunk[i]
        if ch == "[":
            i += 1
            if i < n and chunk[i] == "^":
                i += 1
            ranges = 0
            while True:
                if i < n and chunk[i] == "]" and ranges > 0:
                    i += 1
                    break
                i = _class_char_end(chunk, i)
                if i < 0:
                    return False
                if chunk[i] == "-":
                    i = _class_char_end(chunk, i + 1)
                    if i < 0:
                        return False
                ranges += 1
        elif ch == "\\":
            if i + 1 >= n:
                return False
            i += 2
        else:
            i += 1
    return True


def _class_char_end(chunk: str, i: int) -> int:
    """Go's ``getEsc``: index after one class character, or -1 for a syntax error."""
    n = len(chunk)
    if i >= n or chunk[i] in "-]":
        return -1
    if chunk[i] == "\\":
        i += 1
        if i >= n:
            return -1
    if "\udc80" <= chunk[i] <= "\udcff":
        return -1  # an undecodable byte: Go's DecodeRune yields RuneError of width 1
    i += 1
    return i if i < n else -1
