"""The tar writer against real Go archive/tar bytes (committed golden + live Go), plus streaming rules."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from kitlab.errors import Cancelled
from kitlab.modelkit.tarwriter import (
    BLOCK_SIZE,
    CHUNK_SIZE,
    FileChangedWhilePacking,
    TarWriter,
    entry_header,
    split_ustar_path,
)
from kitlab.progress import CancelToken

GIB8 = 8 * 1024**3


def _cases(golden_dir: Path) -> list[dict]:
    return json.loads((golden_dir / "header_cases.json").read_text(encoding="utf-8"))


def _golden(golden_dir: Path) -> dict[str, dict[str, str]]:
    return json.loads((golden_dir / "headers_golden.json").read_text(encoding="utf-8"))


def _header(case: dict) -> bytes:
    return entry_header(case["name"], mode=case["mode"], size=case["size"], is_dir=case["dir"])


def test_header_cases_cover_the_required_shapes(golden_dir: Path) -> None:
    ids = {c["id"] for c in _cases(golden_dir)}
    for required in (
        "short_file_0644",
        "dir_0755",
        "file_0755",
        "file_0600",
        "file_04755_setuid",
        "empty_file",
        "name_100",
        "name_101_split",
        "name_155_split",
        "name_256_split_edge",
        "name_257_unsplittable_pax",
        "non_ascii_file_pax",
        "size_8gib_pax",
    ):
        assert required in ids


def test_every_header_matches_committed_go_bytes(golden_dir: Path) -> None:
    golden = _golden(golden_dir)
    mismatches = []
    for case in _cases(golden_dir):
        got = _header(case)
        want = golden[case["id"]]
        if hashlib.sha256(got).hexdigest() != want["sha256"]:
            mismatches.append(case["id"])
        if "hex" in want:
            assert got.hex() == want["hex"], case["id"]
    assert mismatches == []


def test_committed_golden_is_what_go_archive_tar_writes(gen_golden, golden_dir: Path) -> None:
    live = json.loads(gen_golden("headers", str(golden_dir / "header_cases.json")))
    assert live == _golden(golden_dir)


def test_ustar_fields_for_a_plain_file() -> None:
    block = entry_header("models/w.bin", mode=0o644, size=5, is_dir=False)
    assert len(block) == BLOCK_SIZE
    assert block[:12] == b"models/w.bin"
    assert block[12] == 0
    assert block[100:108] == b"0000644\0"
    assert block[108:116] == b"0001750\0"  # uid 1000
    assert block[116:124] == b"0000000\0"  # gid 0
    assert block[124:136] == b"00000000005\0"
    assert block[136:148] == b"00000000000\0"  # mtime: the Unix epoch
    assert block[156:157] == b"0"
    assert block[257:265] == b"ustar\x0000"
    assert block[265:329] == bytes(64)  # empty uname/gname
    assert block[329:345] == b"0000000\x000000000\x00"  # devmajor/devminor
    assert block[148:154].isdigit()
    assert block[154:156] == b"\0 "
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:])
    assert int(block[148:154], 8) == unsigned


def test_directory_has_no_trailing_slash_and_size_zero() -> None:
    block = entry_header("models", mode=0o755, size=4096, is_dir=True)
    assert block[:7] == b"models\0"
    assert block[124:136] == b"00000000000\0"
    assert block[156:157] == b"5"


def test_long_names_use_the_longest_ustar_prefix() -> None:
    name = "/".join(f"d{i:02d}" + "x" * 20 for i in range(8)).encode()  # 191 bytes, many split points
    prefix, suffix = split_ustar_path(name)  # type: ignore[misc]
    assert len(prefix) <= 155
    assert len(suffix) <= 100
    assert prefix + b"/" + suffix == name
    assert len(name[: name.rfind(b"/", 0, 156)]) == len(prefix)  # no longer prefix was possible
    block = entry_header(name.decode(), mode=0o644, size=1, is_dir=False)
    assert len(block) == BLOCK_SIZE
    assert block[345 : 345 + len(prefix)] == prefix


def test_size_of_8_gib_switches_to_pax_without_writing_data() -> None:
    fits = entry_header("big.bin", mode=0o644, size=GIB8 - 1, is_dir=False)
    assert len(fits) == BLOCK_SIZE
    assert fits[124:136] == b"77777777777\0"

    pax = entry_header("big.bin", mode=0o644, size=GIB8, is_dir=False)
    assert len(pax) == 3 * BLOCK_SIZE
    ext, data, main = pax[:512], pax[512:1024], pax[1024:]
    assert ext[:22] == b"PaxHeaders.0/big.bin\0\0"
    assert ext[156:157] == b"x"
    assert ext[329:345] == bytes(16)  # Go leaves devmajor/devminor of the extended header NUL
    assert data.rstrip(b"\0") == b"19 size=8589934592\n"
    assert main[124:136] == b"00000000000\0"  # the real size only lives in the PAX record


def test_non_ascii_name_gets_pax_path_record_next_to_its_directory() -> None:
    header = entry_header("a/b/ü.txt", mode=0o600, size=2, is_dir=False)
    assert header[:20] == b"a/b/PaxHeaders.0/.tx"  # toASCII drops 'ü'
    assert b"path=a/b/\xc3\xbc.txt\n" in header[512:1024]
    assert header[1024:1033] == b"a/b/.txt\0"


def _tar(entries: list[tuple[str, int, bytes | None]]) -> bytes:
    sink = io.BytesIO()
    writer = TarWriter(sink)
    for name, mode, content in entries:
        if content is None:
            writer.add_dir(name, mode)
        else:
            writer.add_file(name, mode, len(content), io.BytesIO(content))
    writer.close()
    return sink.getvalue()


def test_archive_layout_padding_and_trailer() -> None:
    data = _tar([("d", 0o755, None), ("d/f", 0o644, b"x" * 513), ("d/e", 0o644, b"")])
    # dir header + file header + 2 data blocks + empty-file header + two zero blocks; no 10 KiB record padding
    assert len(data) == 512 * (1 + 1 + 2 + 1 + 2)
    assert data[-1024:] == bytes(1024)
    assert data[1024 + 513 : 2048] == bytes(2048 - 1024 - 513)


def test_output_reads_back_with_python_tarfile() -> None:
    long_name = "m/" + "n" * 150
    data = _tar([("m", 0o755, None), (long_name, 0o600, b"abc"), ("m/données.csv", 0o644, b"1,2\n")])
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        members = archive.getmembers()
        assert [m.name for m in members] == ["m", long_name, "m/données.csv"]
        assert [m.mode for m in members] == [0o755, 0o600, 0o644]
        assert archive.extractfile(members[2]).read() == b"1,2\n"  # type: ignore[union-attr]


class _CountingReader(io.RawIOBase):
    """A file-like source of ``size`` bytes that records how much each read asked for."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.requests: list[int] = []

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        self.requests.append(len(buffer))
        n = min(len(buffer), self.remaining)
        buffer[:n] = b"\x07" * n
        self.remaining -= n
        return n


class _NullSink:
    def __init__(self) -> None:
        self.total = 0

    def write(self, data: bytes) -> int:
        self.total += len(data)
        return len(data)


def test_streams_in_8_mib_chunks_and_reports_bytes() -> None:
    size = 2 * CHUNK_SIZE + 10
    src = _CountingReader(size)
    seen: list[int] = []
    sink = _NullSink()
    writer = TarWriter(sink)
    writer.add_file("big", 0o644, size, src, on_bytes=seen.append)  # type: ignore[arg-type]
    writer.close()
    assert max(src.requests) == CHUNK_SIZE
    assert seen == [CHUNK_SIZE, CHUNK_SIZE, 10]
    assert sink.total == 512 + size + (-size % 512) + 1024


def test_cancel_is_checked_between_chunks() -> None:
    token = CancelToken()
    calls: list[int] = []

    def on_bytes(n: int) -> None:
        calls.append(n)
        token.cancel()

    writer = TarWriter(_NullSink())
    with pytest.raises(Cancelled):
        writer.add_file(
            "big", 0o644, 3 * CHUNK_SIZE, _CountingReader(3 * CHUNK_SIZE), on_bytes=on_bytes, cancel=token
        )  # type: ignore[arg-type]
    assert calls == [CHUNK_SIZE]


def test_a_file_that_shrank_or_grew_is_an_error() -> None:
    writer = TarWriter(io.BytesIO())
    with pytest.raises(FileChangedWhilePacking, match="shrank"):
        writer.add_file("f", 0o644, 10, io.BytesIO(b"12345"))
    # The same when the end comes in a chunk that was read ahead.
    writer = TarWriter(_NullSink())
    with pytest.raises(FileChangedWhilePacking, match=r"shrank.*got 16777316"):
        writer.add_file("big", 0o644, 3 * CHUNK_SIZE, io.BytesIO(bytes(2 * CHUNK_SIZE + 100)))  # type: ignore[arg-type]
    writer = TarWriter(io.BytesIO())
    with pytest.raises(FileChangedWhilePacking, match="grew"):
        writer.add_file("f", 0o644, 3, io.BytesIO(b"12345"))


class _ReadOnlySource:
    """A source with only ``read`` (no ``readinto``), as some wrapped streams are."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._data.read(n)


def test_sources_without_readinto_work() -> None:
    sink = io.BytesIO()
    writer = TarWriter(sink)
    writer.add_file("f", 0o644, 5, _ReadOnlySource(b"hello"))  # type: ignore[arg-type]
    writer.close()
    reference = io.BytesIO()
    other = TarWriter(reference)
    other.add_file("f", 0o644, 5, io.BytesIO(b"hello"))
    other.close()
    assert sink.getvalue() == reference.getvalue()
