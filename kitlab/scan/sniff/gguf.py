"""GGUF (llama.cpp): magic, version, tensor and key/value counts, then typed metadata we read up to the
``general.*`` keys; arrays (the tokenizer's vocabulary) are skipped without being kept in memory."""

from __future__ import annotations

import struct
from typing import BinaryIO

from kitlab.scan.types import Sniffed, human_size

# GGUF value types → struct format of scalars (8 = string, 9 = array).
SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
WANTED = ("general.architecture", "general.name", "general.file_type", "general.license")
MAX_KV = 64


class _Truncated(Exception):
    pass


def _read(fh: BinaryIO, n: int) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise _Truncated
    return data


def _string(fh: BinaryIO) -> str:
    (length,) = struct.unpack("<Q", _read(fh, 8))
    if length > 1 << 20:
        raise _Truncated
    return _read(fh, length).decode("utf-8", "replace")


def _value(fh: BinaryIO, vtype: int) -> object:
    if vtype in SCALARS:
        fmt = SCALARS[vtype]
        return struct.unpack(fmt, _read(fh, struct.calcsize(fmt)))[0]
    if vtype == 8:
        return _string(fh)
    if vtype == 9:
        (etype,) = struct.unpack("<I", _read(fh, 4))
        (count,) = struct.unpack("<Q", _read(fh, 8))
        if etype in SCALARS:
            fh.seek(count * struct.calcsize(SCALARS[etype]), 1)
        else:
            for _ in range(count):
                _value(fh, etype)
        return None
    raise _Truncated


def sniff_gguf(path: str, head: bytes, size: int) -> Sniffed | None:
    if head[:4] != b"GGUF" or len(head) < 24:
        return None
    version, tensors, kv_count = struct.unpack("<IQQ", head[4:24])
    meta: dict[str, object] = {}
    with open(path, "rb") as fh:
        fh.seek(24)
        try:
            for _ in range(min(kv_count, MAX_KV)):
                key = _string(fh)
                (vtype,) = struct.unpack("<I", _read(fh, 4))
                value = _value(fh, vtype)
                if key in WANTED:
                    meta[key] = value
                if all(k in meta for k in WANTED[:2]):
                    break
        except (_Truncated, struct.error):
            pass
    arch = str(meta.get("general.architecture", ""))
    name = str(meta.get("general.name", ""))
    parts = [f"GGUF v{version}"]
    if arch:
        parts.append(f"{arch} architecture")
    if name:
        parts.append(f'name "{name}"')
    parts.append(f"{tensors} tensors, {human_size(size)}")
    return Sniffed(
        "model",
        "gguf",
        ", ".join(parts),
        framework="llama.cpp",
        details={
            "architecture": arch,
            "name": name,
            "tensors": tensors,
            "license": str(meta.get("general.license", "")),
        },
    )
