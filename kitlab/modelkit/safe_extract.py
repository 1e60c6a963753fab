"""Extract one layer tar into a directory without trusting the archive.

kit accepts only directories and regular files and keeps every path inside the target (§1.6). This
module enforces that and more, without relying on ``tarfile``'s extraction filters (``tarfile`` is
only used to *read* headers):

* only regular files (``0``/NUL) and directories (``5``); PAX ``x`` headers are consumed by the reader,
  a global PAX header, symlinks, hardlinks, devices, FIFOs, sparse and contiguous files are refused;
* names must be relative, free of ``..`` and NUL; every directory is opened with ``O_NOFOLLOW``
  relative to its parent's descriptor, so neither an archive entry nor a symlink already present in
  the target (or planted concurrently) can redirect a write outside it;
* duplicate entries, absurd sizes, too many entries and decompression bombs (ratio guard) are refused;
  ``open_layer_stream`` also hashes the blob as it is read and reports a digest mismatch;
* a file is written to a temporary name in its final directory and renamed into place only when
  complete, so an interrupted extraction never leaves a half-written file under the real name;
* existing files are never clobbered unless ``overwrite``; ``ignore_existing`` skips them instead;
* modes come from the headers without setuid/setgid/sticky, and the umask applies (directories keep
  owner ``rwx`` so the extraction can fill them).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import secrets
import stat
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import zstandard

from kitlab.errors import Conflict, InvalidInput, KitlabError, PathOutsideRoot
from kitlab.progress import CancelToken

CHUNK = 1 << 20
_FILE_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE)


@dataclass(frozen=True)
class ExtractLimits:
    """Refusal thresholds. Deflate cannot exceed ~1032:1, so the default ratio only trips on zstd bombs
    (or gzip layers of pathological content) once more than ``ratio_min_bytes`` were produced."""

    max_file_size: int = 1 << 40
    max_entries: int = 5_000_000
    max_ratio: float = 1100.0
    ratio_min_bytes: int = 256 << 20


class ExtractFailed(KitlabError):
    """The filesystem refused a write while extracting (not a problem with the archive's safety)."""

    code = "extract_failed"


@dataclass
class ExtractStats:
    files: int = 0
    dirs: int = 0
    bytes: int = 0
    skipped_existing: list[str] = field(default_factory=list)


class _CountingReader:
    """Counts bytes read from ``raw``; optionally enforces a decompression-ratio limit against ``base``."""

    def __init__(
        self,
        raw: IO[bytes] | Any,
        limits: ExtractLimits | None = None,
        base: _CountingReader | None = None,
        hasher: Any = None,
    ) -> None:
        self._raw = raw
        self._limits = limits
        self._base = base
        self._hasher = hasher
        self.count = 0

    def drain_and_digest(self) -> str:
        """Read what the tar reader left (trailer, padding) and return ``sha256:`` of everything read."""
        while self.read(CHUNK):
            pass
        return "sha256:" + self._hasher.hexdigest()

    @property
    def source_count(self) -> int:
        """Bytes consumed from the underlying blob (compressed bytes for a compressed layer)."""
        return self._base.count if self._base is not None else self.count

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self.count += len(data)
        if self._hasher is not None:
            self._hasher.update(data)
        if self._limits is not None and self._base is not None:
            limits = self._limits
            ratio_exceeded = self.count > limits.max_ratio * max(self._base.count, 1)
            if self.count > limits.ratio_min_bytes and ratio_exceeded:
                raise InvalidInput(
                    f"layer decompresses to more than {limits.max_ratio:g}× its size; refusing (possible "
                    "decompression bomb)"
                )
        return data


@contextlib.contextmanager
def open_layer_stream(
    blob: IO[bytes],
    compression: str,
    limits: ExtractLimits | None = None,
    *,
    expected_digest: str | None = None,
) -> Iterator[_CountingReader]:
    """Uncompressed tar stream of a layer blob (``none``, ``gzip`` or ``zstd``), with the ratio guard.

    With ``expected_digest`` the blob is hashed as it is read and checked when the block ends without
    error, so a corrupted blob is reported (its files are already written by then, as with any
    streaming check).
    """
    limits = limits or ExtractLimits()
    raw = _CountingReader(blob, hasher=hashlib.sha256() if expected_digest else None)
    decoder: Any = None
    if compression == "gzip":
        decoder = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[arg-type]
    elif compression == "zstd":
        decoder = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=False)  # type: ignore[arg-type]
    elif compression != "none":
        raise InvalidInput(f"unsupported layer compression {compression!r}")
    try:
        yield raw if decoder is None else _CountingReader(decoder, limits, raw)
    finally:
        if decoder is not None:
            decoder.close()
    if expected_digest is not None:
        actual = raw.drain_and_digest()
        if actual != expected_digest:
            raise InvalidInput(f"layer blob is corrupt: expected {expected_digest}, read {actual}")


def _split_name(name: str) -> list[str]:
    """Validated path components of an archive entry name ('' parts and '.' dropped)."""
    if "\x00" in name:
        raise InvalidInput(f"illegal file path in archive: {name!r} (NUL byte)")
    if name.startswith("/"):
        raise PathOutsideRoot(f"illegal file path in archive: {name!r} is absolute")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise PathOutsideRoot(f"illegal file path in archive: {name!r} leaves the target directory")
    return parts


class _Target:
    """The extraction root, walked component by component with ``O_NOFOLLOW`` directory descriptors."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        # The destination itself is the caller's choice and may be reached through symlinks; only
        # what lies below it is walked without following links.
        self.root = root.resolve()
        self._flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)

    @contextlib.contextmanager
    def open_dir(self, parts: list[str], create_mode: int = 0o755) -> Iterator[int]:
        """Descriptor of ``root/parts``; missing directories are created, symlinks refused."""
        fd = os.open(self.root, self._flags)
        try:
            for index, part in enumerate(parts):
                shown = "/".join(parts[: index + 1])
                try:
                    st = os.stat(part, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    os.mkdir(part, create_mode, dir_fd=fd)
                    st = os.stat(part, dir_fd=fd, follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    raise PathOutsideRoot(f"refusing to extract through symlink {shown!r} in the target")
                if not stat.S_ISDIR(st.st_mode):
                    raise Conflict(f"path {shown!r} already exists and is not a directory")
                try:
                    child = os.open(part, self._flags, dir_fd=fd)
                except OSError as exc:  # replaced by a symlink between stat and open: ELOOP
                    raise PathOutsideRoot(f"refusing to extract through {shown!r}: {exc}") from exc
                os.close(fd)
                fd = child
            yield fd
        finally:
            os.close(fd)


def safe_extract(
    tar_stream: IO[bytes] | _CountingReader,
    dest: Path,
    *,
    overwrite: bool = False,
    ignore_existing: bool = False,
    limits: ExtractLimits | None = None,
    cancel: CancelToken | None = None,
    on_bytes: Callable[[int], None] | None = None,
    subdir: str = "",
) -> ExtractStats:
    """Extract an uncompressed tar stream into ``dest`` (created if missing). See the module docstring.

    ``subdir`` (relative, validated like entry names) is prepended to every entry; pre-1.0 kits need it.
    """
    limits = limits or ExtractLimits()
    prefix = _split_name(subdir)
    target = _Target(Path(dest))
    stats = ExtractStats()
    seen: set[tuple[str, ...]] = set()
    umask = _umask()
    try:
        archive = tarfile.open(fileobj=tar_stream, mode="r|")  # type: ignore[call-overload]  # noqa: SIM115
    except tarfile.TarError as exc:
        raise InvalidInput(f"layer is not a valid tar archive: {exc}") from exc
    current = ""
    with archive:
        try:
            for member in archive:
                current = member.name
                if cancel is not None:
                    cancel.check()
                _check_member(archive, member, limits, len(seen))
                parts = prefix + _split_name(member.name)
                key = tuple(parts)
                if key in seen:
                    raise InvalidInput(f"duplicate entry in archive: {member.name!r}")
                seen.add(key)
                if member.type == tarfile.DIRTYPE:
                    if parts:
                        dir_mode = (member.mode & 0o777) | 0o700  # mkdir applies the umask
                        with target.open_dir(parts, create_mode=dir_mode):
                            pass
                    stats.dirs += 1
                    continue
                if len(parts) == len(prefix):
                    raise InvalidInput(f"illegal file entry {member.name!r} in archive")
                src = archive.extractfile(member)
                if src is None:  # pragma: no cover - only for non-regular members, refused above
                    raise InvalidInput(f"cannot read {member.name!r}")
                written = _extract_file(
                    target,
                    parts,
                    member.size,
                    member.mode,
                    src,
                    overwrite,
                    ignore_existing,
                    umask,
                    cancel,
                    on_bytes,
                )
                if written is None:
                    stats.skipped_existing.append("/".join(parts))
                else:
                    stats.files += 1
                    stats.bytes += written
        except tarfile.TarError as exc:
            raise InvalidInput(f"layer is not a valid tar archive: {exc}") from exc
        except OSError as exc:  # name too long, disk full, permission denied …
            raise ExtractFailed(f"failed to extract {current!r}: {exc.strerror or exc}") from exc
    return stats


def safe_write_file(
    src: IO[bytes] | _CountingReader,
    dest: Path,
    relpath: str,
    *,
    size: int,
    mode: int = 0o644,
    overwrite: bool = False,
    ignore_existing: bool = False,
    cancel: CancelToken | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> int | None:
    """Write one file of ``size`` bytes to ``dest/relpath`` with the same guarantees as ``safe_extract``
    (used for raw layers). Returns the bytes written, or None if skipped because it existed."""
    parts = _split_name(relpath)
    if not parts:
        raise InvalidInput(f"illegal file path {relpath!r}")
    return _extract_file(
        _Target(Path(dest)),
        parts,
        size,
        mode,
        src,
        overwrite,
        ignore_existing,
        _umask(),
        cancel,
        on_bytes,  # type: ignore[arg-type]
    )


def _check_member(
    archive: tarfile.TarFile, member: tarfile.TarInfo, limits: ExtractLimits, count: int
) -> None:
    if archive.pax_headers:
        raise InvalidInput("unrecognized type in archive: global PAX header")
    if member.type not in (*_FILE_TYPES, tarfile.DIRTYPE):
        kind = {
            tarfile.SYMTYPE: "symlink",
            tarfile.LNKTYPE: "hardlink",
            tarfile.CHRTYPE: "character device",
            tarfile.BLKTYPE: "block device",
            tarfile.FIFOTYPE: "FIFO",
            tarfile.CONTTYPE: "contiguous file",
            tarfile.GNUTYPE_SPARSE: "sparse file",
        }.get(member.type, f"type {member.type!r}")
        raise InvalidInput(f"unrecognized type in archive: {member.name!r} is a {kind}")
    if member.size < 0 or member.size > limits.max_file_size:
        raise InvalidInput(f"entry {member.name!r} declares an absurd size ({member.size} bytes)")
    if count >= limits.max_entries:
        raise InvalidInput(f"archive has more than {limits.max_entries} entries")


def _extract_file(
    target: _Target,
    parts: list[str],
    size: int,
    mode: int,
    src: IO[bytes],
    overwrite: bool,
    ignore_existing: bool,
    umask: int,
    cancel: CancelToken | None,
    on_bytes: Callable[[int], None] | None,
) -> int | None:
    """Write one file via a temp name in its directory; None if skipped because it existed."""
    name = parts[-1]
    shown = "/".join(parts)
    with target.open_dir(parts[:-1]) as dir_fd:
        try:
            st: os.stat_result | None = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        if st is not None:
            if stat.S_ISLNK(st.st_mode):
                raise PathOutsideRoot(f"refusing to replace symlink {shown!r} in the target")
            if ignore_existing:
                return None
            if not overwrite:
                raise Conflict(f"path {shown!r} already exists")
            if not stat.S_ISREG(st.st_mode):
                raise Conflict(f"path {shown!r} already exists and is not a regular file")
        tmp = f".{name[:100]}.kitlab-partial-{secrets.token_hex(6)}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(tmp, flags, 0o600, dir_fd=dir_fd)
        done = False
        try:
            written = 0
            with os.fdopen(fd, "wb") as out:
                while True:
                    if cancel is not None:
                        cancel.check()
                    chunk = src.read(CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    written += len(chunk)
                    if on_bytes is not None:
                        on_bytes(len(chunk))
                if written != size:
                    raise InvalidInput(
                        f"could not unpack file {shown!r}: expected {size} bytes, got {written}"
                    )
                os.fchmod(out.fileno(), (mode & 0o777) & ~umask)
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            done = True
        finally:
            if not done:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp, dir_fd=dir_fd)
    return written


_FALLBACK_UMASK: int | None = None


def _umask() -> int:
    """The current umask. Linux exposes it in /proc (read once per extraction); elsewhere it can only
    be read by setting it, which races with threads creating files, so that is done once per process."""
    global _FALLBACK_UMASK
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            line = next(line for line in status if line.startswith("Umask:"))
        return int(line.split()[1], 8)
    except (OSError, StopIteration, ValueError):
        if _FALLBACK_UMASK is None:
            _FALLBACK_UMASK = os.umask(0o022)
            os.umask(_FALLBACK_UMASK)
        return _FALLBACK_UMASK
