"""JSON from the local store or a registry, parsed within size and nesting limits.

A manifest or config nested a few thousand levels deep made ``json.loads`` raise ``RecursionError``,
which took down ``kitlab list`` and ``GET /kitlab/kits`` for the whole store (issue 14). The nesting
is measured by a linear scan before parsing, so such a document is a clear ``InvalidInput`` about
that one document, in milliseconds (docs/hardening.md).
"""

from __future__ import annotations

import json
import re
from typing import Any

from kitlab.errors import InvalidInput

# A manifest or an index nests ~4 levels; a Kitfile config as deep as the Kitfile it came from (the
# YAML parser's limit, yamlnodes.MAX_DEPTH = 100) plus its own few levels.
MAX_JSON_DEPTH = 128

# Strings hide brackets from the depth count; everything else that is not a bracket is skipped.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def json_depth_exceeds(data: bytes, max_depth: int) -> bool:
    """Whether ``data`` opens more than ``max_depth`` arrays/objects inside each other."""
    depth = 0
    for match in _TOKENS.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def loads_bounded(
    data: bytes | str, *, what: str, max_bytes: int, max_depth: int = MAX_JSON_DEPTH, **kw: Any
) -> Any:
    """``json.loads`` for ``what`` (named in errors) after checking its size and nesting; every
    failure is an ``InvalidInput`` that never quotes the document."""
    raw = data.encode("utf-8", errors="surrogatepass") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise InvalidInput(f"{what} is {len(raw):,} bytes; at most {max_bytes:,} are read")
    if json_depth_exceeds(raw, max_depth):
        raise InvalidInput(f"{what} nests deeper than {max_depth} levels; refusing to parse it")
    try:
        return json.loads(raw, **kw)
    except RecursionError:  # pragma: no cover - the depth check above comes first
        raise InvalidInput(f"{what} nests too deeply to parse") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"failed to parse {what}: not UTF-8 (byte {exc.start})") from None
    except ValueError as exc:  # JSONDecodeError's message names a line and column, never the text
        raise InvalidInput(f"failed to parse {what}: {exc}") from None
