"""ModelKit references parsed exactly like kit v1.7.0 (``pkg/lib/repo/util/reference.go``;
docs/kit-format.md, "References").

``mymodel:v1`` → ``localhost/mymodel``; ``org/repo`` → ``localhost/org/repo``; the first ``/`` segment is a
registry only if it contains ``.`` or ``:``. ``,`` separates extra tags (``repo:t1,t2``). A bare
``sha256:<hex>`` means repository ``localhost/_``. No tag is *not* defaulted to ``latest`` (v1.7.0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from kitlab.errors import InvalidInput

DEFAULT_REGISTRY = "localhost"
DEFAULT_REPOSITORY = "_"

# oras-go v2 registry/reference.go
_REPOSITORY_RE = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*)*$"
)
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$", re.ASCII)
_TAG_HINT = "(letters, digits, '_', '.', '-'; at most 128, not starting with '.' or '-')"
# Go's url.ParseRequestURI("dummy://"+registry).Host must equal the registry: host[:port], no userinfo/path.
_REGISTRY_RE = re.compile(r"^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]*)?$")
# go-digest: algorithm-specific hex lengths for the algorithms registered in kit.
_DIGEST_HEX_LEN = {"sha256": 64, "sha384": 96, "sha512": 128}
_DIGEST_RE = re.compile(r"^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-f0-9]+)$")
# kit's unanchored startEndAlphanumeric check: it only demands one lower-case letter or digit somewhere.
_HAS_ALNUM_RE = re.compile(r"[a-z0-9]")


def is_digest(value: str) -> bool:
    """True if ``value`` is a digest go-digest accepts (``sha256:<64 lower-case hex>`` etc.)."""
    m = _DIGEST_RE.match(value)
    return m is not None and _DIGEST_HEX_LEN.get(m.group(1)) == len(m.group(2))


@dataclass(frozen=True)
class Reference:
    """A parsed reference. ``tag`` and ``digest`` are exclusive; both empty means "no reference"."""

    registry: str
    repository: str
    tag: str = ""
    digest: str = ""
    extra_tags: tuple[str, ...] = ()

    @property
    def repo_key(self) -> str:
        """``registry/repository``: the name kit's per-repo index files are keyed by."""
        return f"{self.registry}/{self.repository}"

    @property
    def reference(self) -> str:
        """oras' ``Reference`` field: the digest if any, else the tag (possibly empty)."""
        return self.digest or self.tag

    @property
    def tags(self) -> list[str]:
        """The main tag (if any) followed by the extra tags, as ``kit pack -t`` applies them."""
        return ([self.tag] if self.tag else []) + list(self.extra_tags)

    def with_reference(self, tag: str = "", digest: str = "") -> Reference:
        return replace(self, tag=tag, digest=digest, extra_tags=())

    def __str__(self) -> str:
        # oras Reference.String()
        base = self.repo_key
        if self.digest:
            return f"{base}@{self.digest}"
        if self.tag:
            return f"{base}:{self.tag}"
        return base

    def display(self) -> str:
        """How kit shows this reference to users (``FormatRepositoryForDisplay`` of ``str(self)``)."""
        return format_repository_for_display(str(self))


def format_repository_for_display(repo: str) -> str:
    """Strip kit's defaults: ``localhost/`` prefix, then ``_`` (untagged repo), then a leading ``@``."""
    repo = repo.removeprefix(DEFAULT_REGISTRY + "/")
    repo = repo.removeprefix(DEFAULT_REPOSITORY)
    return repo.removeprefix("@")


def parse_reference(s: str) -> Reference:
    """Parse ``s`` like kit's ``ParseReference``; raise ``InvalidInput`` with kit-like messages."""
    if is_digest(s):
        return Reference(DEFAULT_REGISTRY, DEFAULT_REPOSITORY, digest=s)

    first, *extra = s.split(",")
    registry = DEFAULT_REGISTRY
    rest = first
    head, sep, tail = first.partition("/")
    if sep and (":" in head or "." in head):
        registry, rest = head, tail

    tag = digest = ""
    has_tag = has_digest = False
    if "@" in rest:
        has_digest = True
        repo, _, digest = rest.partition("@")
        repo = repo.partition(":")[0]  # kit drops a tag given together with a digest
    elif ":" in rest:
        has_tag = True
        repo, _, tag = rest.partition(":")
    else:
        repo = rest

    if repo.lower() != repo:
        raise InvalidInput(f"repository ({repo}) name must be lowercase", details={"reference": s})
    if not _HAS_ALNUM_RE.search(repo):
        raise InvalidInput(
            f"repository ({repo}) must start and end with a letter or number", details={"reference": s}
        )
    if not _REGISTRY_RE.match(registry):
        raise InvalidInput(f"invalid reference: invalid registry {registry!r}", details={"reference": s})
    if not _REPOSITORY_RE.match(repo):
        raise InvalidInput(
            f"invalid reference: invalid repository {repo!r} (lower-case letters, digits and separators "
            "'.', '_', '__', '-', '/' between them)",
            details={"reference": s},
        )
    if has_tag and not _TAG_RE.match(tag):
        raise InvalidInput(f"invalid reference: invalid tag {tag!r} {_TAG_HINT}", details={"reference": s})
    if has_digest and not is_digest(digest):
        raise InvalidInput(f"invalid reference: invalid digest {digest!r}", details={"reference": s})
    return Reference(registry, repo, tag=tag, digest=digest, extra_tags=tuple(extra))


def validate_tag(tag: str) -> None:
    """Raise ``InvalidInput`` unless ``tag`` is a valid OCI tag. kit does not check the extra
    (``,``-separated) tags of ``pack -t``; kitlab does, so it never writes a tag nobody can resolve."""
    if not _TAG_RE.match(tag):
        raise InvalidInput(
            f"invalid tag {tag!r} {_TAG_HINT}",
            details={"tag": tag},
        )


def is_modelkit_reference(path: str) -> bool:
    """kit's ``IsModelKitReference``: contains ``:`` or ``@`` and parses as a reference."""
    if ":" not in path and "@" not in path:
        return False
    try:
        parse_reference(path)
    except InvalidInput:
        return False
    return True
