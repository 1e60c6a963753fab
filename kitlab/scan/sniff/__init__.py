"""Content sniffing: what a file is, from its first bytes (and, for a few formats, a bounded header read).

``sniff_file`` never reads more than a small header of a big file and never unpickles or imports anything
from the file. ``extension_kind`` is the cheap classification used for files not worth opening.
"""

from __future__ import annotations

import os

from kitlab.scan.sniff.archives import sniff_zip
from kitlab.scan.sniff.columnar import sniff_arrow, sniff_npy, sniff_parquet
from kitlab.scan.sniff.gguf import sniff_gguf
from kitlab.scan.sniff.magic import sniff_hdf5, sniff_signature
from kitlab.scan.sniff.onnx import sniff_onnx
from kitlab.scan.sniff.pickles import sniff_pickle
from kitlab.scan.sniff.safetensors import sniff_safetensors
from kitlab.scan.sniff.tarballs import is_tar, sniff_tar
from kitlab.scan.sniff.text import TABULAR_EXTS, decode_text, sniff_json, sniff_model_text, sniff_table
from kitlab.scan.sniff.tfcheckpoint import sniff_tf_index
from kitlab.scan.types import Sniffed

HEAD_BYTES = 64 * 1024

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
AUDIO_EXTS = {".wav", ".flac", ".mp3", ".ogg", ".m4a", ".opus"}
SHARD_EXTS = {".tfrecord", ".tfrecords", ".arrow", ".parquet", ".npy", ".npz", ".jsonl", ".csv", ".tsv"}
CODE_EXTS = {
    ".py",
    ".ipynb",
    ".sh",
    ".r",
    ".jl",
    ".js",
    ".ts",
    ".scala",
    ".sql",
    ".java",
    ".go",
    ".c",
    ".cpp",
    ".h",
    ".rs",
    ".toml",
    ".cfg",
    ".ini",
    ".yaml",
    ".yml",
    ".lock",
    ".dockerfile",
}
DOC_EXTS = {".md", ".rst", ".adoc", ".pdf", ".html", ".htm"}
COMPRESSED_PICKLE_EXTS = {".joblib", ".pkl", ".pickle", ".z", ".gz", ""}


EXT_KIND = {
    **{e: "image" for e in IMAGE_EXTS},
    **{e: "audio" for e in AUDIO_EXTS},
    **{e: "code" for e in CODE_EXTS},
    **{e: "docs" for e in DOC_EXTS},
}
DOC_PREFIXES = ("README", "LICENSE", "LICENCE", "COPYING", "NOTICE")


def extension_kind(name: str) -> str:
    """ "image", "audio", "code", "docs" or "" (unknown: worth sniffing). Called once per walked file."""
    dot = name.rfind(".")
    kind = EXT_KIND.get(name[dot:].lower()) if dot > 0 else None
    if kind:
        return kind
    if name in ("Dockerfile", "Makefile") or name.startswith("requirements"):
        return "code"
    if name[:7].upper().startswith(DOC_PREFIXES):
        return "docs"
    return ""


def sniff_file(path: str, size: int) -> Sniffed | None:
    """Classify one file by content; ``None`` when nothing recognisable was found."""
    ext = os.path.splitext(path)[1].lower()
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
        return _dispatch(path, head, size, ext)
    except OSError:
        return None


def _dispatch(path: str, head: bytes, size: int, ext: str) -> Sniffed | None:
    if not head:
        return None
    if head[:1] == b"\x80" or (ext in COMPRESSED_PICKLE_EXTS and head[:1] in (b"x", b"\x1f")):
        found = sniff_pickle(path, head, ext)
        if found:
            return found
    if head.startswith(b"PK\x03\x04"):
        return sniff_zip(path, size)
    if head[:2] == b"\x1f\x8b" or is_tar(head):
        found = sniff_tar(path, size, compressed=head[:2] == b"\x1f\x8b")
        if found is not None:
            return found
    binary = (
        sniff_gguf(path, head, size)
        or sniff_hdf5(path, head, size)
        or (sniff_parquet(path, size) if head.startswith(b"PAR1") else None)
        or (sniff_arrow(path, size) if head.startswith(b"ARROW1") else None)
        or sniff_npy(head, size)
        or sniff_safetensors(path, head, size)
        or sniff_signature(head, size, ext)
        or sniff_onnx(path, head, size)
        or (sniff_tf_index(path, size) if ext == ".index" else None)
    )
    if binary:
        return binary
    text = decode_text(head)
    if text is None:
        return None
    truncated = size > len(head)
    found = sniff_model_text(text, path, size) or sniff_json(text, size, truncated)
    if found is None and ext in TABULAR_EXTS:
        found = sniff_table(text, size, truncated, path)
    return found
