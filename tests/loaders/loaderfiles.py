"""Builders for the loader tests: a tiny pickle assembler (so torch-style pickles can name torch globals
without torch installed), malicious objects whose ``__reduce__`` only *describes* a call (pickling them
never runs it; nothing in these tests ever unpickles them), and hand-made ModelKit folders."""

from __future__ import annotations

import json
import os
import pickle
import struct
import subprocess
import zipfile
from pathlib import Path

from tests.support.wire import field, gguf_string

PROTO = b"\x80"
STOP = b"."
MARK = b"("
TUPLE = b"t"
TUPLE1 = b"\x85"
TUPLE2 = b"\x86"
EMPTY_TUPLE = b")"
EMPTY_DICT = b"}"
EMPTY_LIST = b"]"
REDUCE = b"R"
BUILD = b"b"
SETITEMS = b"u"
SETITEM = b"s"
MEMOIZE = b"\x94"
STACK_GLOBAL = b"\x93"
NEWOBJ = b"\x81"
NEWFALSE = b"\x89"
BINPERSID = b"Q"
TORCH_MAGIC = 0x1950A86A20F9469CFC6C


def proto(n: int) -> bytes:
    return PROTO + bytes([n])


def glob(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def ustr(text: str) -> bytes:
    """SHORT_BINUNICODE or BINUNICODE."""
    data = text.encode()
    if len(data) < 256:
        return b"\x8c" + bytes([len(data)]) + data
    return b"X" + struct.pack("<I", len(data)) + data


def binput(i: int) -> bytes:
    return b"q" + bytes([i])


def binget(i: int) -> bytes:
    return b"h" + bytes([i])


def int1(n: int) -> bytes:
    return b"K" + bytes([n])


def long1(n: int) -> bytes:
    data = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data


def torch_state_dict_pickle(extra: bytes = b"") -> bytes:
    """What ``torch.save(OrderedDict(weight=<4 floats>))`` writes as data.pkl (protocol 2), with
    ``extra`` — a pushed value — stored under the key "extra" when given."""
    storage = (
        MARK + ustr("storage") + glob("torch", "FloatStorage") + ustr("0") + ustr("cpu") + int1(4) + TUPLE
    )
    tensor = (
        glob("torch._utils", "_rebuild_tensor_v2")
        + MARK
        + storage
        + BINPERSID
        + int1(0)
        + int1(4)
        + TUPLE1
        + int1(1)
        + TUPLE1
        + NEWFALSE
        + glob("collections", "OrderedDict")
        + EMPTY_TUPLE
        + REDUCE
        + TUPLE
        + REDUCE
    )
    body = glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + MARK + ustr("weight") + tensor
    if extra:
        body += ustr("extra") + extra
    return proto(2) + body + SETITEMS + STOP


def system_call(command: str = "echo pwned") -> bytes:
    """A pushed value that, if ever unpickled, would run ``os.system(command)``."""
    return glob("posix", "system") + MARK + ustr(command) + TUPLE + REDUCE


def write_torch_zip(path: Path, data_pkl: bytes) -> Path:
    """The layout of ``torch.save`` (zip, stored): <name>/data.pkl, <name>/data/0, <name>/version."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("archive/data.pkl", data_pkl)
        zf.writestr("archive/byteorder", "little")
        zf.writestr("archive/data/0", struct.pack("<4f", 1, 2, 3, 4))
        zf.writestr("archive/version", "3\n")
    return path


def write_torch_legacy(path: Path, main: bytes) -> Path:
    """torch's pre-1.6 format: magic, protocol, sys info, the object, storage keys, then raw storages."""
    parts = [
        proto(2) + long1(TORCH_MAGIC) + STOP,
        proto(2) + b"M\xe9\x03" + STOP,
        proto(2) + EMPTY_DICT + MARK + ustr("little_endian") + b"\x88" + SETITEMS + STOP,
        main,
        proto(2) + EMPTY_LIST + MARK + ustr("0") + b"e" + STOP,
        struct.pack("<q", 4) + struct.pack("<4f", 1, 2, 3, 4),
    ]
    path.write_bytes(b"".join(parts))
    return path


class SystemCall:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("echo pwned",))


class EvalCall:
    def __reduce__(self) -> tuple[object, ...]:
        return (eval, ("__import__('os').system('echo pwned')",))


class PopenCall:
    def __reduce__(self) -> tuple[object, ...]:
        return (subprocess.Popen, (["echo", "pwned"],))


class NestedLoads:
    """pickle.loads of a payload that is itself malicious."""

    def __reduce__(self) -> tuple[object, ...]:
        return (pickle.loads, (pickle.dumps(SystemCall(), protocol=4),))


def write_kitfile(folder: Path, text: str) -> None:
    (folder / "Kitfile").write_text(text, encoding="utf-8")


def write_safetensors(path: Path) -> Path:
    header = json.dumps(
        {
            "__metadata__": {"format": "pt"},
            "weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
        }
    ).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + struct.pack("<4f", 1, 2, 3, 4))
    return path


def write_gguf(path: Path) -> Path:
    kv = gguf_string("general.architecture") + struct.pack("<I", 8) + gguf_string("llama")
    kv += gguf_string("general.name") + struct.pack("<I", 8) + gguf_string("tiny")
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 2) + kv)
    return path


def onnx_bytes() -> bytes:
    """A minimal ModelProto: ir_version 8, producer "kitlab-test", an empty graph, opset 17."""
    graph = field(2, b"g")  # GraphProto.name
    opset = field(2, 17)  # OperatorSetIdProto.version
    return field(1, 8) + field(2, b"kitlab-test") + field(7, graph) + field(8, opset)
