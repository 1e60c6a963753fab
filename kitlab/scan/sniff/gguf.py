"""GGUF (llama.cpp): magic, version, tensor and key/value counts, typed metadata (arrays such as the
tokenizer's vocabulary are skipped without being kept in memory), then the tensor infos: their shapes give
the parameter count and their ggml types the quantisation (ModelPack's paramSize, precision and
quantization; see docs/user-guide.md)."""

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
MAX_KV = 512
MAX_TENSORS = 100_000
# ggml_type → name (ggml.h), and llama_ftype (general.file_type) → the quantisation it names.
GGML_TYPES = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    6: "Q5_0",
    7: "Q5_1",
    8: "Q8_0",
    9: "Q8_1",
    10: "Q2_K",
    11: "Q3_K",
    12: "Q4_K",
    13: "Q5_K",
    14: "Q6_K",
    15: "Q8_K",
    16: "IQ2_XXS",
    17: "IQ2_XS",
    18: "IQ3_XXS",
    19: "IQ1_S",
    20: "IQ4_NL",
    21: "IQ3_S",
    22: "IQ2_S",
    23: "IQ4_XS",
    24: "I8",
    25: "I16",
    26: "I32",
    27: "I64",
    28: "F64",
    29: "IQ1_M",
    30: "BF16",
    34: "TQ1_0",
    35: "TQ2_0",
}
FILE_TYPES = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    36: "TQ1_0",
    37: "TQ2_0",
}


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
        elif etype == 8:
            _skip_strings(fh, count)
        else:
            for _ in range(count):
                _value(fh, etype)
        return None
    raise _Truncated


def _skip_strings(fh: BinaryIO, count: int) -> None:
    """Skip an array of ``count`` strings (a 150k-token vocabulary) reading 1 MiB at a time: only the
    length prefixes are decoded, so the cost is one ``unpack_from`` per string, not two reads."""
    chunk = b""
    pos = 0
    for _ in range(count):
        if pos + 8 > len(chunk):
            chunk = chunk[pos:] + fh.read(1 << 20)
            pos = 0
            if len(chunk) < 8:
                raise _Truncated
        (length,) = struct.unpack_from("<Q", chunk, pos)
        if length > 1 << 20:
            raise _Truncated
        pos += 8 + length
        if pos > len(chunk):
            fh.seek(pos - len(chunk), 1)
            chunk, pos = b"", 0
    fh.seek(pos - len(chunk), 1)  # give back what was read past the array


def sniff_gguf(path: str, head: bytes, size: int) -> Sniffed | None:
    if head[:4] != b"GGUF" or len(head) < 24:
        return None
    version, tensors, kv_count = struct.unpack("<IQQ", head[4:24])
    meta: dict[str, object] = {}
    params = 0
    types: dict[str, int] = {}
    with open(path, "rb") as fh:
        fh.seek(24)
        try:
            for _ in range(min(kv_count, MAX_KV)):
                key = _string(fh)
                (vtype,) = struct.unpack("<I", _read(fh, 4))
                value = _value(fh, vtype)
                if key in WANTED:
                    meta[key] = value
            if kv_count <= MAX_KV and tensors <= MAX_TENSORS:
                for _ in range(tensors):
                    _string(fh)
                    (dims,) = struct.unpack("<I", _read(fh, 4))
                    if dims > 8:
                        raise _Truncated
                    count = 1
                    for dim in struct.unpack(f"<{dims}Q", _read(fh, 8 * dims)):
                        count *= dim
                    ggml_type, _offset = struct.unpack("<IQ", _read(fh, 12))
                    params += count
                    name = GGML_TYPES.get(ggml_type, f"type {ggml_type}")
                    types[name] = types.get(name, 0) + count
        except (_Truncated, struct.error):
            params, types = 0, {}
    arch = str(meta.get("general.architecture", ""))
    name = str(meta.get("general.name", ""))
    parts = [f"GGUF v{version}"]
    if arch:
        parts.append(f"{arch} architecture")
    if name:
        parts.append(f'name "{name}"')
    file_type = meta.get("general.file_type")
    quantization = FILE_TYPES.get(file_type, "") if isinstance(file_type, int) else ""
    if quantization:
        parts.append(f"{quantization} quantisation")
    if params:
        parts.append(f"{_count(params)} parameters")
    parts.append(f"{tensors} tensors, {human_size(size)}")
    precision = max(types, key=lambda t: types[t]) if types else ""
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
            "parameters": params,
            "quantization": quantization,
            "precision": precision,
            "tensor_types": types,
        },
    )


def _count(count: int) -> str:
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f}{unit}"
    return str(count)
