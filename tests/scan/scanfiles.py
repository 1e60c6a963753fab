"""Writers of real model and data files for the scan tests, byte-exact to each format's specification
where no library for it is installed (safetensors, GGUF, ONNX protobuf, torch.save zip, Keras v3)."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import numpy as np

from tests.support.wire import field, gguf_string


def write_safetensors(
    path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None
) -> None:
    header: dict[str, object] = {}
    offset = 0
    blobs = []
    for name, array in tensors.items():
        data = np.ascontiguousarray(array).tobytes()
        dtype = {"float32": "F32", "float16": "F16", "int64": "I64"}[str(array.dtype)]
        header[name] = {
            "dtype": dtype,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        offset += len(data)
        blobs.append(data)
    if metadata:
        header["__metadata__"] = metadata
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the spec pads the header with spaces to 8-byte alignment
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def write_gguf(path: Path, arch: str = "llama", name: str = "tiny-llama", vocab: int = 50) -> None:
    """GGUF v3: header, metadata (a string array like a real tokenizer), one f32 tensor, aligned data."""
    kvs = [
        gguf_string("general.architecture") + struct.pack("<I", 8) + gguf_string(arch),
        gguf_string("general.name") + struct.pack("<I", 8) + gguf_string(name),
        gguf_string(f"{arch}.context_length") + struct.pack("<I", 4) + struct.pack("<I", 2048),
        gguf_string("tokenizer.ggml.tokens")
        + struct.pack("<I", 9)
        + struct.pack("<IQ", 8, vocab)
        + b"".join(gguf_string(f"tok{i}") for i in range(vocab)),
        gguf_string("general.alignment") + struct.pack("<I", 4) + struct.pack("<I", 32),
    ]
    tensor_info = (
        gguf_string("token_embd.weight")
        + struct.pack("<I", 2)
        + struct.pack("<QQ", 4, vocab)
        + struct.pack("<I", 0)
        + struct.pack("<Q", 0)
    )
    body = b"GGUF" + struct.pack("<IQQ", 3, 1, len(kvs)) + b"".join(kvs) + tensor_info
    body += b"\x00" * (-len(body) % 32)
    path.write_bytes(body + np.zeros((vocab, 4), dtype=np.float32).tobytes())


def write_onnx(
    path: Path, producer: str = "pytorch", producer_version: str = "2.3.0", opset: int = 17
) -> None:
    """An ONNX ModelProto (onnx.proto3 field numbers): one Gemm node with a float initializer."""
    weights = np.arange(12, dtype=np.float32)
    initializer = field(1, 3) + field(1, 4) + field(2, 1) + field(8, b"W") + field(9, weights.tobytes())
    node = field(1, b"X") + field(1, b"W") + field(2, b"Y") + field(3, b"gemm0") + field(4, b"Gemm")
    graph = field(1, node) + field(2, b"main_graph") + field(5, initializer)
    model = (
        field(1, 8)
        + field(2, producer.encode())
        + field(3, producer_version.encode())
        + field(7, graph)
        + field(8, field(1, b"") + field(2, opset))
    )
    path.write_bytes(model)


# A state_dict pickle as torch.save writes it (protocol 2): OrderedDict of tensors rebuilt by
# torch._utils._rebuild_tensor_v2 from persistent-id storages.
_TORCH_PICKLE = (
    b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x06\x00\x00\x00weightq\x02ctorch._utils\n"
    b"_rebuild_tensor_v2\nq\x03((X\x07\x00\x00\x00storageq\x04ctorch\nFloatStorage\nq\x05X\x01\x00\x00\x00"
    b"0q\x06X\x03\x00\x00\x00cpuq\x07K\x04tq\x08QK\x00K\x04\x85q\tK\x01\x85q\n\x89h\x00)Rq\x0btq\x0cRq\rs."
)


def write_torch_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("archive/data.pkl", _TORCH_PICKLE)
        zf.writestr("archive/byteorder", "little")
        zf.writestr("archive/data/0", np.zeros(4, dtype=np.float32).tobytes())
        zf.writestr("archive/version", "3\n")


def write_keras(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "metadata.json", json.dumps({"keras_version": "3.3.3", "date_saved": "2026-01-01@00:00:00"})
        )
        zf.writestr("config.json", json.dumps({"module": "keras", "class_name": "Sequential", "config": {}}))
        zf.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)


LIGHTGBM_TEXT = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=3\n"
PMML_TEXT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">\n'
    '<Header/>\n<DataDictionary/>\n<TreeModel functionName="classification"/>\n</PMML>\n'
)
XGBOOST_JSON = (
    '{"learner":{"attributes":{},"feature_names":[],"gradient_booster":{"model":{"trees":[]},'
    '"name":"gbtree"},"learner_model_param":{"base_score":"5E-1"}},"version":[2,1,3]}'
)


def write_hf_folder(folder: Path, arch: str = "BertForSequenceClassification") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(
        json.dumps({"architectures": [arch], "model_type": "bert", "transformers_version": "4.44.0"})
    )
    write_safetensors(
        folder / "model.safetensors",
        {"bert.embeddings.weight": np.zeros((8, 4), np.float32)},
        {"format": "pt"},
    )
    (folder / "tokenizer.json").write_text(json.dumps({"version": "1.0", "model": {"type": "WordPiece"}}))
    (folder / "tokenizer_config.json").write_text("{}")
    (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n# tiny bert\n")


def png_bytes(seed: int) -> bytes:
    """A valid 1×1 PNG."""
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00" + bytes([seed % 256, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
