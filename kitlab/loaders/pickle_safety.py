"""Pickle safety scanning for files in an unpacked ModelKit — without ever unpickling anything.

A file is recognised by its bytes, not its name: raw pickles (protocols 0-5), joblib files (plain or
zlib/gzip/bz2/xz/lzma-compressed, numpy payloads skipped), PyTorch zip checkpoints (every ``*.pkl`` member,
``data.pkl`` first of all), PyTorch's legacy ``.pt`` stream of five pickles, and NumPy ``.npy``/``.npz``
object arrays (which are pickles behind a header). ``pickle_vm`` walks the opcodes; ``pickle_policy``
classifies what they import.
"""

from __future__ import annotations

import ast
import bz2
import gzip
import io
import lzma
import os
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from kitlab.loaders.pickle_policy import DANGEROUS, EXPECTED, RANK, UNKNOWN, GlobalRef
from kitlab.loaders.pickle_vm import (
    PROTOCOL_BYTES,
    TORCH_LEGACY_MAGIC,
    Findings,
    Global,
    Obj,
    PickleError,
    Reader,
    SymDict,
    walk_streams,
)

__all__ = ["GlobalRef", "PickleReport", "scan_pickle_cli", "scan_pickle_file", "scan_tree"]

SAFE, UNKNOWN_VERDICT, DANGEROUS_VERDICT, NOT_A_PICKLE = "safe", "unknown", "dangerous", "not-a-pickle"
PICKLE_EXTS = {".pkl", ".pickle", ".joblib", ".pt", ".pth", ".sav", ".p", ".bin", ".ckpt", ".dill", ".model"}
ZIP_PICKLE_EXTS = (".pkl", ".pickle", ".joblib")
# Failures of reading (not of the pickle): corrupt compression, odd zip members (encrypted, unsupported).
STREAM_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError, OverflowError, RuntimeError)
ZIP_ERRORS = (zipfile.BadZipFile, NotImplementedError, *STREAM_ERRORS)
# First opcodes a protocol 0/1 pickle can start with (anything that pushes or marks).
PROTO01_STARTS = set(b"(]}).NIJKLMSTUVXFGcdltipgqhjP")


class _ZlibRaw(io.RawIOBase):
    """A raw zlib stream (joblib's ``compress=('zlib', n)``) as a forward-only file; wrapped in a
    BufferedReader so single-byte opcode reads stay cheap."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.dec = zlib.decompressobj()
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = len(buffer)
        while not self.pending and not self.dec.eof:
            data = self.dec.unconsumed_tail or self.fh.read(1 << 16)
            if not data:
                break
            self.pending = self.dec.decompress(data, size)
        count = min(size, len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count


def _zlib(fh: BinaryIO) -> BinaryIO:
    return io.BufferedReader(_ZlibRaw(fh), 1 << 16)


def _gzip(fh: BinaryIO) -> BinaryIO:
    return gzip.GzipFile(fileobj=fh)


def _xz(fh: BinaryIO) -> BinaryIO:
    return lzma.LZMAFile(fh, format=lzma.FORMAT_XZ)


def _lzma(fh: BinaryIO) -> BinaryIO:
    return lzma.LZMAFile(fh, format=lzma.FORMAT_ALONE)


def _bz2(fh: BinaryIO) -> BinaryIO:
    return bz2.BZ2File(fh)


# joblib's compressors, told by their magic bytes. The files they return are closed with ``raw``.
DECOMPRESSORS: tuple[tuple[str, Callable[[bytes], bool], Callable[[BinaryIO], Any]], ...] = (
    ("gzip", lambda h: h[:2] == b"\x1f\x8b", _gzip),
    ("xz", lambda h: h[:6] == b"\xfd7zXZ\x00", _xz),
    ("lzma", lambda h: h[:3] == b"\x5d\x00\x00", _lzma),
    ("bz2", lambda h: h[:3] == b"BZh" and h[3:4].isdigit(), _bz2),
    ("zlib", lambda h: len(h) > 1 and h[0] == 0x78 and (h[0] * 256 + h[1]) % 31 == 0, _zlib),
)


@dataclass
class PickleReport:
    """The safety verdict for one file.

    ``verdict``: "safe" (only expected globals), "unknown" (something unrecognised, an unresolvable
    import or an unreadable stretch), "dangerous" (at least one dangerous global) or "not-a-pickle".
    ``root_class``/``root_attributes``: the class of the outermost pickled object and the attribute
    names in its state — what a loader cell can rely on (``feature_names_in_``) without loading it.
    """

    path: str
    format: str
    verdict: str
    globals: list[GlobalRef] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    root_class: str = ""
    root_attributes: list[str] = field(default_factory=list)

    def named(self, classification: str) -> list[str]:
        return [g.qualified for g in self.globals if g.classification == classification]


def _root_info(root: Any) -> tuple[str, list[str]]:
    if not isinstance(root, Obj):
        return "", []
    cls = root.callable.qualified if isinstance(root.callable, Global) else ""
    state = root.state
    if isinstance(state, tuple) and state and isinstance(state[0], SymDict):
        state = state[0]  # (dict_state, slots_state)
    attrs = [k for k, _ in state.items if isinstance(k, str)] if isinstance(state, SymDict) else []
    return cls, attrs


def _verdict(findings: Findings) -> str:
    worst = max((RANK[g.classification] for g in findings.refs.values()), default=0)
    if worst == RANK[DANGEROUS]:
        return DANGEROUS_VERDICT
    if worst == RANK[UNKNOWN] or findings.errors or findings.notes:
        return UNKNOWN_VERDICT
    return SAFE


def _report(path: str, fmt: str, findings: Findings, root: Any = None) -> PickleReport:
    ordered = sorted(findings.refs.values(), key=lambda g: (-RANK[g.classification], g.module, g.name))
    cls, attrs = _root_info(root if root is not None else (findings.roots[0] if findings.roots else None))
    return PickleReport(path, fmt, _verdict(findings), ordered, findings.errors, findings.notes, cls, attrs)


def _walk(fh: BinaryIO, findings: Findings, location: str) -> int:
    """Walk the streams in ``fh``; a malformed stream becomes an error, never an exception."""
    try:
        return walk_streams(Reader(fh), findings, location)
    except PickleError as exc:
        findings.errors.append(f"{location}: {exc}")
    except STREAM_ERRORS as exc:
        findings.errors.append(f"{location}: unreadable ({exc})")
    return 0


def _npy_pickle_offset(head: bytes) -> int | None:
    """Where the pickle of an object-dtype ``.npy`` array starts, or None for plain numeric arrays."""
    if head[:6] != b"\x93NUMPY" or len(head) < 10:
        return None
    start, width = (
        (10, int.from_bytes(head[8:10], "little"))
        if head[6] == 1
        else (12, int.from_bytes(head[8:12], "little"))
    )
    try:
        meta = ast.literal_eval(head[start : start + width].decode("latin-1"))
    except (ValueError, SyntaxError, UnicodeDecodeError):
        return None
    descr = meta.get("descr") if isinstance(meta, dict) else None
    return start + width if "O" in str(descr) else None


def _scan_zip(path: str) -> PickleReport:
    findings = Findings()
    root: Any = None
    fmt = "zip"
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            members = [n for n in names if n.endswith(ZIP_PICKLE_EXTS)]
            members.sort(key=lambda n: not n.endswith("data.pkl"))
            if any(n.endswith("data.pkl") for n in members):
                fmt = "torch-zip"
                if any(n.endswith("code/") or "/code/" in n for n in names):
                    findings.note("TorchScript archive: torch.jit.load compiles the code/ it carries")
            elif names and all(n.endswith(".npy") for n in names):
                fmt = "npz"
            if fmt == "npz":
                for name in names:
                    with zf.open(name) as fh:
                        offset = _npy_pickle_offset(fh.read(4096))
                    if offset is not None:
                        with zf.open(name) as fh:
                            fh.read(offset)
                            _walk(fh, findings, name)
            for name in members:
                with zf.open(name) as fh:
                    before = len(findings.roots)
                    _walk(fh, findings, name)
                    if root is None and len(findings.roots) > before:
                        root = findings.roots[before]
    except ZIP_ERRORS as exc:
        # An archive a loader cannot open either; what was walked before the failure still counts.
        if not findings.refs:
            return PickleReport(path, "zip", NOT_A_PICKLE, errors=[f"unreadable zip: {exc}"])
        findings.errors.append(f"unreadable zip: {exc}")
    if not findings.refs and not findings.roots and not findings.errors:
        return PickleReport(path, fmt, NOT_A_PICKLE)
    return _report(path, fmt, findings, root)


def _scan_stream(path: str, opener: Any, label: str) -> PickleReport:
    findings = Findings()
    with open(path, "rb") as raw:
        fh = opener(raw) if opener else raw
        done = _walk(fh, findings, os.path.basename(path))
    fmt = "joblib" if findings.joblib else "pickle"
    root = findings.roots[0] if findings.roots else None
    if isinstance(root, int) and not isinstance(root, bool) and root == TORCH_LEGACY_MAGIC:
        fmt, root = "torch-legacy", findings.roots[3] if len(findings.roots) > 3 else None
    if label:
        fmt += "+" + label
    if not done and not findings.refs:
        return PickleReport(path, fmt, NOT_A_PICKLE, errors=findings.errors)
    return _report(path, fmt, findings, root)


def _compressed_pickle(path: str, head: bytes) -> tuple[str, Any] | None:
    for label, matches, opener in DECOMPRESSORS:
        if not matches(head):
            continue
        try:
            with open(path, "rb") as raw:
                start = opener(raw).read(2)
        except STREAM_ERRORS:
            return None
        if len(start) == 2 and start[0] == 0x80 and start[1] in PROTOCOL_BYTES:
            return label, opener
        return None
    return None


def _proto01(path: str) -> PickleReport | None:
    """Protocol 0/1 pickles have no header: accept a file only if it walks cleanly to STOP and either
    imports something or carries a pickle-ish extension (a text file can be a valid pickle of 1)."""
    report = _scan_stream(path, None, "")
    if report.verdict == NOT_A_PICKLE or report.errors:
        return None
    if report.globals or Path(path).suffix.lower() in PICKLE_EXTS:
        return report
    return None


def scan_pickle_file(path: str | os.PathLike[str]) -> PickleReport:
    """Classify every global a pickle-based file imports, without unpickling it."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        return PickleReport(
            name, "unreadable", UNKNOWN_VERDICT, errors=[f"cannot read: {exc.strerror or exc}"]
        )
    if head.startswith(b"PK\x03\x04"):
        return _scan_zip(name)
    if head[:1] == b"\x80" and head[1:2] and head[1] in PROTOCOL_BYTES:
        return _scan_stream(name, None, "")
    npy_offset = _npy_pickle_offset(head)
    if npy_offset is not None:
        findings = Findings()
        with open(name, "rb") as fh:
            fh.seek(npy_offset)
            _walk(fh, findings, os.path.basename(name))
        return _report(name, "npy-object", findings)
    compressed = _compressed_pickle(name, head)
    if compressed is not None:
        label, opener = compressed
        return _scan_stream(name, opener, label)
    if head[:1] and head[0] in PROTO01_STARTS:
        found = _proto01(name)
        if found is not None:
            return found
    return PickleReport(name, "", NOT_A_PICKLE)


def scan_tree(folder: str | os.PathLike[str]) -> list[PickleReport]:
    """Reports for every pickle-based file under ``folder`` (symlinks are not followed), by path."""
    reports = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for filename in sorted(filenames):
            full = os.path.join(dirpath, filename)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            report = scan_pickle_file(full)
            if report.verdict != NOT_A_PICKLE:
                reports.append(report)
    return reports


def _describe(report: PickleReport) -> list[str]:
    lines = [f"{report.path}: {report.verdict.upper()}" + (f" ({report.format})" if report.format else "")]
    for ref in report.globals:
        if ref.classification != EXPECTED:
            lines.append(f"  {ref.classification:<9} {ref.qualified} — {ref.reason} [{ref.location}]")
    expected = report.named(EXPECTED)
    if expected:
        shown = ", ".join(expected[:8]) + (f", … ({len(expected)} in all)" if len(expected) > 8 else "")
        lines.append(f"  expected  {shown}")
    lines.extend(f"  note: {note}" for note in report.notes)
    lines.extend(f"  error: {error}" for error in report.errors)
    return lines


def scan_pickle_cli(paths: Iterable[str | os.PathLike[str]]) -> tuple[str, int]:
    """The text of ``kitlab scan-pickle PATH…`` and its exit code: 2 if anything is dangerous, 1 if
    anything is unknown or unreadable, else 0. Folders are scanned recursively."""
    lines: list[str] = []
    code = 0
    for path in paths:
        if os.path.isdir(path):
            reports = scan_tree(path)
            if not reports:
                lines.append(f"{os.fspath(path)}: no pickle-based files")
        elif not os.path.exists(path):
            lines.append(f"{os.fspath(path)}: no such file")
            code = max(code, 1)
            continue
        else:
            reports = [scan_pickle_file(path)]
        for report in reports:
            lines.extend(_describe(report))
            code = max(code, {DANGEROUS_VERDICT: 2, UNKNOWN_VERDICT: 1}.get(report.verdict, 0))
    return "\n".join(lines) + "\n", code
