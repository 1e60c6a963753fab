"""safetensors: an 8-byte little-endian header length, then a JSON header naming every tensor."""

from __future__ import annotations

import json
import struct

from kitlab.scan.types import Sniffed, human_size

MAX_HEADER = 100 * 1024 * 1024


def read_header(path: str) -> tuple[int, set[str]] | None:
    """(parameter count, dtypes) of a safetensors file from its header alone; None if it is not one."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
            if len(head) < 10 or head[8:9] != b"{":
                return None
            (length,) = struct.unpack("<Q", head[:8])
            if length > MAX_HEADER:
                return None
            fh.seek(8)
            header = json.loads(fh.read(length))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict):
        return None
    header.pop("__metadata__", None)
    params = 0
    dtypes: set[str] = set()
    for info in header.values():
        if isinstance(info, dict) and "dtype" in info:
            dtypes.add(str(info["dtype"]))
            count = 1
            for dim in info.get("shape", []):
                count *= int(dim)
            params += count
    return params, dtypes


def sniff_safetensors(path: str, head: bytes, size: int) -> Sniffed | None:
    if len(head) < 10 or head[8:9] != b"{":
        return None
    (length,) = struct.unpack("<Q", head[:8])
    if length > MAX_HEADER or 8 + length > size:
        return None
    with open(path, "rb") as fh:
        fh.seek(8)
        raw = fh.read(length)
    try:
        header = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict):
        return None
    metadata = header.pop("__metadata__", None) or {}
    params = 0
    dtypes: set[str] = set()
    for info in header.values():
        if not isinstance(info, dict) or "dtype" not in info:
            return None
        dtypes.add(str(info["dtype"]))
        count = 1
        for dim in info.get("shape", []):
            count *= int(dim)
        params += count
    framework = {"pt": "PyTorch", "tf": "TensorFlow", "flax": "Flax", "mlx": "MLX"}.get(
        str(metadata.get("format", "")), ""
    )
    summary = (
        f"safetensors header: {len(header)} tensors, {_params(params)} parameters, "
        f"{'/'.join(sorted(dtypes)) or 'no dtype'}, {human_size(size)}"
    )
    return Sniffed(
        "model",
        "safetensors",
        summary,
        framework=framework,
        details={
            "tensors": len(header),
            "parameters": params,
            "metadata": metadata,
            "precision": precision(dtypes),
            "dtypes": sorted(dtypes),
        },
    )


# safetensors dtype → the precision name ModelPack's config uses (torch's spelling).
PRECISIONS = {
    "F64": "float64",
    "F32": "float32",
    "F16": "float16",
    "BF16": "bfloat16",
    "F8_E4M3": "float8_e4m3fn",
    "F8_E5M2": "float8_e5m2",
    "I64": "int64",
    "I32": "int32",
    "I16": "int16",
    "I8": "int8",
    "U8": "uint8",
    "BOOL": "bool",
}


def precision(dtypes: set[str]) -> str:
    """The weights' precision: the float dtype when there is one (int tensors are buffers/ids)."""
    floats = sorted(d for d in dtypes if d.startswith(("F", "BF")))
    chosen = floats[0] if len(floats) == 1 else (sorted(dtypes)[0] if len(dtypes) == 1 else "")
    return PRECISIONS.get(chosen, chosen.lower()) if chosen else ("mixed" if dtypes else "")


def _params(count: int) -> str:
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f}{unit}"
    return str(count)
