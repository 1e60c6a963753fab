"""safetensors: an 8-byte little-endian header length, then a JSON header naming every tensor."""

from __future__ import annotations

import json
import struct

from kitlab.scan.types import Sniffed, human_size

MAX_HEADER = 100 * 1024 * 1024


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
        details={"tensors": len(header), "parameters": params, "metadata": metadata},
    )


def _params(count: int) -> str:
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f}{unit}"
    return str(count)
