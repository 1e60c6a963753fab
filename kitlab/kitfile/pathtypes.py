"""What kind of thing a Kitfile ``path`` names: a local path, a ModelKit reference or a URL.

Mirrors kit's ``IsModelKitReference``/``ParseReference`` and ``GetPathType`` (newer
``pkg/artifact/util.go`` and ``kitfile.go``): a path is a ModelKit reference iff it contains ``:`` or
``@`` and parses as one, so ``data/x:v1`` counts as a reference, exactly as kit sees it. This module
only classifies; resolving references is ``kitlab.modelkit``'s job.
"""

from __future__ import annotations

import re
from enum import Enum

__all__ = ["PathType", "is_modelkit_reference", "path_type"]

_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_REPOSITORY = re.compile(
    r"[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*)*"
)
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# oras checks the registry by parsing "dummy://<registry>" as a URL and comparing the host.
_REGISTRY = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=%-]*|\[[0-9A-Fa-f:.]+\])(?::[0-9]*)?")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


class PathType(Enum):
    LOCAL = "local"
    MODELKIT = "modelkit"
    S3 = "s3"
    HTTP = "http"
    OTHER_URL = "url"


def _is_digest(text: str) -> bool:
    algorithm, _, encoded = text.partition(":")
    length = _DIGEST_LENGTHS.get(algorithm)
    return length is not None and len(encoded) == length and re.fullmatch(r"[a-f0-9]+", encoded) is not None


def is_modelkit_reference(text: str) -> bool:
    """kit's ``IsModelKitReference``."""
    if ":" not in text and "@" not in text:
        return False
    if _is_digest(text):
        return True
    unprocessed = text.split(",")[0]
    registry = "localhost"
    first, slash, rest = unprocessed.partition("/")
    if slash and (":" in first or "." in first):
        registry, unprocessed = first, rest
    tag = digest = None
    if "@" in unprocessed:
        repository, _, digest = unprocessed.partition("@")
        repository = repository.split(":")[0]
    elif ":" in unprocessed:
        repository, _, tag = unprocessed.partition(":")
    else:
        repository = unprocessed
    if repository.lower() != repository or not re.search(r"[a-z0-9]", repository):
        return False
    if not _REGISTRY.fullmatch(registry) or not _REPOSITORY.fullmatch(repository):
        return False
    if tag is not None:
        return _TAG.fullmatch(tag) is not None
    if digest is not None:
        return _is_digest(digest)
    return True


def path_type(text: str) -> PathType:
    """kit's ``GetPathType``: references first, then anything with a URL scheme or host."""
    if is_modelkit_reference(text):
        return PathType.MODELKIT
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match else ""
    after = text[match.end() :] if match else text
    has_host = after.startswith("//") and len(after) > 2 and after[2] != "/"
    if not scheme and not has_host:
        return PathType.LOCAL
    if scheme == "s3":
        return PathType.S3
    if scheme in ("http", "https"):
        return PathType.HTTP
    return PathType.OTHER_URL
