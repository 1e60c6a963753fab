"""Tar archives that hold a model: SageMaker's ``model.tar.gz`` (``model.joblib``, ``xgboost-model``,
``model.pth`` …, often with ``code/inference.py``), NeMo's ``.nemo`` (``model_config.yaml`` and
``model_weights.ckpt``), tarred SavedModel or MLflow folders.

The archive is read as a stream, boundedly: at most ``MAX_MEMBERS`` headers and ``MAX_STREAM`` bytes of
(decompressed) stream; only small members that name the model are read (their first bytes), never
extracted to disk and never unpickled (pickles are walked by ``pickles.classify``)."""

from __future__ import annotations

import posixpath
import re
import tarfile

from kitlab.scan.sniff.pickles import WALK_LIMIT
from kitlab.scan.sniff.pickles import classify as classify_pickle
from kitlab.scan.types import Sniffed, human_size

MAX_MEMBERS = 256
MAX_STREAM = 256 * 1024 * 1024
SMALL = 256 * 1024
MEDIA = (".png", ".jpg", ".jpeg", ".wav", ".flac", ".mp3", ".csv", ".jsonl", ".parquet", ".txt", ".json")
# Member names (basename or suffix) of model files: (match, format, framework).
MODEL_MEMBERS = (
    ("saved_model.pb", "saved_model", "TensorFlow"),
    ("MLmodel", "mlflow", ""),
    ("xgboost-model", "xgboost", "XGBoost"),
    (".joblib", "joblib", ""),
    (".pkl", "pickle", ""),
    (".onnx", "onnx", "ONNX"),
    (".safetensors", "safetensors", ""),
    (".pth", "pytorch", "PyTorch"),
    (".pt", "pytorch", "PyTorch"),
    (".keras", "keras", "Keras"),
    (".h5", "hdf5", "Keras"),
    (".gguf", "gguf", "llama.cpp"),
    (".cbm", "catboost", "CatBoost"),
    (".txt", "lightgbm-text", "LightGBM"),
)


def is_tar(head: bytes) -> bool:
    return head[257:262] == b"ustar"


def _matches(name: str, pattern: str) -> bool:
    base = posixpath.basename(name)
    return name.endswith(pattern) if pattern.startswith(".") else base == pattern


def sniff_tar(path: str, size: int, compressed: bool) -> Sniffed | None:
    names: list[str] = []
    found: tuple[str, str, str] | None = None  # (member, format, framework)
    nemo_target = ""
    summary_detail = ""
    try:
        with tarfile.open(path, "r|gz" if compressed else "r|") as tar:
            for member in tar:
                if len(names) >= MAX_MEMBERS or tar.offset > MAX_STREAM:
                    break
                if not member.isfile():
                    continue
                name = member.name.lstrip("./")
                names.append(name)
                base = posixpath.basename(name)
                if base == "model_config.yaml" and member.size <= SMALL:
                    handle = tar.extractfile(member)
                    text = handle.read(SMALL).decode("utf-8", "replace") if handle else ""
                    match = re.search(r"^target:\s*(\S+)", text, re.M)
                    nemo_target = match.group(1) if match else "nemo"
                    continue
                if found is not None:
                    continue
                for pattern, fmt, framework in MODEL_MEMBERS:
                    if not _matches(name, pattern):
                        continue
                    if fmt in ("joblib", "pickle", "xgboost", "lightgbm-text"):
                        handle = tar.extractfile(member)
                        head = handle.read(min(member.size, WALK_LIMIT)) if handle else b""
                        fmt, framework, summary_detail = _member_content(head, fmt, framework)
                        if not fmt:
                            break
                    found = (name, fmt, framework)
                    break
    except (tarfile.TarError, OSError, EOFError, ValueError):
        if not names:
            return None
    kind = "gzip-compressed tar" if compressed else "tar"
    if nemo_target and any(posixpath.basename(n) == "model_weights.ckpt" for n in names):
        return Sniffed(
            "model",
            "nemo",
            f"NeMo archive ({kind}: model_config.yaml target {nemo_target}, model_weights.ckpt), "
            f"{human_size(size)}",
            framework="NeMo",
            details={"target": nemo_target},
        )
    if found is not None:
        held, fmt, framework = found
        extra = f": {summary_detail}" if summary_detail else ""
        code = " with inference code" if any(n.startswith("code/") for n in names) else ""
        return Sniffed(
            "model",
            f"tar/{fmt}",
            f"{kind} model archive holding {held}{extra}{code} ({len(names)} files), {human_size(size)}",
            framework=framework,
            details={"member": held},
        )
    media = [n for n in names if n.lower().endswith(MEDIA)]
    if names and len(media) >= max(1, len(names) // 2):
        return Sniffed("data", "tar", f"{kind} of {len(names)} files ({len(media)} data/media files)")
    return None


def _member_content(head: bytes, fmt: str, framework: str) -> tuple[str, str, str]:
    """(format, framework, summary) of a small model member from its first bytes; ("", …) when it is
    not a model after all (a .txt of notes, a pickle of a DataFrame)."""
    if head[:1] == b"\x80":
        found = classify_pickle(head, "joblib" if fmt == "joblib" else "pickle")
        if found is None or found.role not in ("model", "other"):
            return "", "", ""
        return found.format, found.framework, found.summary
    text = head[:4096].decode("utf-8", "replace")
    if '"learner"' in text:
        return "xgboost-json", "XGBoost", "XGBoost JSON model"
    if text.startswith("tree\nversion="):
        return "lightgbm-text", "LightGBM", "LightGBM text model"
    if head[:1] == b"{" and b"learner" in head[:32]:
        return "xgboost-ubj", "XGBoost", "XGBoost UBJSON model"
    if fmt in ("xgboost",):
        return fmt, framework, ""
    return "", "", ""
