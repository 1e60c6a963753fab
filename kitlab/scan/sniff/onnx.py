"""ONNX ModelProto read by hand: top-level protobuf fields are walked with varints and length prefixes,
seeking past the (large) graph, to get ir_version, producer name/version and the opset imports."""

from __future__ import annotations

import io
import re
from typing import BinaryIO

from kitlab.scan.types import Sniffed, human_size

MAX_FIELDS = 10_000
EXTERNAL_PROBE = 4 * 1024 * 1024
# A TensorProto.external_data entry {key: "location", value: <file>} (onnx.proto: StringStringEntryProto).
LOCATION = re.compile(rb"\n\x08location\x12([\x01-\x7f])")


def external_locations(path: str) -> list[str]:
    """Files an ONNX model keeps its initializers in (``save_as_external_data``): the ``location`` values
    in the first bytes of the model (a model with external data is small: its weights are elsewhere)."""
    with open(path, "rb") as fh:
        data = fh.read(EXTERNAL_PROBE)
    found: list[str] = []
    for match in LOCATION.finditer(data):
        length = match.group(1)[0]
        value = data[match.end() : match.end() + length].decode("utf-8", "replace")
        if value and value not in found and "/" not in value.strip("./") and ".." not in value:
            found.append(value)
    return found[:64]


def _varint(fh: BinaryIO) -> int:
    shift = result = 0
    while True:
        byte = fh.read(1)
        if not byte:
            raise EOFError
        result |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return result
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _opset(data: bytes) -> tuple[str, int]:
    fh = io.BytesIO(data)
    domain, version = "", 0
    while fh.tell() < len(data):
        key = _varint(fh)
        if key == 0x0A:
            domain = fh.read(_varint(fh)).decode("utf-8", "replace")
        elif key == 0x10:
            version = _varint(fh)
        else:
            raise ValueError("unexpected opset field")
    return domain, version


def sniff_onnx(path: str, head: bytes, size: int) -> Sniffed | None:
    # A ModelProto starts with ir_version (field 1, varint): tag 0x08 then a small number.
    if head[:1] != b"\x08" or not 1 <= head[1] <= 20:
        return None
    info: dict[str, object] = {}
    opsets: list[tuple[str, int]] = []
    has_graph = False
    try:
        with open(path, "rb") as fh:
            for _ in range(MAX_FIELDS):
                if fh.tell() >= size:
                    break
                key = _varint(fh)
                number, wire = key >> 3, key & 7
                if wire == 0:
                    value = _varint(fh)
                    if number == 1:
                        info["ir_version"] = value
                    elif number == 5:
                        info["model_version"] = value
                elif wire == 2:
                    length = _varint(fh)
                    if fh.tell() + length > size:
                        return None
                    if number == 7:
                        has_graph = True
                        fh.seek(length, 1)
                    elif number in (2, 3, 4, 8) and length < 1 << 16:
                        data = fh.read(length)
                        if number == 8:
                            opsets.append(_opset(data))
                        else:
                            info[{2: "producer", 3: "producer_version", 4: "domain"}[number]] = data.decode()
                    else:
                        fh.seek(length, 1)
                else:
                    return None
    except (EOFError, ValueError, UnicodeDecodeError):
        return None
    if not has_graph or not opsets:
        return None
    producer = " ".join(str(info[k]) for k in ("producer", "producer_version") if info.get(k))
    main = next((v for d, v in opsets if d in ("", "ai.onnx")), opsets[0][1])
    summary = f"ONNX IR v{info.get('ir_version')}, opset {main}"
    if producer:
        summary += f", produced by {producer}"
    summary += f", {human_size(size)}"
    return Sniffed(
        "model",
        "onnx",
        summary,
        framework="ONNX",
        version=str(info.get("model_version", "")) if info.get("model_version") else "",
        details={
            "producer": producer,
            "opsets": opsets,
            "ir_version": info.get("ir_version"),
            "external_data": external_locations(path),
        },
    )
