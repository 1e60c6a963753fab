"""Pickle safety of files — without ever unpickling anything.

A file is read every way a loader would read it, and the findings of every reading are merged:

- as a raw pickle stream from byte 0 (``pickle.load``, ``pandas.read_pickle``): any first opcode, protocol
  0-5 with or without a PROTO header, followed by whatever pickles come after it (torch's legacy format
  is five in a row); joblib's reading, which skips the numpy array bytes it stores between opcodes, *and*
  plain pickle's reading of those same bytes as opcodes;
- decompressed (gzip, bz2, xz, lzma, zlib, zstd, joblib's old ``ZF`` files) when the bytes say so, as
  joblib and pandas do (pandas infers the codec from the suffix, e.g. ``.pkl.gz``, ``.pkl.zst``; a suffix
  that contradicts the bytes makes pandas fail, so the bytes decide);
- as a zip (torch's checkpoints, numpy's ``.npz``, pandas' ``.zip``): *every* member, duplicate names
  included; as a tar (torch's oldest format, pandas' ``.tar``): every member;
- as a numpy ``.npy`` with an object dtype: the pickle behind the header.

A file any reading finds a pickle in is a pickle. Its verdict is ``dangerous`` when a dangerous global
is imported anywhere, ``unknown`` when anything is not on the allowlist or some part could not be
analysed completely, and ``safe`` only when every global of every reading is expected.
"""

from __future__ import annotations

import ast
import bz2
import contextlib
import gzip
import importlib.util
import io
import lzma
import os
import sys
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

from kitlab.scan.pickles.policy import DANGEROUS, EXPECTED, RANK, UNKNOWN, GlobalRef
from kitlab.scan.pickles.vm import (
    TORCH_LEGACY_MAGIC,
    Findings,
    Global,
    Machine,
    Obj,
    PickleError,
    Reader,
    SymDict,
    walk_streams,
)

__all__ = [
    "DANGEROUS_VERDICT",
    "NOT_A_PICKLE",
    "SAFE",
    "UNKNOWN_VERDICT",
    "GlobalRef",
    "PickleReport",
    "scan_pickle_cli",
    "scan_pickle_file",
    "scan_tree",
]

SAFE, UNKNOWN_VERDICT, DANGEROUS_VERDICT, NOT_A_PICKLE = "safe", "unknown", "dangerous", "not-a-pickle"
PICKLE_EXTS = {
    ".pkl",
    ".pickle",
    ".joblib",
    ".pt",
    ".pth",
    ".sav",
    ".p",
    ".bin",
    ".ckpt",
    ".dill",
    ".model",
    ".pkl3",
    ".dat",
    ".data",
}
COMPRESSED_EXTS = {".gz", ".bz2", ".xz", ".lzma", ".zst", ".z", ".zip", ".tar", ".tgz", ".lz4"}
# Failures of reading (not of the pickle): corrupt compression, odd zip members (encrypted, unsupported).
STREAM_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError, OverflowError, RuntimeError)
ZIP_ERRORS = (zipfile.BadZipFile, tarfile.TarError, NotImplementedError, KeyError, IndexError, *STREAM_ERRORS)
MAX_CONTAINER_DEPTH = 4
ZF_HEADER = 2 + 19  # joblib < 0.10: b"ZF" + the hex length of the data, then zlib data
OPCODES = frozenset(b"(.0123FGIJKLMNPQRSTUVXabcdeghijlopqrstu}])\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89")
OPCODES |= frozenset(range(0x8A, 0x99))
Opener = Callable[[], BinaryIO]


class _ZlibRaw(io.RawIOBase):
    """A raw zlib stream (joblib's ``compress=('zlib', n)``) as a forward-only file; wrapped in a
    BufferedReader so single-byte opcode reads stay cheap. ``prefix``: compressed bytes already read."""

    def __init__(self, fh: BinaryIO, prefix: bytes = b"") -> None:
        self.fh = fh
        self.prefix = prefix
        self.dec = zlib.decompressobj()
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = len(buffer)
        while not self.pending and not self.dec.eof:
            data = self.dec.unconsumed_tail or self.prefix or self.fh.read(1 << 16)
            self.prefix = b""
            if not data:
                break
            self.pending = self.dec.decompress(data, size)
        count = min(size, len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count

    def close(self) -> None:
        self.fh.close()
        super().close()


def _zlib(fh: BinaryIO) -> BinaryIO:
    return io.BufferedReader(_ZlibRaw(fh), 1 << 16)


def _zfile(fh: BinaryIO) -> BinaryIO:
    head = fh.read(ZF_HEADER + 1)
    skip = 1 if head[ZF_HEADER : ZF_HEADER + 1] == b" " else 0
    return io.BufferedReader(_ZlibRaw(fh, head[ZF_HEADER + skip :]), 1 << 16)


def _zstd(fh: BinaryIO) -> BinaryIO:
    import zstandard

    reader = zstandard.ZstdDecompressor().stream_reader(fh, closefd=True)
    return io.BufferedReader(reader, 1 << 16)  # type: ignore[arg-type,unused-ignore]


def _lz4(fh: BinaryIO) -> BinaryIO:
    import lz4.frame  # type: ignore[import-not-found,unused-ignore]  # optional, as in joblib

    return lz4.frame.LZ4FrameFile(fh)  # type: ignore[no-any-return,unused-ignore]


def _zlib_magic(h: bytes) -> bool:
    return len(h) > 1 and h[0] == 0x78 and (h[0] * 256 + h[1]) % 31 == 0


# Compressions told by their magic bytes, as joblib does (pandas picks the same codecs by suffix).
DECOMPRESSORS: tuple[tuple[str, Callable[[bytes], bool], Callable[[BinaryIO], Any]], ...] = (
    ("gzip", lambda h: h[:2] == b"\x1f\x8b", lambda fh: gzip.GzipFile(fileobj=fh)),
    ("xz", lambda h: h[:6] == b"\xfd7zXZ\x00", lambda fh: lzma.LZMAFile(fh, format=lzma.FORMAT_XZ)),  # noqa: SIM115
    ("lzma", lambda h: h[:3] == b"\x5d\x00\x00", lambda fh: lzma.LZMAFile(fh, format=lzma.FORMAT_ALONE)),  # noqa: SIM115
    ("bz2", lambda h: h[:3] == b"BZh" and h[3:4].isdigit(), bz2.BZ2File),
    ("zlib", _zlib_magic, _zlib),
    ("zstd", lambda h: h[:4] == b"\x28\xb5\x2f\xfd", _zstd),
    ("lz4", lambda h: h[:4] == b"\x04\x22\x4d\x18", _lz4),
    ("joblib-zfile", lambda h: h[:2] == b"ZF" and h[2:4] == b"0x", _zfile),
)


@dataclass
class PickleReport:
    """The safety verdict for one file.

    ``verdict``: "safe" (only expected globals), "unknown" (something not on the allowlist or a part
    that could not be analysed), "dangerous" (at least one dangerous global) or "not-a-pickle".
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


def verdict_of(findings: Findings) -> str:
    worst = findings.worst
    if worst == RANK[DANGEROUS]:
        return DANGEROUS_VERDICT
    if worst == RANK[UNKNOWN] or findings.errors or findings.notes:
        return UNKNOWN_VERDICT
    return SAFE


class _Scan:
    """One file's analysis: every reading of it, merged into one ``Findings``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.findings = Findings()
        self.formats: list[str] = []
        self.root: Any = None

    # ---- readings
    def analyse(
        self, opener: Opener, name: str, location: str, depth: int = 0, *, forced: bool = False
    ) -> str:
        """Read the bytes ``opener`` gives every way a loader would; the format found ("" for none)."""
        try:
            with opener() as fh:
                head = fh.read(4096)
        except STREAM_ERRORS as exc:
            if forced:
                self.findings.errors.append(f"{location}: unreadable ({exc})")
                return "unreadable"
            return ""
        if not head:
            return ""
        found: list[str] = []
        lower = name.lower()
        if depth < MAX_CONTAINER_DEPTH:
            if head[:4] in (b"PK\x03\x04", b"PK\x05\x06") or (depth == 0 and lower.endswith(".zip")):
                found.append(self._zip(opener, location, depth))
            if head[257:262] == b"ustar" or lower.endswith(
                (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
            ):
                found.append(self._tar(opener, location, depth))
            for label, matches, decoder in DECOMPRESSORS:
                if matches(head):
                    found.append(self._compressed(opener, decoder, label, name, location, depth))
        if head[:6] == b"\x93NUMPY":
            found.append(self._npy(opener, head, location))
        if head[0] in OPCODES:
            found.append(self._raw(opener, head, name, location, forced=forced))
        return next((f for f in found if f), "")

    def _raw(self, opener: Opener, head: bytes, name: str, location: str, *, forced: bool) -> str:
        trial = Findings()
        done = 0
        with opener() as fh:
            try:
                done = walk_streams(Reader(fh), trial, location)
            except PickleError as exc:
                trial.errors.append(f"{location}: {exc}")
            except STREAM_ERRORS as exc:
                trial.errors.append(f"{location}: unreadable ({exc})")
        headed = head[0] == 0x80 and head[1:2] != b"" and head[1] <= 5
        suffix = Path(name).suffix.lower() in PICKLE_EXTS
        if not trial.refs and not (done and (headed or suffix or forced)):
            return ""  # nothing a loader would run, and no sign of being meant as a pickle
        if trial.arrays:
            # joblib skipped numpy array bytes; plain pickle.load reads them as opcodes.
            # Array bytes are arbitrary data: what they spell runs only if it imports a real module.
            plain = Findings()
            with opener() as fh:
                try:
                    machine = Machine(
                        Reader(fh), plain, f"{location} (as pickle.load reads it)", joblib=False
                    )
                    machine.importable = _installed
                    machine.run()
                except (PickleError, *STREAM_ERRORS):
                    pass  # pickle.load stops here: nothing after runs
            self.findings.merge(plain, errors=False)
        self.findings.merge(trial)
        roots = trial.roots
        fmt = "joblib" if trial.joblib else "pickle"
        if (
            roots
            and isinstance(roots[0], int)
            and not isinstance(roots[0], bool)
            and roots[0] == TORCH_LEGACY_MAGIC
        ):
            fmt = "torch-legacy"
            roots = roots[3:4]
        if self.root is None and roots:
            self.root = roots[0]
        return fmt

    def _compressed(
        self,
        opener: Opener,
        decoder: Callable[[BinaryIO], Any],
        label: str,
        name: str,
        location: str,
        depth: int,
    ) -> str:
        def inner() -> BinaryIO:
            fh = opener()
            try:
                return decoder(fh)  # type: ignore[no-any-return,unused-ignore]
            except BaseException:
                fh.close()
                raise

        stem = name[: -len(Path(name).suffix)] if Path(name).suffix.lower() in COMPRESSED_EXTS else name
        try:
            with inner() as fh:
                fh.read(1)
        except ImportError:
            self.findings.errors.append(
                f"{location}: {label}-compressed, and no {label} codec to check it with"
            )
            return label
        except STREAM_ERRORS:
            return ""
        fmt = self.analyse(inner, stem, f"{location} ({label})", depth + 1)
        return f"{fmt}+{label}" if fmt else ""

    def _zip(self, opener: Opener, location: str, depth: int) -> str:
        found: list[str] = []
        try:
            with opener() as raw, zipfile.ZipFile(raw) as zf:
                infos = zf.infolist()
                names = [i.filename for i in infos]
                torch = any(n.endswith("data.pkl") for n in names)
                if torch and any(n.endswith("code/") or "/code/" in n for n in names):
                    self.findings.note("TorchScript archive: torch.jit.load compiles the code/ it carries")
                for info in infos:
                    if info.is_dir():
                        continue
                    member = f"{location} > {info.filename}" if depth else info.filename
                    pickled = info.filename.lower().endswith((".pkl", ".pickle", ".npy", ".joblib"))

                    def member_opener(info: zipfile.ZipInfo = info) -> BinaryIO:
                        return cast(BinaryIO, zf.open(info))

                    try:
                        fmt = self.analyse(member_opener, info.filename, member, depth + 1, forced=pickled)
                    except ZIP_ERRORS as exc:
                        if pickled:
                            self.findings.errors.append(f"{member}: unreadable ({exc})")
                        fmt = ""
                    if fmt:
                        found.append(fmt)
        except ZIP_ERRORS as exc:
            if found:
                self.findings.errors.append(f"{location}: unreadable zip ({exc})")
            return "zip" if found else ""
        if not found:
            return ""
        if torch:
            return "torch-zip"
        if all(f == "npy-object" for f in found):
            return "npz"
        return "zip"

    def _tar(self, opener: Opener, location: str, depth: int) -> str:
        found: list[str] = []
        try:
            with opener() as raw, tarfile.open(fileobj=raw, mode="r:*") as tar:
                for member in tar:
                    if not member.isfile():
                        continue
                    where = f"{location} > {member.name}" if depth else member.name

                    def member_opener(member: tarfile.TarInfo = member) -> BinaryIO:
                        fh = tar.extractfile(member)
                        if fh is None:
                            raise OSError("not a regular member")
                        return cast(BinaryIO, fh)

                    fmt = self.analyse(
                        member_opener, member.name, where, depth + 1, forced=member.name == "pickle"
                    )
                    if fmt:
                        found.append(fmt)
        except ZIP_ERRORS as exc:
            if found:
                self.findings.errors.append(f"{location}: unreadable tar ({exc})")
        return "tar" if found else ""

    def _npy(self, opener: Opener, head: bytes, location: str) -> str:
        offset = npy_pickle_offset(head)
        if offset is None:
            return ""
        trial = Findings()
        with opener() as fh:
            fh.read(offset)
            try:
                walk_streams(Reader(fh), trial, location, joblib=False)
            except PickleError as exc:
                trial.errors.append(f"{location}: {exc}")
            except STREAM_ERRORS as exc:
                trial.errors.append(f"{location}: unreadable ({exc})")
        self.findings.merge(trial)
        return "npy-object"

    def report(self, fmt: str) -> PickleReport:
        f = self.findings
        ordered = sorted(f.refs.values(), key=lambda g: (-RANK[g.classification], g.module, g.name))
        cls, attrs = _root_info(self.root)
        return PickleReport(self.path, fmt, verdict_of(f), ordered, f.errors, f.notes, cls, attrs)


def _installed(module: str) -> bool:
    """Whether the top-level package of ``module`` exists here (found, never imported)."""
    top = module.split(".", 1)[0]
    if top in sys.builtin_module_names or top in sys.modules:
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def npy_pickle_offset(head: bytes) -> int | None:
    """Where the pickle of an object-dtype ``.npy`` array starts, or None for plain numeric arrays."""
    if head[:6] != b"\x93NUMPY" or len(head) < 10:
        return None
    start, width = (
        (10, int.from_bytes(head[8:10], "little"))
        if head[6] == 1
        else (12, int.from_bytes(head[8:12], "little"))
    )
    try:
        text = head[start : start + width].decode("utf-8" if head[6] >= 3 else "latin-1")
        meta = ast.literal_eval(text)
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError):
        return None
    descr = meta.get("descr") if isinstance(meta, dict) else None
    return start + width if "O" in str(descr) else None


def scan_pickle_file(path: str | os.PathLike[str]) -> PickleReport:
    """Classify every global a pickle-based file imports, read every way a loader would read it,
    without unpickling it."""
    name = os.fspath(path)
    scan = _Scan(name)
    try:
        with open(name, "rb"):
            pass
    except OSError as exc:
        return PickleReport(
            name, "unreadable", UNKNOWN_VERDICT, errors=[f"cannot read: {exc.strerror or exc}"]
        )
    try:
        fmt = scan.analyse(lambda: open(name, "rb"), os.path.basename(name), os.path.basename(name))  # noqa: SIM115
    except RecursionError:
        scan.findings.errors.append("nested too deeply to analyse")
        fmt = "pickle"
    except Exception as exc:
        scan.findings.errors.append(f"analysis failed: {type(exc).__name__}: {exc}")
        fmt = "unreadable"
    if not fmt:
        return PickleReport(name, "", NOT_A_PICKLE)
    return scan.report(fmt)


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


def pickle_warnings(reports: Iterable[PickleReport], root: str | os.PathLike[str] | None = None) -> list[str]:
    """One line per dangerous or unknown pickle, naming the globals that decided: what ``pack`` and
    ``pack & push`` print before the files leave the machine."""
    lines = []
    for report in reports:
        if report.verdict not in (DANGEROUS_VERDICT, UNKNOWN_VERDICT):
            continue
        path = report.path
        if root is not None:
            with contextlib.suppress(ValueError):
                path = Path(report.path).resolve().relative_to(Path(root).resolve()).as_posix()
        named = report.named(DANGEROUS) or report.named(UNKNOWN)
        why = (
            ", ".join(named[:6]) + (" …" if len(named) > 6 else "")
            if named
            else "; ".join((report.errors + report.notes)[:2])
        )
        lines.append(f"{path} is a {report.verdict} pickle ({why or 'not analysable'})")
    return lines
