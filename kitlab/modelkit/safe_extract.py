"""Extract one layer tar into a directory without trusting the archive.

kit accepts only directories and regular files and keeps every path inside the target (docs/kit-format.md,
"Unpack"). This module enforces that and more, without relying on ``tarfile``'s extraction filters
(``tarfile`` is only used to *read* headers):

* only regular files (``0``/NUL) and directories (``5``); PAX ``x`` headers are consumed by the reader,
  a global PAX header, symlinks, hardlinks, devices, FIFOs, sparse and contiguous files are refused;
* names must be relative, free of ``..`` and NUL; every directory is opened with ``O_NOFOLLOW``
  relative to its parent's descriptor, so neither an archive entry nor a symlink already present in
  the target (or planted concurrently) can redirect a write outside it;
* duplicate entries, absurd sizes, too many entries, names nested too deep and decompression bombs are
  refused; ``open_layer_stream`` checks the blob's length against the manifest's declared size, caps
  what a compressed layer may expand to, and hashes the blob as it is read (a digest mismatch is an
  error);
* with ``within`` (the Kitfile entry's path) a layer may write only that path, what lies below it and
  its parent folders; nothing is ever written into a ``.git`` folder (such entries are reported);
* ``unpack`` extracts every layer into a ``Staging`` folder inside the destination, whose descriptor
  is held for the whole job, and moves it into place only when every layer verified: all or nothing
  (docs/hardening.md);
* an interrupted extraction never leaves a half-written file under a real name: outside a staging
  folder a file is written to a temporary name in its final directory and renamed into place only
  when complete; inside one (private, moved into view only by ``commit``) a new file is written in
  place;
* an uncompressed blob in the store is read in place: the kernel copies each file's bytes
  (``copy_file_range``) while a thread hashes the blob (``_VerifiedBlob``);
* existing files are never clobbered unless ``overwrite``; ``ignore_existing`` skips them instead;
* modes come from the headers without setuid/setgid/sticky, and the umask applies (directories keep
  owner ``rwx`` so the extraction can fill them).
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import os
import secrets
import stat
import sys
import tarfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import zstandard

from kitlab.atomicfile import writer_alive
from kitlab.errors import Conflict, InvalidInput, KitlabError, PathOutsideRoot
from kitlab.progress import CancelToken

CHUNK = 1 << 20
COPY_PIECE = 32 << 20  # in-kernel copies: progress and cancel checks between pieces (~10 ms each)
HASH_PIECE = 4 << 20  # the hashing thread's reads; hashlib releases the GIL on buffers this large
DIR_FDS = 64  # directory descriptors held open while extracting one layer
_NO_COPY_RANGE = (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP)
_FILE_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE)


@dataclass(frozen=True)
class ExtractLimits:
    """Refusal thresholds (docs/hardening.md, "What a kit may write").

    A compressed layer may expand to at most ``max_ratio`` times its declared (and checked) blob size,
    or ``ratio_min_bytes``, whichever is larger. Real layers stay far below: model weights compress
    ~1:1, CSV ~2.5:1, JSON and text ~10:1; deflate's ceiling is ~1032:1, so the 398 KB → 400 MB layer
    of issue 14 (1000:1) only lives near it. The cap is known before the first byte is read.
    """

    max_file_size: int = 1 << 40
    max_entries: int = 5_000_000
    max_depth: int = 256  # folders per entry name: the staging walks recurse that deep at most
    max_ratio: float = 200.0
    ratio_min_bytes: int = 64 << 20


class ExtractFailed(KitlabError):
    """The filesystem refused a write while extracting (not a problem with the archive's safety)."""

    code = "extract_failed"


@dataclass
class ExtractStats:
    files: int = 0
    dirs: int = 0
    bytes: int = 0
    skipped_existing: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # entries in a .git folder, never written


class _CountingReader:
    """Counts bytes read from ``raw``; refuses to yield more than ``cap`` bytes (``what`` says why:
    a blob longer than its declared size, or a layer expanding past its ratio cap)."""

    def __init__(
        self,
        raw: IO[bytes] | Any,
        limits: ExtractLimits | None = None,
        base: _CountingReader | None = None,
        hasher: Any = None,
        cap: int | None = None,
        what: str = "",
    ) -> None:
        self._raw = raw
        self._limits = limits
        self._base = base
        self._hasher = hasher
        self._cap = cap
        self._what = what
        self.count = 0

    def drain(self) -> None:
        """Read what the tar reader left (trailer, padding)."""
        while self.read(CHUNK):
            pass

    def digest(self) -> str:
        """``sha256:`` of everything read (only with a hasher)."""
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
        if self._cap is not None and self.count > self._cap:
            raise InvalidInput(self._what)
        if self._limits is not None and self._base is not None:
            limits = self._limits
            ratio_exceeded = self.count > limits.max_ratio * max(self._base.count, 1)
            if self.count > limits.ratio_min_bytes and ratio_exceeded:
                raise InvalidInput(
                    f"layer decompresses to more than {limits.max_ratio:g}× its size; refusing (possible "
                    "decompression bomb)"
                )
        return data


class _VerifiedBlob:
    """An uncompressed layer blob that is a regular file. ``safe_extract`` reads its tar headers in
    place and has the kernel copy each file's bytes from their offset (``copy_file_range``), while a
    thread hashes the whole file beside it: the bytes cross into Python only to be hashed, and hashing
    (the costliest step: ~1.5 GB/s) overlaps the copies on another core. ``read`` serves callers that
    want a plain stream (the SBOM)."""

    def __init__(self, blob: IO[bytes], fd: int, size: int) -> None:
        self.file = blob
        self.fd = fd
        self.size = size
        self.source_count = 0  # blob offset extraction reached (progress)
        self._stop = threading.Event()
        self._hashed = 0
        self._hexdigest = ""
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._hash, name="kitlab-verify", daemon=True)
        self._thread.start()

    def _hash(self) -> None:
        try:
            hasher = hashlib.sha256()
            buffer = bytearray(HASH_PIECE)
            view = memoryview(buffer)
            while not self._stop.is_set():
                n = os.preadv(self.fd, [buffer], self._hashed)
                if not n:
                    break
                hasher.update(view[:n])
                self._hashed += n
            self._hexdigest = hasher.hexdigest()
        except BaseException as exc:  # handed to the extracting thread by ``finish``
            self._failure = exc

    def read(self, n: int = -1) -> bytes:
        data = self.file.read(n)
        self.source_count += len(data)
        return data

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def finish(self) -> tuple[int, str]:
        """(bytes hashed, ``sha256:`` digest) once the thread read the whole file."""
        self._thread.join()
        if self._failure is not None:
            raise self._failure
        return self._hashed, "sha256:" + self._hexdigest


def _regular_fd(blob: IO[bytes]) -> tuple[int, int] | None:
    """(descriptor, size) of a blob that is a regular file; None for other streams."""
    try:
        fd = blob.fileno()
        st = os.fstat(fd)
    except (AttributeError, OSError, ValueError):
        return None
    return (fd, st.st_size) if stat.S_ISREG(st.st_mode) else None


@contextlib.contextmanager
def _verified_blob(blob: IO[bytes], fd: int, size: int, expected_digest: str) -> Iterator[_VerifiedBlob]:
    source = _VerifiedBlob(blob, fd, size)
    try:
        yield source
    except BaseException:
        source.stop()
        raise
    hashed, actual = source.finish()
    if actual != expected_digest:
        raise InvalidInput(f"layer blob is corrupt: expected {expected_digest}, read {actual}")
    if hashed != size:  # pragma: no cover - the file changed size under us
        raise InvalidInput(f"layer blob has {hashed} bytes but its manifest declares {size}")


@contextlib.contextmanager
def open_layer_stream(
    blob: IO[bytes],
    compression: str,
    limits: ExtractLimits | None = None,
    *,
    expected_digest: str | None = None,
    declared_size: int | None = None,
) -> Iterator[_CountingReader | _VerifiedBlob]:
    """Uncompressed tar stream of a layer blob (``none``, ``gzip`` or ``zstd``), with the ratio guard.

    With ``expected_digest`` the blob is hashed as it is read and checked when the block ends without
    error, so a corrupted blob is reported (``unpack`` extracts into a staging folder, so nothing of
    it reaches the destination). With ``declared_size`` (the manifest's), a blob of another length is
    refused before anything is read, and the uncompressed stream is capped at
    ``max(ratio_min_bytes, max_ratio × declared_size)``. An uncompressed blob that is a regular file
    comes as a ``_VerifiedBlob`` (copied in the kernel, hashed on a thread).
    """
    limits = limits or ExtractLimits()
    cap: int | None = None
    if declared_size is not None:
        _check_blob_size(blob, declared_size)
        cap = max(limits.ratio_min_bytes, int(limits.max_ratio * declared_size))
    regular = _regular_fd(blob) if compression == "none" and expected_digest is not None else None
    if regular is not None and declared_size is not None:
        with _verified_blob(blob, regular[0], regular[1], expected_digest or "") as source:
            yield source
        return
    raw = _CountingReader(
        blob,
        hasher=hashlib.sha256() if expected_digest else None,
        cap=declared_size,
        what=f"layer blob is longer than its declared size of {declared_size} bytes",
    )
    decoder: Any = None
    if compression == "gzip":
        decoder = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[call-overload]
    elif compression == "zstd":
        decoder = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=False)  # type: ignore[arg-type]
    elif compression != "none":
        raise InvalidInput(f"unsupported layer compression {compression!r}")
    expanded = (
        f"layer expands to more than {cap} bytes ({limits.max_ratio:g}× its {declared_size}-byte blob); "
        "refusing it as a possible decompression bomb"
    )
    try:
        # With a declared size the total is capped up front; the running ratio check is only for
        # streams of unknown size (it would refuse a real layer whose first file is mostly zeros).
        running = limits if declared_size is None else None
        yield raw if decoder is None else _CountingReader(decoder, running, raw, cap=cap, what=expanded)
    finally:
        if decoder is not None:
            decoder.close()
    if expected_digest is not None or declared_size is not None:
        raw.drain()
    if expected_digest is not None:
        actual = raw.digest()
        if actual != expected_digest:
            raise InvalidInput(f"layer blob is corrupt: expected {expected_digest}, read {actual}")
    if declared_size is not None and raw.count != declared_size:
        raise InvalidInput(f"layer blob has {raw.count} bytes but its manifest declares {declared_size}")


def _check_blob_size(blob: IO[bytes], declared: int) -> None:
    """A store blob whose length differs from the manifest's descriptor is refused up front."""
    try:
        actual = os.fstat(blob.fileno()).st_size
    except (AttributeError, OSError, ValueError):  # not a file (a test stream): counted while read
        return
    if actual != declared:
        raise InvalidInput(f"layer blob has {actual} bytes but its manifest declares {declared}")


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


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
STAGING_PREFIX = ".kitlab-unpack-"


def is_git_path(parts: list[str]) -> bool:
    """Whether a path lies in a ``.git`` folder (any case: macOS and Windows fold it). A kit never
    writes there: hooks and ``core.fsmonitor`` run code on the next ``git`` command (issue 14)."""
    return any(part.casefold() == ".git" for part in parts)


def _lstat_at(dir_fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


class _Target:
    """A directory held open by descriptor (borrowed, not closed here); everything below it is walked
    component by component with ``O_NOFOLLOW``, so swapping the folder or any of its subfolders for a
    symlink mid-job cannot redirect a write."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @contextlib.contextmanager
    def open_dir(self, parts: list[str], create_mode: int = 0o755) -> Iterator[int]:
        """Descriptor of ``root/parts``; missing directories are created, symlinks refused."""
        fd = os.dup(self.fd)
        try:
            for index, part in enumerate(parts):
                shown = "/".join(parts[: index + 1])
                st = _lstat_at(fd, part)
                if st is None:
                    os.mkdir(part, create_mode, dir_fd=fd)
                    st = os.stat(part, dir_fd=fd, follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    raise PathOutsideRoot(f"refusing to extract through symlink {shown!r} in the target")
                if not stat.S_ISDIR(st.st_mode):
                    raise Conflict(f"path {shown!r} already exists and is not a directory")
                try:
                    child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:  # replaced by a symlink between stat and open: ELOOP
                    raise PathOutsideRoot(f"refusing to extract through {shown!r}: {exc.strerror}") from exc
                os.close(fd)
                fd = child
            yield fd
        finally:
            os.close(fd)


def _open_dest(dest: Path, root: Path | None) -> tuple[int, bool]:
    """Open (creating it if missing) the destination folder once; returns (descriptor, created).

    Without ``root`` the destination is the caller's choice and may be reached through symlinks. With
    ``root`` (the server's workspace) it is walked from ``root`` with ``O_NOFOLLOW``: a folder swapped
    for a symlink after the request was checked is refused, not followed.
    """
    created = not os.path.lexists(dest)
    if root is None:
        dest.mkdir(parents=True, exist_ok=True)
        return os.open(dest, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)), created
    real_root = root.resolve()
    absolute = Path(os.path.abspath(dest))
    try:
        rel = absolute.relative_to(real_root)
    except ValueError:
        raise PathOutsideRoot(f"{dest} is outside the workspace") from None
    fd = os.open(real_root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        with _Target(fd).open_dir(list(rel.parts)) as dest_fd:
            return os.dup(dest_fd), created
    finally:
        os.close(fd)


class Staging:
    """A hidden folder inside the destination that a whole unpack fills; ``commit`` moves its content
    into place only when every layer was verified, so a refused entry, a corrupt blob or a cancel
    leaves the destination as it was (docs/hardening.md).

    The destination's descriptor is held for the whole job. Existing files are checked while staging
    (with kit's overwrite / ignore-existing rules), so ``commit`` is a series of renames that only a
    concurrent writer can make fail. Folders missing from the destination are moved in whole.
    """

    def __init__(
        self, dest: Path, *, root: Path | None = None, overwrite: bool = False, ignore_existing: bool = False
    ) -> None:
        self.dest = dest
        self.overwrite = overwrite
        self.ignore_existing = ignore_existing
        try:
            self.dest_fd, self._created_dest = _open_dest(dest, root)
        except OSError as exc:  # a file where the folder should be, no permission …
            raise ExtractFailed(f"cannot open the destination {dest}: {exc.strerror or exc}") from exc
        try:
            self._sweep()
            self.name = f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(6)}"
            os.mkdir(self.name, 0o700, dir_fd=self.dest_fd)
            self.fd = os.open(self.name, _DIR_FLAGS, dir_fd=self.dest_fd)
        except BaseException:
            os.close(self.dest_fd)
            raise
        self.target = _Target(self.fd)
        self._dirs: dict[tuple[str, ...], bool] = {}
        self._open = True

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc_type is not None:
            self.discard()
        self.close()

    def _sweep(self) -> None:
        """Remove staging folders of unpacks whose process died (kill -9); the pid is in the name."""
        with os.scandir(self.dest_fd) as entries:
            stale = [e.name for e in entries if e.name.startswith(STAGING_PREFIX)]
        for name in stale:
            pid = name.removeprefix(STAGING_PREFIX).split("-", 1)[0]
            if pid.isdigit() and not writer_alive(int(pid)):
                with contextlib.suppress(OSError):
                    _rmtree_at(self.dest_fd, name)

    def _dirs_exist(self, parts: list[str]) -> bool:
        """Whether ``dest/parts`` exists as real folders; a symlink or a file on the way is refused."""
        for index in range(1, len(parts) + 1):
            key = tuple(parts[:index])
            state = self._dirs.get(key)
            if state is None:
                shown = "/".join(key)
                st = _lstat_at(self.dest_fd, shown)
                if st is not None and stat.S_ISLNK(st.st_mode):
                    raise PathOutsideRoot(f"refusing to extract through symlink {shown!r} in the target")
                if st is not None and not stat.S_ISDIR(st.st_mode):
                    raise Conflict(f"path {shown!r} already exists and is not a directory")
                state = self._dirs[key] = st is not None
            if not state:
                return False
        return True

    def existing(self, parts: list[str]) -> os.stat_result | None:
        """lstat of ``dest/parts`` (the file an entry would replace), None when it does not exist."""
        if not self._dirs_exist(parts[:-1]):
            return None
        return _lstat_at(self.dest_fd, "/".join(parts))

    def commit(self) -> None:
        """Move everything staged into the destination, then remove the staging folder."""
        self._merge(self.fd, self.dest_fd, [])
        os.close(self.fd)
        self._open = False
        _rmtree_at(self.dest_fd, self.name)

    def _merge(self, src_fd: int, dst_fd: int, prefix: list[str]) -> None:
        with os.scandir(src_fd) as it:
            entries = sorted((e.name, e.is_dir(follow_symlinks=False)) for e in it)
        for name, is_dir in entries:
            shown = "/".join([*prefix, name])
            st = _lstat_at(dst_fd, name)
            if st is not None and stat.S_ISLNK(st.st_mode):
                raise PathOutsideRoot(f"refusing to replace symlink {shown!r} in the target")
            if is_dir:
                if st is None:
                    os.rename(name, name, src_dir_fd=src_fd, dst_dir_fd=dst_fd)
                    continue
                if not stat.S_ISDIR(st.st_mode):
                    raise Conflict(f"path {shown!r} already exists and is not a directory")
                sub_src = os.open(name, _DIR_FLAGS, dir_fd=src_fd)
                try:
                    sub_dst = os.open(name, _DIR_FLAGS, dir_fd=dst_fd)
                    try:
                        self._merge(sub_src, sub_dst, [*prefix, name])
                    finally:
                        os.close(sub_dst)
                finally:
                    os.close(sub_src)
                continue
            if st is not None:  # appeared since it was checked while staging
                if self.ignore_existing:
                    continue
                if not self.overwrite:
                    raise Conflict(f"path {shown!r} already exists")
                if not stat.S_ISREG(st.st_mode):
                    raise Conflict(f"path {shown!r} already exists and is not a regular file")
            os.replace(name, name, src_dir_fd=src_fd, dst_dir_fd=dst_fd)

    def discard(self) -> None:
        """Remove the staging folder (and the destination, when this unpack created it and it is empty)."""
        with contextlib.suppress(OSError):
            _rmtree_at(self.dest_fd, self.name)
        if self._created_dest:
            with contextlib.suppress(OSError):
                os.rmdir(self.dest)

    def close(self) -> None:
        if self._open:
            os.close(self.fd)
            self._open = False
        if self.dest_fd >= 0:
            os.close(self.dest_fd)
            self.dest_fd = -1


def _rmtree_at(parent_fd: int, name: str) -> None:
    """``rm -r parent/name`` through descriptors, never following a symlink (``shutil.rmtree`` takes
    ``dir_fd`` only from Python 3.11). Depth is bounded by ``ExtractLimits.max_depth``."""
    st = _lstat_at(parent_fd, name)
    if st is None:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(name, dir_fd=parent_fd)
        return
    fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    try:
        with os.scandir(fd) as it:
            entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
        for child, is_dir in entries:
            if is_dir:
                _rmtree_at(fd, child)
            else:
                os.unlink(child, dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent_fd)


def _check_within(member: tarfile.TarInfo, parts: list[str], allowed: list[str], within: str) -> None:
    """A layer holds its Kitfile entry's path, what lies below it, and that path's parent folders."""
    if parts[: len(allowed)] == allowed:
        return
    if member.type == tarfile.DIRTYPE and allowed[: len(parts)] == parts:
        return
    raise PathOutsideRoot(
        f"the layer for {within!r} holds {member.name!r}, outside that path; refusing the kit "
        "(a layer may only write its own Kitfile entry)"
    )


class _DirFds:
    """Descriptors of the folders one extraction writes into, opened once each (walked with
    ``O_NOFOLLOW`` by ``_Target.open_dir``) instead of once per file; at most ``DIR_FDS`` are held."""

    def __init__(self, target: _Target) -> None:
        self._target = target
        self._fds: dict[tuple[str, ...], int] = {}

    def get(self, parts: list[str]) -> int:
        key = tuple(parts)
        fd = self._fds.get(key)
        if fd is None:
            if len(self._fds) >= DIR_FDS:
                self.close()
            with self._target.open_dir(parts) as opened:
                fd = self._fds[key] = os.dup(opened)
        return fd

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()


@contextlib.contextmanager
def _target_for(
    dest: Path | Staging,
) -> Iterator[tuple[_Target, _DirFds, Callable[[list[str]], Any] | None]]:
    """(where to write, its folders' descriptors, how to find the file an entry would replace in the
    real destination — only when writing into a ``Staging``)."""
    if isinstance(dest, Staging):
        dirs = _DirFds(dest.target)
        try:
            yield dest.target, dirs, dest.existing
        finally:
            dirs.close()
        return
    fd, _ = _open_dest(Path(dest), None)
    target = _Target(fd)
    dirs = _DirFds(target)
    try:
        yield target, dirs, None
    finally:
        dirs.close()
        os.close(fd)


_BLOCK = tarfile.BLOCKSIZE
_ZERO_BLOCK = bytes(_BLOCK)
_SIMPLE_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE)
_USTAR_MAGICS = (tarfile.POSIX_MAGIC, tarfile.GNU_MAGIC)


def _members(
    source: IO[bytes] | _CountingReader | _VerifiedBlob,
) -> Iterator[tuple[tarfile.TarInfo, tarfile.TarFile | None]]:
    """Each entry of a layer, with the ``TarFile`` that read it (None when read by ``_plain_header``).

    A stream is read by ``tarfile`` alone. In a ``_VerifiedBlob`` a plain header (a ustar file or folder:
    what kit writes for names up to 255 bytes) is decoded here at its offset, without ``tarfile``'s
    per-field work; any other one (PAX or GNU extensions, base-256 numbers, a bad checksum, the end) is
    handed to ``tarfile`` from that offset, so what is accepted or refused is ``tarfile``'s decision.
    """
    if not isinstance(source, _VerifiedBlob):
        with tarfile.open(fileobj=source, mode="r|") as archive:  # type: ignore[call-overload]
            for member in archive:
                archive.members.clear()  # nothing looks back: memory stays flat whatever the count
                yield member, archive
        return
    offset = 0
    while True:
        block = os.pread(source.fd, _BLOCK, offset)
        member = _plain_header(block, offset)
        if member is None:
            source.file.seek(offset)
            with tarfile.open(fileobj=source.file, mode="r:") as archive:
                member = archive.next()
                if member is None:
                    return
                yield member, archive
                offset = archive.offset
            continue
        yield member, None
        # Like tarfile, only a file's data is skipped (a folder's declared size is not).
        offset = member.offset_data + (-(-member.size // _BLOCK) * _BLOCK if member.isreg() else 0)


def _plain_header(block: bytes, offset: int) -> tarfile.TarInfo | None:
    """The entry a plain ustar header describes, decoded exactly as ``tarfile.TarInfo.frombuf`` does;
    None for anything else (including the zero block that ends the archive)."""
    kind = block[156:157]
    if len(block) != _BLOCK or kind not in _SIMPLE_TYPES or block[257:265] not in _USTAR_MAGICS:
        return None
    if block[124] & 0x80 or block == _ZERO_BLOCK:  # base-256 size
        return None
    try:
        checksum = int(_field(block[148:156]).strip() or "0", 8)
        size = int(_field(block[124:136]).strip() or "0", 8)
        mode = int(_field(block[100:108]).strip() or "0", 8)
    except ValueError:
        return None
    if checksum != 256 + sum(block[:148]) + sum(block[156:]):  # the checksum field counts as spaces
        return None
    encoding = sys.getfilesystemencoding()
    name = _field(block[0:100], encoding)
    prefix = _field(block[345:500], encoding)
    if kind == tarfile.AREGTYPE and name.endswith("/"):
        kind = tarfile.DIRTYPE
    if kind == tarfile.DIRTYPE:
        name = name.rstrip("/")
    if prefix:
        name = prefix + "/" + name
    member = tarfile.TarInfo(name)
    member.type, member.mode, member.size = kind, mode, size
    member.offset, member.offset_data = offset, offset + _BLOCK
    return member


def _field(raw: bytes, encoding: str = "ascii") -> str:
    """``tarfile.nts``: up to the first NUL, decoded as ``tarfile`` decodes names."""
    end = raw.find(b"\0")
    return (raw if end == -1 else raw[:end]).decode(encoding, "surrogateescape")


def safe_extract(
    tar_stream: IO[bytes] | _CountingReader | _VerifiedBlob,
    dest: Path | Staging,
    *,
    overwrite: bool = False,
    ignore_existing: bool = False,
    limits: ExtractLimits | None = None,
    cancel: CancelToken | None = None,
    on_bytes: Callable[[int], None] | None = None,
    subdir: str = "",
    within: str | None = None,
) -> ExtractStats:
    """Extract an uncompressed tar stream into ``dest`` (a folder, created if missing, or a ``Staging``
    of an unpack). See the module docstring.

    ``subdir`` (relative, validated like entry names) is prepended to every entry; pre-1.0 kits need it.
    ``within`` (the Kitfile entry's path) confines the entries: anything else is refused. Entries in a
    ``.git`` folder are never written; they are listed in ``ExtractStats.refused``.
    """
    limits = limits or ExtractLimits()
    prefix = _split_name(subdir)
    allowed = _split_name(within) if within is not None else None
    stats = ExtractStats()
    seen: set[tuple[str, ...]] = set()
    umask = _umask()
    current = ""
    with _target_for(dest) as (target, dirs, dest_existing):
        try:
            for member, archive in _members(tar_stream):
                current = member.name
                if cancel is not None:
                    cancel.check()
                _check_member(archive, member, limits, len(seen))
                parts = prefix + _split_name(member.name)
                if len(parts) > limits.max_depth:
                    raise InvalidInput(
                        f"entry {member.name[:200]!r}… is nested more than {limits.max_depth} deep"
                    )
                key = tuple(parts)
                if key in seen:
                    raise InvalidInput(f"duplicate entry in archive: {member.name!r}")
                seen.add(key)
                if allowed is not None and within is not None:
                    _check_within(member, parts, allowed, within)
                if is_git_path(parts):
                    stats.refused.append("/".join(parts))
                    continue
                if member.type == tarfile.DIRTYPE:
                    if parts:
                        if isinstance(dest, Staging):
                            dest._dirs_exist(parts)  # a file or symlink there: refused now, not at commit
                        dir_mode = (member.mode & 0o777) | 0o700  # mkdir applies the umask
                        with target.open_dir(parts, create_mode=dir_mode):
                            pass
                    stats.dirs += 1
                    continue
                if len(parts) == len(prefix):
                    raise InvalidInput(f"illegal file entry {member.name!r} in archive")
                fill = _member_fill(archive, member, tar_stream, cancel, on_bytes)
                written = _extract_file(
                    dirs,
                    parts,
                    member.size,
                    member.mode,
                    fill,
                    overwrite,
                    ignore_existing,
                    umask,
                    dest_existing,
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


def _member_fill(
    archive: tarfile.TarFile | None,
    member: tarfile.TarInfo,
    source: IO[bytes] | _CountingReader | _VerifiedBlob,
    cancel: CancelToken | None,
    on_bytes: Callable[[int], None] | None,
) -> Callable[[int], int]:
    """How to write one member's bytes into a descriptor (returns the count written)."""
    if isinstance(source, _VerifiedBlob):
        return lambda out: _copy_range(source, member.offset_data, member.size, out, cancel, on_bytes)
    src = archive.extractfile(member) if archive is not None else None
    if src is None:  # pragma: no cover - only for non-regular members, refused above
        raise InvalidInput(f"cannot read {member.name!r}")
    return lambda out: _copy_stream(src, out, cancel, on_bytes)


def _copy_stream(
    src: IO[bytes] | _CountingReader,
    out: int,
    cancel: CancelToken | None,
    on_bytes: Callable[[int], None] | None,
) -> int:
    written = 0
    while True:
        if cancel is not None:
            cancel.check()
        chunk = src.read(CHUNK)
        if not chunk:
            return written
        view = memoryview(chunk)
        while view:
            view = view[os.write(out, view) :]
        written += len(chunk)
        if on_bytes is not None:
            on_bytes(len(chunk))


def _copy_range(
    source: _VerifiedBlob,
    offset: int,
    size: int,
    out: int,
    cancel: CancelToken | None,
    on_bytes: Callable[[int], None] | None,
) -> int:
    """Copy ``size`` bytes at ``offset`` of the blob into ``out`` in the kernel: ``copy_file_range``
    (no copy through user space; a reflink where the filesystem shares extents), else ``sendfile``."""
    done = 0
    while done < size:
        if cancel is not None:
            cancel.check()
        n = min(COPY_PIECE, size - done)
        try:
            got = os.copy_file_range(source.fd, out, n, offset + done)
        except OSError as exc:
            if exc.errno not in _NO_COPY_RANGE:
                raise
            got = os.sendfile(out, source.fd, offset + done, n)
        if not got:  # the blob ended inside the member
            break
        done += got
        source.source_count = offset + done
        if on_bytes is not None:
            on_bytes(got)
    return done


def safe_write_file(
    src: IO[bytes] | _CountingReader | _VerifiedBlob,
    dest: Path | Staging,
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
    (used for raw layers and the Kitfile). Returns the bytes written, or None if skipped because it
    existed."""
    parts = _split_name(relpath)
    if not parts:
        raise InvalidInput(f"illegal file path {relpath!r}")
    if is_git_path(parts):
        raise PathOutsideRoot(f"refusing to write {relpath!r}: nothing is ever written into a .git folder")

    def fill(out: int) -> int:
        if isinstance(src, _VerifiedBlob):
            return _copy_range(src, 0, size, out, cancel, on_bytes)
        return _copy_stream(src, out, cancel, on_bytes)

    with _target_for(dest) as (_target, dirs, dest_existing):
        try:
            return _extract_file(
                dirs, parts, size, mode, fill, overwrite, ignore_existing, _umask(), dest_existing
            )
        except OSError as exc:
            raise ExtractFailed(f"failed to write {relpath!r}: {exc.strerror or exc}") from exc


def _check_member(
    archive: tarfile.TarFile | None, member: tarfile.TarInfo, limits: ExtractLimits, count: int
) -> None:
    if archive is not None and archive.pax_headers:
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


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _extract_file(
    dirs: _DirFds,
    parts: list[str],
    size: int,
    mode: int,
    fill: Callable[[int], int],
    overwrite: bool,
    ignore_existing: bool,
    umask: int,
    dest_existing: Callable[[list[str]], os.stat_result | None] | None = None,
) -> int | None:
    """Write one file; None if skipped because it existed.

    When staging (``dest_existing`` given), the file it would replace is looked for in the staging
    folder (an earlier layer) and then in the real destination, with the same rules. A new name in the
    staging folder is written in place: the folder is ours, and only ``commit`` moves it into view, so
    a half-written file can never show. Anywhere else (and to replace a staged file) the file is
    written to a temp name in its directory and renamed over the real one when complete.
    """
    name = parts[-1]
    shown = "/".join(parts)
    dir_fd = dirs.get(parts[:-1])
    st = dest_existing(parts) if dest_existing is not None else None
    if st is None and dest_existing is not None:
        try:  # the common case, no temp name: a new file in the staging folder
            fd = os.open(name, _CREATE, mode & 0o777, dir_fd=dir_fd)
        except FileExistsError:
            pass
        else:
            return _fill_file(fd, dir_fd, name, name, size, shown, fill)
    if st is None:
        st = _lstat_at(dir_fd, name)
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
    fd = os.open(tmp, _CREATE, 0o600, dir_fd=dir_fd)
    os.fchmod(fd, (mode & 0o777) & ~umask)
    return _fill_file(fd, dir_fd, tmp, name, size, shown, fill)


def _fill_file(
    fd: int, dir_fd: int, written_as: str, name: str, size: int, shown: str, fill: Callable[[int], int]
) -> int:
    """Fill the just-created ``written_as`` and give it its ``name``; removed if anything fails."""
    done = False
    try:
        try:
            written = fill(fd)
        finally:
            os.close(fd)
        if written != size:
            raise InvalidInput(f"could not unpack file {shown!r}: expected {size} bytes, got {written}")
        if written_as != name:
            os.replace(written_as, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        done = True
    finally:
        if not done:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(written_as, dir_fd=dir_fd)
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
