"""Hostile-archive corpus for safe_extract: every archive is refused and nothing lands outside the target."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard

from kitlab.errors import Conflict, InvalidInput, KitlabError, PathOutsideRoot
from kitlab.modelkit.safe_extract import ExtractLimits, open_layer_stream, safe_extract
from kitlab.modelkit.tarwriter import TarWriter


def _tar(
    build: Callable[[tarfile.TarFile], None], fmt: int = tarfile.PAX_FORMAT, pax: dict | None = None
) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, pax_headers=pax) as tf:
        build(tf)
    return buf.getvalue()


def _file(tf: tarfile.TarFile, name: str, data: bytes = b"x", **kw: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in kw.items():
        setattr(info, key, value)
    tf.addfile(info, io.BytesIO(data))


def _special(tf: tarfile.TarFile, name: str, kind: bytes, linkname: str = "", **kw: object) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    for key, value in kw.items():
        setattr(info, key, value)
    tf.addfile(info)


def _giant_size_header() -> bytes:
    info = tarfile.TarInfo("big.bin")
    info.size = 0
    block = bytearray(info.tobuf(format=tarfile.USTAR_FORMAT))
    # base-256 size field (GNU extension): 2**62 bytes
    block[124:136] = b"\x80" + (2**62).to_bytes(11, "big")
    block[148:156] = b"        "
    chk = sum(block[:512])
    block[148:156] = b"%06o\x00 " % chk
    return bytes(block) + bytes(1024)


def _truncated() -> bytes:
    data = _tar(lambda tf: _file(tf, "trunc.bin", b"A" * 4000))
    return data[: 512 + 1024]  # header + first 1 KiB only


def _bomb(compress: Callable[[bytes], bytes]) -> bytes:
    return compress(_tar(lambda tf: _file(tf, "zeros.bin", bytes(8 << 20))))


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "dotdot": (lambda: _tar(lambda tf: _file(tf, "../evil")), "none"),
    "dotdot-nested": (lambda: _tar(lambda tf: _file(tf, "a/../../evil")), "none"),
    "dot-dotdot": (lambda: _tar(lambda tf: _file(tf, "./../evil")), "none"),
    "absolute": (lambda: _tar(lambda tf: _file(tf, "/tmp/kitlab-evil-abs")), "none"),
    "symlink": (lambda: _tar(lambda tf: _special(tf, "link", tarfile.SYMTYPE, "/etc")), "none"),
    "symlink-then-file": (
        lambda: _tar(
            lambda tf: (_special(tf, "link", tarfile.SYMTYPE, "../outside"), _file(tf, "link/evil"))
        ),
        "none",
    ),
    "hardlink-outside": (lambda: _tar(lambda tf: _special(tf, "h", tarfile.LNKTYPE, "/etc/passwd")), "none"),
    "hardlink-inside": (
        lambda: _tar(lambda tf: (_file(tf, "a"), _special(tf, "b", tarfile.LNKTYPE, "a"))),
        "none",
    ),
    "char-device": (
        lambda: _tar(lambda tf: _special(tf, "null", tarfile.CHRTYPE, devmajor=1, devminor=3)),
        "none",
    ),
    "block-device": (lambda: _tar(lambda tf: _special(tf, "sda", tarfile.BLKTYPE, devmajor=8)), "none"),
    "fifo": (lambda: _tar(lambda tf: _special(tf, "pipe", tarfile.FIFOTYPE)), "none"),
    "contiguous": (lambda: _tar(lambda tf: _special(tf, "cont", tarfile.CONTTYPE)), "none"),
    "giant-size": (_giant_size_header, "none"),
    "pax-path-dotdot": (
        lambda: _tar(lambda tf: _file(tf, "innocent", pax_headers={"path": "../x"})),
        "none",
    ),
    "pax-path-absolute": (
        lambda: _tar(lambda tf: _file(tf, "innocent", pax_headers={"path": "/tmp/kitlab-evil-pax"})),
        "none",
    ),
    "gnu-longname-dotdot": (
        lambda: _tar(lambda tf: _file(tf, "a/" * 60 + "../" * 62 + "evil"), fmt=tarfile.GNU_FORMAT),
        "none",
    ),
    "duplicate-file": (lambda: _tar(lambda tf: (_file(tf, "dup", b"1"), _file(tf, "dup", b"2"))), "none"),
    "duplicate-dir-file": (
        lambda: _tar(lambda tf: (_special(tf, "d", tarfile.DIRTYPE), _file(tf, "d/"))),
        "none",
    ),
    "global-pax": (lambda: _tar(lambda tf: _file(tf, "ok.txt"), pax={"comment": "hello"}), "none"),
    "truncated": (_truncated, "none"),
    "gzip-bomb": (lambda: _bomb(lambda b: gzip.compress(b, mtime=0)), "gzip"),
    "zstd-bomb": (lambda: _bomb(lambda b: zstandard.ZstdCompressor(level=19).compress(b)), "zstd"),
    "not-a-tar": (lambda: b"hello world, not a tar" * 40, "none"),
    "name-too-long": (lambda: _tar(lambda tf: _file(tf, "n" * 300)), "none"),
}

BOMB_LIMITS = ExtractLimits(max_ratio=100, ratio_min_bytes=1 << 20)


def _snapshot(root: Path) -> dict[str, bytes | None]:
    out: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            out[str(p.relative_to(root))] = None if p.is_dir() or p.is_symlink() else p.read_bytes()
    return out


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archive_refused(tmp_path: Path, case: str) -> None:
    make, compression = HOSTILE[case]
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "sentinel").write_bytes(b"keep")
    target = tmp_path / "target"
    before = _snapshot(tmp_path)
    blob = io.BytesIO(make())
    with pytest.raises(KitlabError), open_layer_stream(blob, compression, BOMB_LIMITS) as stream:
        safe_extract(stream, target, limits=BOMB_LIMITS, overwrite=True)
    after = _snapshot(tmp_path)
    new = {k for k in after if k not in before}
    assert all(k == "target" or k.startswith("target/") for k in new), new
    assert not [k for k in new if ".kitlab-partial-" in k], new
    assert (outside / "sentinel").read_bytes() == b"keep"
    assert sorted(os.listdir(outside)) == ["sentinel"]
    assert not Path("/tmp/kitlab-evil-abs").exists()
    assert not Path("/tmp/kitlab-evil-pax").exists()


def test_corpus_is_large_enough() -> None:
    assert len(HOSTILE) >= 20


def test_existing_symlink_dir_in_target_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "target"
    target.mkdir()
    (target / "sub").symlink_to(outside)
    data = _tar(lambda tf: (_special(tf, "sub", tarfile.DIRTYPE), _file(tf, "sub/evil")))
    with pytest.raises(PathOutsideRoot):
        safe_extract(io.BytesIO(data), target)
    assert os.listdir(outside) == []


def test_existing_symlink_file_is_not_replaced_or_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep")
    target = tmp_path / "target"
    target.mkdir()
    (target / "f").symlink_to(outside)
    with pytest.raises(PathOutsideRoot):
        safe_extract(io.BytesIO(_tar(lambda tf: _file(tf, "f", b"evil"))), target, overwrite=True)
    assert outside.read_bytes() == b"keep"
    assert (target / "f").is_symlink()


def test_too_many_entries(tmp_path: Path) -> None:
    data = _tar(lambda tf: [_file(tf, f"f{i}") for i in range(5)])
    with pytest.raises(InvalidInput, match="more than 3 entries"):
        safe_extract(io.BytesIO(data), tmp_path / "t", limits=ExtractLimits(max_entries=3))


def _kit_tar() -> bytes:
    buf = io.BytesIO()
    writer = TarWriter(buf)
    writer.add_dir("models", 0o755)
    writer.add_file("models/w.bin", 0o640, 5, io.BytesIO(b"hello"))
    writer.add_file("models/run.sh", 0o4755, 3, io.BytesIO(b"abc"))
    long_name = "deep/" * 30 + "ünïcode-name.txt"
    writer.add_file(long_name, 0o644, 2, io.BytesIO(b"hi"))
    writer.close()
    return buf.getvalue()


def test_extracts_kit_tar_with_modes(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        stats = safe_extract(io.BytesIO(_kit_tar()), tmp_path / "t")
    finally:
        os.umask(old)
    root = tmp_path / "t"
    assert (root / "models/w.bin").read_bytes() == b"hello"
    assert (root / "models/w.bin").stat().st_mode & 0o7777 == 0o640
    assert (root / "models/run.sh").stat().st_mode & 0o7777 == 0o755  # setuid dropped
    assert (root / ("deep/" * 30 + "ünïcode-name.txt")).read_bytes() == b"hi"
    assert stats.files == 3
    assert stats.bytes == 10


def test_existing_file_conflict_overwrite_and_ignore(tmp_path: Path) -> None:
    root = tmp_path / "t"
    (root / "models").mkdir(parents=True)
    (root / "models/w.bin").write_bytes(b"old")
    with pytest.raises(Conflict):
        safe_extract(io.BytesIO(_kit_tar()), root)
    assert (root / "models/w.bin").read_bytes() == b"old"

    stats = safe_extract(io.BytesIO(_kit_tar()), root, ignore_existing=True)
    assert stats.skipped_existing == ["models/w.bin"]  # run.sh was never reached by the failed run
    assert (root / "models/run.sh").read_bytes() == b"abc"
    assert (root / "models/w.bin").read_bytes() == b"old"

    safe_extract(io.BytesIO(_kit_tar()), root, overwrite=True)
    assert (root / "models/w.bin").read_bytes() == b"hello"
    assert not [p for p in root.rglob("*") if ".kitlab-partial-" in p.name]


def test_file_where_dir_expected_is_conflict(tmp_path: Path) -> None:
    root = tmp_path / "t"
    root.mkdir()
    (root / "models").write_bytes(b"i am a file")
    with pytest.raises(Conflict):
        safe_extract(io.BytesIO(_kit_tar()), root, overwrite=True)


@pytest.mark.parametrize("compression", ["gzip", "zstd"])
def test_compressed_layers_read(tmp_path: Path, compression: str) -> None:
    raw = _kit_tar()
    blob = gzip.compress(raw) if compression == "gzip" else zstandard.ZstdCompressor().compress(raw)
    with open_layer_stream(io.BytesIO(blob), compression) as stream:
        safe_extract(stream, tmp_path / "t")
    assert (tmp_path / "t/models/w.bin").read_bytes() == b"hello"


def test_umask_applies_to_header_modes(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        safe_extract(io.BytesIO(_kit_tar()), tmp_path / "t")
    finally:
        os.umask(old)
    assert (tmp_path / "t/models/w.bin").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "t/models").stat().st_mode & 0o777 == 0o700


def test_destination_reached_through_a_symlink_is_fine(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    safe_extract(io.BytesIO(_kit_tar()), tmp_path / "link")
    assert (real / "models/w.bin").read_bytes() == b"hello"
