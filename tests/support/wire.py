"""Byte encodings the hand-written files of the tests share: protobuf's wire format (ONNX ModelProto,
TensorFlow's LevelDB tables), GGUF's length-prefixed strings and OCI content digests."""

from __future__ import annotations

import hashlib
import struct


def varint(value: int) -> bytes:
    """Protobuf base-128 varint: seven bits a byte, low group first, high bit set on all but the last."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number: int, payload: bytes | int) -> bytes:
    """One protobuf field: an int as wire type 0 (varint), bytes as wire type 2 (length-delimited)."""
    if isinstance(payload, int):
        return varint(number << 3) + varint(payload)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def gguf_string(text: str) -> bytes:
    """A GGUF string: its UTF-8 length as a little-endian uint64, then the bytes."""
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def sha256_of(data: bytes) -> str:
    """The OCI digest of ``data``: ``sha256:`` and the hex SHA-256."""
    return "sha256:" + hashlib.sha256(data).hexdigest()
