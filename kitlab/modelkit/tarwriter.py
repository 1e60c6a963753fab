"""A tar writer that produces the same bytes as Go's ``archive/tar`` does for ``kit pack``.

kit builds each header with ``tar.FileInfoHeader`` and then sanitises it (zero times, uid 1000, gid 0,
no user/group names, name relative to the context without a trailing ``/``). Go then picks USTAR when
the header fits, else PAX. This module re-implements exactly those encoding decisions, because layer
digests — and therefore ModelKit identity — depend on every byte. Python's ``tarfile`` differs from Go
(PAX header names, prefix split, devmajor bytes, trailing ``/``, record padding), so it is not used.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, BinaryIO, Protocol

from kitlab.errors import Conflict, InvalidInput
from kitlab.progress import CancelToken

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

BLOCK_SIZE = 512
CHUNK_SIZE = 8 * 1024 * 1024
KIT_UID = 1000
KIT_GID = 0
TYPE_REG = ord("0")
TYPE_DIR = ord("5")
TYPE_PAX = ord("x")

_NAME_SIZE = 100
_PREFIX_SIZE = 155
_ZERO_BLOCK = bytes(BLOCK_SIZE)


class Sink(Protocol):
    def write(self, data: bytes | bytearray | memoryview, /) -> object: ...


class FileChangedWhilePacking(Conflict):
    """A file's size on disk no longer matches the size its tar header announced."""


def _fits_in_octal(width: int, value: int) -> bool:
    return value >= 0 and (width >= 22 or value < 1 << ((width - 1) * 3))


def _put_string(block: bytearray, offset: int, width: int, value: bytes) -> None:
    """Go's ``formatter.formatString``: copy what fits, NUL-terminate when short, never a cut-off ``/``."""
    block[offset : offset + min(len(value), width)] = value[:width]
    if len(value) < width:
        block[offset + len(value)] = 0
    if len(value) > width and block[offset + width - 1] == ord("/"):
        # Go replaces a trailing slash left by truncation with NUL so readers don't see a directory.
        kept = len(value[: width - 1].rstrip(b"/"))
        block[offset + kept] = 0


def _put_octal(block: bytearray, offset: int, width: int, value: int) -> None:
    """Go's ``formatter.formatOctal``: zero-padded, leaving room for a NUL; 0 when it does not fit."""
    if not _fits_in_octal(width, value):
        value = 0
    digits = format(value, "o").encode()
    pad = width - len(digits) - 1
    if pad > 0:
        digits = b"0" * pad + digits
    _put_string(block, offset, width, digits)


def _finish(block: bytearray) -> bytes:
    """Set USTAR magic/version and the checksum (6 octal digits, NUL, space) as Go's ``setFormat`` does."""
    block[257:263] = b"ustar\x00"
    block[263:265] = b"00"
    checksum = sum(block[:148]) + 8 * ord(" ") + sum(block[156:])
    _put_octal(block, 148, 7, checksum)
    block[155] = ord(" ")
    return bytes(block)


def _is_ascii(name: bytes) -> bool:
    return all(0 < b < 0x80 for b in name)


def _to_ascii(name: bytes) -> bytes:
    # Go ranges over runes; every byte of a multi-byte or invalid sequence decodes to a rune >= 0x80.
    return bytes(b for b in name if 0 < b < 0x80)


def split_ustar_path(name: bytes) -> tuple[bytes, bytes] | None:
    """Go's ``splitUSTARPath``: the longest prefix ≤ 155 bytes ending at '/' with a suffix ≤ 100."""
    length = len(name)
    if length <= _NAME_SIZE or not _is_ascii(name):
        return None
    if length > _PREFIX_SIZE + 1:
        length = _PREFIX_SIZE + 1
    elif name[length - 1] == ord("/"):
        length -= 1
    i = name.rfind(b"/", 0, length)
    suffix_len = len(name) - i - 1
    if i <= 0 or suffix_len > _NAME_SIZE or suffix_len == 0 or i > _PREFIX_SIZE:
        return None
    return name[:i], name[i + 1 :]


def _go_path_clean(path: bytes) -> bytes:
    """Go's ``path.Clean`` (slash-only, lexical)."""
    if not path:
        return b"."
    rooted = path.startswith(b"/")
    parts: list[bytes] = []
    for part in path.split(b"/"):
        if part in (b"", b"."):
            continue
        if part == b"..":
            if parts and parts[-1] != b"..":
                parts.pop()
            elif not rooted:
                parts.append(part)
            continue
        parts.append(part)
    cleaned = b"/".join(parts)
    if rooted:
        return b"/" + cleaned
    return cleaned or b"."


def _pax_record(key: bytes, value: bytes) -> bytes:
    """Go's ``formatPAXRecord``: "<len> key=value\\n" where <len> counts itself."""
    size = len(key) + len(value) + 3
    size += len(str(size))
    record = str(size).encode() + b" " + key + b"=" + value + b"\n"
    if len(record) != size:
        size = len(record)
        record = str(size).encode() + b" " + key + b"=" + value + b"\n"
    return record


def _pax_extended_header(name: bytes, records: dict[bytes, bytes]) -> bytes:
    """The 'x' entry Go writes before a PAX header: its own minimal header plus the padded records."""
    data = b"".join(_pax_record(key, records[key]) for key in sorted(records))
    head, _, base = name.rpartition(b"/")
    ext_name = _go_path_clean((head + b"/" if head else b"") + b"PaxHeaders.0/" + base)
    ext_name = _to_ascii(ext_name)[:_NAME_SIZE].rstrip(b"/")
    block = bytearray(BLOCK_SIZE)
    block[156] = TYPE_PAX
    _put_string(block, 0, 100, ext_name)
    _put_octal(block, 100, 8, 0)  # mode
    _put_octal(block, 108, 8, 0)  # uid
    _put_octal(block, 116, 8, 0)  # gid
    _put_octal(block, 124, 12, len(data))
    _put_octal(block, 136, 12, 0)  # mtime
    # devmajor/devminor stay all-NUL here: Go's writeRawFile does not format them.
    return _finish(block) + data + bytes(_padding(len(data)))


def _padding(size: int) -> int:
    return -size % BLOCK_SIZE


def entry_header(name: str | bytes, *, mode: int, size: int, is_dir: bool) -> bytes:
    """Header bytes kit writes for one entry: 512 bytes (USTAR) or 1536+ bytes (PAX extended + main).

    ``name`` is the context-relative path without a trailing '/'; ``mode`` the permission bits plus
    setuid/setgid/sticky. Directories always have size 0.
    """
    raw_name = os.fsencode(name) if isinstance(name, str) else name
    if not raw_name or b"\x00" in raw_name:
        raise InvalidInput(f"invalid tar entry name {raw_name!r}")
    if mode < 0 or mode > 0o7777:
        raise InvalidInput(f"invalid tar entry mode {mode:o}")
    if size < 0:
        raise InvalidInput(f"invalid tar entry size {size}")
    if is_dir:
        size = 0

    # Go's Header.allowedFormats for the fields kit sets: only the name and the size can overflow USTAR.
    pax: dict[bytes, bytes] = {}
    ustar_ok = True
    split = None
    if not _is_ascii(raw_name) or len(raw_name) > _NAME_SIZE:
        pax[b"path"] = raw_name
        split = split_ustar_path(raw_name)
        ustar_ok = split is not None
    if not _fits_in_octal(12, size):
        pax[b"size"] = str(size).encode()
        ustar_ok = False

    block = bytearray(BLOCK_SIZE)
    block[156] = TYPE_DIR if is_dir else TYPE_REG
    if ustar_ok:
        prefix, short_name = split if split is not None else (b"", raw_name)
        _put_string(block, 0, 100, short_name)
        _put_string(block, 345, 155, prefix)
        extended = b""
    else:
        _put_string(block, 0, 100, _to_ascii(raw_name))
        extended = _pax_extended_header(raw_name, pax)
    _put_octal(block, 100, 8, mode)
    _put_octal(block, 108, 8, KIT_UID)
    _put_octal(block, 116, 8, KIT_GID)
    _put_octal(block, 124, 12, size)
    _put_octal(block, 136, 12, 0)  # mtime: kit zeroes it, Go writes the Unix epoch
    # uname/gname are empty strings: formatString writes a single NUL, i.e. the field stays zero.
    _put_octal(block, 329, 8, 0)  # devmajor
    _put_octal(block, 337, 8, 0)  # devminor
    return extended + _finish(block)


class TarWriter:
    """Streams a kit-identical tar to ``sink``; call ``close()`` to write the two-block trailer."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._closed = False
        self.bytes_written = 0

    def _write(self, data: bytes | bytearray | memoryview) -> None:
        self._sink.write(data)
        self.bytes_written += len(data)

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidInput("tar writer already closed")

    def add_dir(self, name: str | bytes, mode: int) -> None:
        self._check_open()
        self._write(entry_header(name, mode=mode, size=0, is_dir=True))

    def add_file(
        self,
        name: str | bytes,
        mode: int,
        size: int,
        src: BinaryIO,
        *,
        on_bytes: Callable[[int], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        """Write a regular file of exactly ``size`` bytes read from ``src`` in 8 MiB chunks.

        Raises ``FileChangedWhilePacking`` if ``src`` ends early or has more data: the header already
        promised ``size`` bytes, so the archive would be corrupt (kit fails in the same situation).
        """
        self._check_open()
        self._write(entry_header(name, mode=mode, size=size, is_dir=False))
        with contextlib.closing(_read_exactly(src, size, name, cancel)) as chunks:
            for chunk in chunks:
                self._write(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
        if src.read(1):
            raise FileChangedWhilePacking(
                f"{_display(name)} grew while packing: expected {size} bytes",
                details={"name": _display(name), "expected": size},
            )
        pad = _padding(size)
        if pad:
            self._write(_ZERO_BLOCK[:pad])

    def close(self) -> None:
        """Write the end-of-archive marker: exactly two zero blocks, no record padding (like Go)."""
        if self._closed:
            return
        self._write(_ZERO_BLOCK)
        self._write(_ZERO_BLOCK)
        self._closed = True


def _read_exactly(
    src: BinaryIO, size: int, name: str | bytes, cancel: CancelToken | None
) -> Generator[memoryview, None, None]:
    """Yield ``size`` bytes of ``src`` in chunks of up to 8 MiB.

    A file larger than one chunk is read ahead on a helper thread into a second buffer while the
    caller hashes and writes the current one (reads release the GIL), so reading costs no wall
    time on a multi-core machine. Each yielded view is valid until the next one is requested.
    """
    pool: ThreadPoolExecutor | None = None
    if size > CHUNK_SIZE:
        from concurrent.futures import ThreadPoolExecutor  # it loads logging; small files never need it

        pool = ThreadPoolExecutor(1, thread_name_prefix="kitlab-read")
    views = [memoryview(bytearray(min(CHUNK_SIZE, max(size, 1)))) for _ in range(2 if pool else 1)]

    def read(i: int, want: int) -> int:
        return _read_into(src, views[i][:want])

    try:
        remaining, i = size, 0
        ahead: Future[int] | None = None
        while remaining > 0:
            if cancel is not None:
                cancel.check()
            want = min(remaining, CHUNK_SIZE)
            got = ahead.result() if ahead is not None else read(i, want)
            ahead = None
            if not got:
                raise FileChangedWhilePacking(
                    f"{_display(name)} shrank while packing: expected {size} bytes, got {size - remaining}",
                    details={"name": _display(name), "expected": size, "read": size - remaining},
                )
            remaining -= got
            if pool is not None and remaining > 0:
                ahead = pool.submit(read, 1 - i, min(remaining, CHUNK_SIZE))
            yield views[i][:got]
            if pool is not None:
                i = 1 - i
    finally:
        if pool is not None:
            pool.shutdown()


def _read_into(src: BinaryIO, view: memoryview) -> int:
    """Fill ``view`` from ``src`` without allocating per chunk when the source supports ``readinto``."""
    readinto = getattr(src, "readinto", None)
    if readinto is not None:
        return readinto(view) or 0
    data = src.read(len(view))
    view[: len(data)] = data
    return len(data)


def _display(name: str | bytes) -> str:
    return name if isinstance(name, str) else os.fsdecode(name)
