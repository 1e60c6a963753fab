"""The one secret detector: which files look like secrets, and what kind (never the secret's text).

It lives in the engine because every pack path needs it (validate, plan, pack, pack and push, from the
CLI and the server): ``find_layer_secrets`` runs it over exactly the files the layers would carry, and
``pack``/``pack_and_push`` stop before anything is written or sent unless the caller allows secrets;
``find_kit_secrets`` looks into a stored kit's layers before a push. The scanner
(``kitlab.scan.hygiene_report``) uses the same functions over a whole workspace.

A finding names a file and the kinds of secret it holds, one finding per file (a ``.env`` holding two
tokens is one finding, not three); nothing here returns, logs or quotes the matched text.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import tarfile
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kitlab.errors import InvalidInput
from kitlab.modelkit.mediatypes import parse_layer_media_type

if TYPE_CHECKING:
    from kitlab.modelkit.layers import PackPlan
    from kitlab.modelkit.manifest import Manifest
    from kitlab.modelkit.store import LocalStore

SECRET_FILE_NAMES = {
    ".env": "dotenv file",
    ".netrc": "netrc credentials",
    ".pypirc": "PyPI credentials",
    ".npmrc": "npm credentials",
    "credentials": "cloud credentials file",
    "kaggle.json": "Kaggle API token",
    "id_rsa": "SSH private key",
    "id_dsa": "SSH private key",
    "id_ecdsa": "SSH private key",
    "id_ed25519": "SSH private key",
}
SECRET_PATTERNS = (
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("AWS secret access key", re.compile(r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}", re.I)),
    ("Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b")),
    ("OpenAI API key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}\b")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("private key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")),
    ("Slack token", re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}")),
    ("Azure storage key", re.compile(r"AccountKey=[A-Za-z0-9+/=]{40,}")),
    ("Weights & Biases API key", re.compile(r"WANDB_API_KEY\s*[=:]\s*['\"]?[0-9a-f]{40}")),
    ("registry auth", re.compile(r"\"auth\"\s*:\s*\"[A-Za-z0-9+/=]{16,}\"")),
)
TEXT_EXTS = {
    ".py",
    ".json",
    ".yaml",
    ".yml",
    ".toml",
    ".cfg",
    ".ini",
    ".sh",
    ".txt",
    ".md",
    ".env",
    ".conf",
    ".r",
    ".js",
    ".ts",
    "",
}
NOTEBOOK_EXT = ".ipynb"
SCAN_MAX_BYTES = 1_000_000  # the workspace scan reads this much of each text file
# On a pack path every byte of a text file or notebook that would be packed is read, up to this much
# (a notebook's outputs can be large, and a token in the last cell ships like one in the first).
LAYER_SCAN_MAX_BYTES = 64 * 1024 * 1024
_SNIFF_BYTES = 8192  # an extensionless file with a NUL byte in its first 8 KiB is binary (a model)


def secret_file_kind(name: str) -> str:
    """The kind of secret a file name says it is ("" when the name says nothing)."""
    if name in SECRET_FILE_NAMES:
        return SECRET_FILE_NAMES[name]
    if name.startswith(".env.") and not name.endswith((".example", ".sample", ".template")):
        return "dotenv file"
    if name.endswith((".pem", ".key", ".p12", ".pfx")):
        return "key or certificate file"
    return ""


# Every pattern starts with a fixed string; scanning runs a pattern only where its fixed string occurs
# (``str.find`` runs at memory speed, one combined regex at about 2 MB/s), so a pack of a large code
# layer or a notebook with megabytes of outputs is not slowed down by the check.
_ANCHORS: dict[str, tuple[str, ...]] = {
    "AWS access key id": ("AKIA", "ASIA"),
    "AWS secret access key": ("aws_secret_access_key",),  # matched case-insensitively
    "Hugging Face token": ("hf_",),
    "GitHub token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "OpenAI API key": ("sk-",),
    "Google API key": ("AIza",),
    "private key": ("-----BEGIN ",),
    "Slack token": ("xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"),
    "Azure storage key": ("AccountKey=",),
    "Weights & Biases API key": ("WANDB_API_KEY",),
    "registry auth": ('"auth"',),
}


# One regex of the case-sensitive fixed strings (an alternation of literals runs at about 150 MB/s; a
# case-insensitive branch in it would slow the whole search tenfold, so those are found separately).
_ANCHOR_KINDS = {
    anchor: kind
    for kind, pattern in SECRET_PATTERNS
    if not pattern.flags & re.IGNORECASE
    for anchor in _ANCHORS[kind]
}
_ANY_ANCHOR = re.compile("|".join(re.escape(anchor) for anchor in _ANCHOR_KINDS))
_FOLDED_ANCHORS = [
    (anchor.lower(), kind, pattern)
    for kind, pattern in SECRET_PATTERNS
    if pattern.flags & re.IGNORECASE
    for anchor in _ANCHORS[kind]
]
_PATTERNS = dict(SECRET_PATTERNS)


def _starts(text: str, anchor: str) -> Iterator[int]:
    at = text.find(anchor)
    while at >= 0:
        yield at
        at = text.find(anchor, at + 1)


def scan_text(text: str) -> list[tuple[str, int]]:
    """(kind, 1-based line) of every secret-looking match, in text order."""
    found: list[tuple[int, str]] = []
    for match in _ANY_ANCHOR.finditer(text):
        kind = _ANCHOR_KINDS[match.group()]
        if _PATTERNS[kind].match(text, match.start()):
            found.append((match.start(), kind))
    if _FOLDED_ANCHORS:
        folded = text.lower()
        for anchor, kind, pattern in _FOLDED_ANCHORS:
            # Lowering can change the length of non-ASCII text; offsets then come from a regex.
            starts: Iterable[int] = (
                _starts(folded, anchor)
                if len(folded) == len(text)
                else (m.start() for m in re.finditer(re.escape(anchor), text, re.IGNORECASE))
            )
            found += [(at, kind) for at in starts if pattern.match(text, at)]
    found.sort()
    return [(kind, text.count("\n", 0, at) + 1) for at, kind in found]


def one_per_file(hits: Iterable[dict[str, object]]) -> list[dict[str, object]]:
    """Merge hits into one finding per file: the first hit's place (line, cell) and ``kind``, and every
    kind found in ``kinds``. A ``.env`` holding two tokens is one secret, not three."""
    merged: dict[str, dict[str, object]] = {}
    kinds: dict[str, list[str]] = {}
    for hit in hits:
        path = str(hit["path"])
        if path not in merged:
            kinds[path] = []
            merged[path] = {**hit, "kinds": kinds[path]}
        if str(hit["kind"]) not in kinds[path]:
            kinds[path].append(str(hit["kind"]))
    return list(merged.values())


def finding_kinds(finding: dict[str, object]) -> list[str]:
    """Every kind of secret a merged finding holds."""
    kinds = finding.get("kinds")
    return [str(k) for k in kinds] if isinstance(kinds, list) else [str(finding["kind"])]


def scan_file(path: Path, rel: str, size: int) -> list[dict[str, object]]:
    """The workspace scan's view of one file: its first ``SCAN_MAX_BYTES`` (text files only) and its
    name, as one finding (``path``, ``kind``, ``kinds``, ``line`` when the content matched)."""
    name = os.path.basename(rel)
    hits: list[dict[str, object]] = []
    by_name = secret_file_kind(name)
    if by_name:
        hits.append({"path": rel, "kind": by_name})
    ext = os.path.splitext(name)[1].lower()
    if size > SCAN_MAX_BYTES or (ext not in TEXT_EXTS and not by_name):
        return one_per_file(hits)
    try:
        with open(path, "rb") as fh:
            text = fh.read(SCAN_MAX_BYTES).decode("utf-8", "replace")
    except OSError:
        return one_per_file(hits)
    hits += [{"path": rel, "kind": kind, "line": line} for kind, line in scan_text(text)]
    return one_per_file(hits)


def scan_source_texts(rel: str, texts: Iterable[tuple[int | None, str, str]]) -> list[dict[str, object]]:
    """Secrets in notebook cells and outputs, one finding per notebook (``cell`` and ``where`` say
    where the first one is)."""
    hits: list[dict[str, object]] = []
    for cell, where, text in texts:
        for kind, line in scan_text(text):
            hit: dict[str, object] = {"path": rel, "kind": kind, "line": line}
            if cell is not None:
                hit["cell"] = cell
                hit["where"] = where
            hits.append(hit)
    return one_per_file(hits)


# ---------------------------------------------------------------------------------- on a pack path
@dataclass(frozen=True)
class SecretFinding:
    """A file a layer would carry that looks like a secret: which file, which layer, what kinds."""

    path: str  # context-relative, as in the layer
    field: str  # the Kitfile field of the layer carrying it, e.g. "code[0].path"
    kinds: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.path} looks like a secret ({', '.join(self.kinds)})"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "field": self.field, "kinds": list(self.kinds)}


class SecretsInLayers(InvalidInput):
    """A pack or push would carry files that look like secrets; ``details`` lists them (never their
    contents) under ``details["secrets"]``, which is how a client tells this refusal from other bad
    input (the code stays ``invalid``, a 400). The caller may allow them explicitly (``allow_secrets``)."""

    def __init__(self, findings: list[SecretFinding], *, action: str = "packed") -> None:
        shown = "; ".join(f.describe() for f in findings[:5])
        more = f"; and {len(findings) - 5} more" if len(findings) > 5 else ""
        super().__init__(
            f"not {action}: the kit would carry {len(findings)} file(s) that look like secrets: "
            f"{shown}{more}. Leave them out with .kitignore, or allow secrets explicitly",
            details={"secrets": [f.to_dict() for f in findings]},
        )
        self.findings = findings


def _strings(value: Any) -> Iterator[str]:
    """Every string in a parsed JSON document (a notebook's sources, outputs and metadata), except
    base64 images in outputs (``image/png`` …): large, and no token is read from a picture's bytes."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(v for k, v in item.items() if not (isinstance(k, str) and k.startswith("image/")))
        elif isinstance(item, list):
            stack.extend(item)


def _content_kinds(path: Path, ext: str, size: int) -> list[str]:
    """Kinds of secret in a text file's or notebook's content ([] for other files)."""
    if ext != NOTEBOOK_EXT and ext not in TEXT_EXTS:
        return []
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(min(size, LAYER_SCAN_MAX_BYTES))
    except OSError:
        return []  # the layer walk reports unreadable files; a pack of them fails anyway
    return _kinds_in(data, ext)


def _kinds_in(data: bytes, ext: str) -> list[str]:
    """Kinds of secret in the bytes of a text file or notebook with extension ``ext``."""
    if ext == "" and b"\0" in data[:_SNIFF_BYTES]:
        return []  # an extensionless binary (weights, an archive)
    text = data.decode("utf-8", "replace")
    if ext == NOTEBOOK_EXT:
        # Notebook JSON escapes quotes and newlines inside strings; match on the decoded strings.
        with contextlib.suppress(ValueError, RecursionError):  # not JSON: the raw text is worth a look
            text = "\n".join(_strings(json.loads(text)))
    kinds: list[str] = []
    for kind, _line in scan_text(text):
        if kind not in kinds:
            kinds.append(kind)
    return kinds


_MemoKey = tuple[str, int, int, int, int]


class _Memo:
    """Findings per file identity (path, size, mtime, ctime, inode): the plan is asked for again on
    every edit in the UI, and an unchanged file need not be read again. ctime is part of the identity
    because a tool can restore mtime after a write (``touch -r``, ``cp -p``); a write always changes
    ctime. Bounded, thread-safe."""

    def __init__(self, limit: int = 20_000) -> None:
        self._items: OrderedDict[_MemoKey, tuple[str, ...]] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, key: _MemoKey) -> tuple[str, ...] | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: _MemoKey, value: tuple[str, ...]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)


_MEMO = _Memo()


def find_layer_secrets(plan: PackPlan) -> list[SecretFinding]:
    """Every file the plan's layers would carry that looks like a secret, by name or by content."""
    findings: list[SecretFinding] = []
    for layer in plan.layers:
        for entry in layer.entries:
            if entry.is_dir:
                continue
            try:
                st = os.lstat(entry.path)
                key: _MemoKey | None = (
                    str(entry.path),
                    st.st_size,
                    st.st_mtime_ns,
                    st.st_ctime_ns,
                    st.st_ino,
                )
            except OSError:
                key = None  # gone since the walk: packing it fails anyway; look at what is there
            kinds = _MEMO.get(key) if key is not None else None
            if kinds is None:
                name = entry.name.rsplit("/", 1)[-1]
                by_name = secret_file_kind(name)
                ext = os.path.splitext(name)[1].lower()
                found = _content_kinds(entry.path, ext, key[1] if key is not None else entry.size)
                kinds = tuple(dict.fromkeys([by_name, *found] if by_name else found))
                if key is not None:
                    _MEMO.put(key, kinds)
            if kinds:
                findings.append(SecretFinding(entry.name, layer.field_path, kinds))
    return findings


def refuse_secrets(findings: list[SecretFinding], *, allow: bool, action: str = "packed") -> list[str]:
    """Stop a pack or push that would carry secrets, unless the caller allowed them explicitly; then
    the warnings that say what was packed (or pushed) anyway."""
    if findings and not allow:
        raise SecretsInLayers(findings, action=action)
    return [f"{f.field}: {f.describe()}; {action} because secrets were allowed" for f in findings]


# ------------------------------------------------------------------------------- in a stored kit
def find_kit_secrets(store: LocalStore, manifest: Manifest) -> list[SecretFinding]:
    """Files of a kit in the local store that look like secrets: what pushing it would send. Every
    member's name is checked; text files and notebooks up to ``LAYER_SCAN_MAX_BYTES`` are read. A kit
    kitlab packed was checked then; this catches kits packed by ``kit`` or with secrets allowed."""
    findings: list[SecretFinding] = []
    counts: dict[str, int] = {}
    for desc in manifest.layers:
        try:
            media = parse_layer_media_type(desc.media_type)
        except InvalidInput:
            continue  # nothing kit or kitlab could unpack
        index = counts.get(media.kind, 0)
        counts[media.kind] = index + 1
        field = _layer_field(media.kind, index)
        for name, kinds in _layer_members(store, desc.digest, media.compression, raw=media.raw):
            if kinds:
                findings.append(SecretFinding(name, field, kinds))
    return findings


def _layer_field(kind: str, index: int) -> str:
    from kitlab.modelkit.layers import _field_path

    return _field_path(kind, index)


def _layer_members(
    store: LocalStore, digest: str, compression: str, *, raw: bool
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(name, kinds) of each regular file of a layer blob. A raw layer (one file stored verbatim, an
    MCP bundle) has no tar headers to read and is skipped."""
    if raw:
        return
    with store.open_blob(digest) as blob:
        stream: Any = blob
        if compression == "gzip":
            stream = gzip.GzipFile(fileobj=blob, mode="rb")
        elif compression == "zstd":
            import zstandard

            stream = zstandard.ZstdDecompressor().stream_reader(blob)
        # Uncompressed layers are read with seeks past each member's data (a 4 GiB weights file costs
        # one header read); compressed ones have to be read through.
        try:
            with (
                tarfile.open(fileobj=stream, mode="r:")
                if compression == "none"
                else tarfile.open(fileobj=stream, mode="r|")
            ) as tar:
                for member in tar:
                    if not member.isfile():
                        continue
                    base = member.name.rsplit("/", 1)[-1]
                    by_name = secret_file_kind(base)
                    ext = os.path.splitext(base)[1].lower()
                    found: list[str] = []
                    readable = ext in TEXT_EXTS or ext == NOTEBOOK_EXT
                    if readable and member.size <= LAYER_SCAN_MAX_BYTES:
                        member_file = tar.extractfile(member)
                        if member_file is not None:
                            found = _kinds_in(member_file.read(), ext)
                    yield member.name, tuple(dict.fromkeys([by_name, *found] if by_name else found))
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise InvalidInput(
                f"layer {digest[:19]} of the kit cannot be read: {type(exc).__name__}"
            ) from None
