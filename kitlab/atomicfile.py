"""The one way kitlab replaces a small file: whole or not at all, never through a symlink.

Used for the store's index and manifests, Kitfiles and `.kitignore`, kit's `credentials.json`, the
job records, and the caches. The new content goes to a temporary file beside the target (so the
rename stays on one file system), is flushed and fsynced, and replaces the target with one
``rename(2)``; a crash leaves the old file or the new one, never a mix. The temporary name starts with a
dot and ends in ``.tmp``, so neither kit nor kitlab ever reads it as an index (kit scans for
``index.json`` and ``*-index.json``, see docs/kit-format.md).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

__all__ = ["fsync_dir", "write_atomically", "writer_alive"]


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Writers of large files ask the kernel to start writing back every this-many bytes, so their fsync
# waits for the last window only instead of the whole file.
WRITEBACK_WINDOW = 64 << 20


def start_writeback(fd: int, start: int, end: int) -> None:
    """Start (not wait for) writeback of bytes ``start..end`` of a file being written, so a later
    fsync waits only for what came after. On Linux ``POSIX_FADV_DONTNEED`` writes dirty pages back
    asynchronously and drops clean ones: a blob is a second copy of a model and would otherwise push
    the user's working set out of the page cache."""
    if hasattr(os, "posix_fadvise"):
        os.posix_fadvise(fd, start, end - start, os.POSIX_FADV_DONTNEED)


def write_atomically(path: Path, data: bytes | str, *, mode: int | None = None, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8, newlines untouched).

    ``mode``: the new file's permission bits; by default an existing file keeps its own and a new one
    gets 0666 minus the umask, as Go's ``os.WriteFile`` gives kit's files. ``durable``: fsync the file
    and its folder, so the write survives a power cut (caches pass False: losing one costs time only).
    A symlink at ``path`` is replaced by the file, never written through.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if mode is None:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            st = None
        mode = st.st_mode & 0o7777 if st is not None and stat.S_ISREG(st.st_mode) else _default_mode()
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)


def writer_alive(pid: int) -> bool:
    """Whether the process that left a temporary file named with its ``pid`` may still be writing it
    (the store and the staged unpack clean up only what a dead process left)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
