"""Zip-based formats, told apart by their member names (the central directory is read; only small,
named members are opened): PyTorch ``torch.save`` checkpoints (and the training frameworks that write
them: Lightning, Ultralytics, fastai, NeMo), Keras v3 ``.keras``, skops ``.skops``, TorchServe ``.mar``,
zipped SavedModel / MLflow / ONNX folders, NumPy ``.npz`` and zipped datasets."""

from __future__ import annotations

import json
import posixpath
import zipfile

from kitlab.scan.sniff.columnar import npy_header
from kitlab.scan.sniff.pickles import WALK_LIMIT, references
from kitlab.scan.types import Sniffed, human_size

MEDIA = (".png", ".jpg", ".jpeg", ".wav", ".flac", ".mp3", ".csv", ".json", ".jsonl", ".parquet", ".txt")
SMALL_MEMBER = 1024 * 1024
# Globals inside a torch pickle that name the training framework that wrote it (most specific first).
TORCH_FRAMEWORKS = (
    ("ultralytics.", "Ultralytics"),
    ("fastai.", "fastai"),
    ("nemo.", "NeMo"),
    ("lightning.", "PyTorch Lightning"),
    ("pytorch_lightning.", "PyTorch Lightning"),
    ("transformers.", "transformers"),
    ("timm.", "timm"),
    ("torchvision.", "PyTorch"),
)
# Model files by extension, for archives whose members are not opened: (suffix, format, framework).
MEMBER_MODELS = (
    ("saved_model.pb", "saved_model", "TensorFlow"),
    ("MLmodel", "mlflow", ""),
    (".onnx", "onnx", "ONNX"),
    (".safetensors", "safetensors", ""),
    (".gguf", "gguf", "llama.cpp"),
    (".keras", "keras", "Keras"),
    (".h5", "hdf5", "Keras"),
    (".tflite", "tflite", "TensorFlow Lite"),
    (".pt", "pytorch", "PyTorch"),
    (".pth", "pytorch", "PyTorch"),
    (".ckpt", "pytorch", "PyTorch"),
    (".cbm", "catboost", "CatBoost"),
)


def sniff_zip(path: str, size: int) -> Sniffed | None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if not names:
                return None
            data_pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), "")
            if data_pkl:
                return torch_zip(zf, data_pkl, names, size)
            if "MAR-INF/MANIFEST.json" in names:
                return _torchserve(zf, size)
            if "schema.json" in names and all(
                n == "schema.json" or n.endswith(".npy") or "/" not in n for n in names
            ):
                found = _skops(zf, size)
                if found is not None:
                    return found
            if "config.json" in names and "metadata.json" in names:
                return _keras(zf, size)
            if all(n.endswith(".npy") for n in names):
                return _npz(zf, names)
            inside = _model_member(names)
            if inside is not None:
                member, fmt, framework = inside
                return Sniffed(
                    "model",
                    f"zip/{fmt}",
                    f"zip archive holding {member} ({len(names)} files), {human_size(size)}",
                    framework=framework or "",
                    details={"member": member},
                )
            media = [n for n in names if n.lower().endswith(MEDIA)]
            if len(media) >= max(1, len(names) // 2):
                return Sniffed(
                    "data", "zip", f"zip archive of {len(names)} files ({len(media)} data/media files)"
                )
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return None
    return None


def _model_member(names: list[str]) -> tuple[str, str, str] | None:
    for suffix, fmt, framework in MEMBER_MODELS:
        member = next(
            (
                n
                for n in names
                if n.endswith(suffix) and (suffix[0] == "." or posixpath.basename(n) == suffix)
            ),
            "",
        )
        if member:
            return member, fmt, framework
    return None


def torch_framework(classes: list[str], raw: bytes) -> str:
    """The training framework a torch pickle came from: the globals it names, then Lightning's keys."""
    for prefix, label in TORCH_FRAMEWORKS:
        if any(c.startswith(prefix) for c in classes):
            return label
    if b"pytorch-lightning_version" in raw:
        return "PyTorch Lightning"
    return "PyTorch"


def torch_zip(zf: zipfile.ZipFile, data_pkl: str, names: list[str], size: int) -> Sniffed:
    with zf.open(data_pkl) as fh:
        raw = fh.read(WALK_LIMIT)
    classes, container, _, _ = references(raw)
    outer = "" if container or not classes else classes[0]
    tensors = sum(1 for n in names if "/data/" in n)
    framework = torch_framework(classes, raw)
    checkpoint = b"optimizer_states" in raw or b"optimizer_state_dict" in raw
    if framework == "PyTorch Lightning":
        what = "Lightning checkpoint (state_dict, hyper_parameters, pytorch-lightning_version)"
    elif framework in ("Ultralytics", "fastai", "NeMo", "transformers", "timm"):
        model_class = next((c for c in classes if c.startswith(framework.lower().split()[0])), "")
        what = f"{framework} model {model_class.rpartition('.')[2] or 'object'}"
    elif outer in ("", "collections.OrderedDict") and "torch._utils._rebuild_tensor_v2" in classes:
        what = "state_dict of tensors"
    else:
        what = outer or "a container of " + ", ".join(classes[:3])
    summary = f"PyTorch zip checkpoint (torch.save): {what}, {tensors} tensor storages, {human_size(size)}"
    return Sniffed(
        "model",
        "pytorch",
        summary,
        framework=framework,
        details={"classes": classes[:20], "training_state": checkpoint},
    )


def _torchserve(zf: zipfile.ZipFile, size: int) -> Sniffed:
    manifest: dict[str, object] = {}
    info = zf.getinfo("MAR-INF/MANIFEST.json")
    if info.file_size <= SMALL_MEMBER:
        try:
            manifest = json.loads(zf.read(info))
        except ValueError:
            manifest = {}
    model = manifest.get("model") if isinstance(manifest.get("model"), dict) else {}
    assert isinstance(model, dict)
    name = str(model.get("modelName", ""))
    handler = str(model.get("handler", ""))
    summary = (
        f"TorchServe model archive (MAR-INF/MANIFEST.json: {name or 'model'}"
        + (f", handler {handler}" if handler else "")
        + f", archiver {manifest.get('archiverVersion', '?')}), {human_size(size)}"
    )
    return Sniffed(
        "model",
        "torchserve-mar",
        summary,
        framework="PyTorch",
        version=str(model.get("modelVersion", "")),
        details={"serialized_file": str(model.get("serializedFile", ""))},
    )


def _skops(zf: zipfile.ZipFile, size: int) -> Sniffed | None:
    info = zf.getinfo("schema.json")
    if info.file_size > 16 * SMALL_MEMBER:
        return None
    try:
        schema = json.loads(zf.read(info))
    except ValueError:
        return None
    if not isinstance(schema, dict) or "__class__" not in schema or "protocol" not in schema:
        return None
    module = str(schema.get("__module__", ""))
    cls = str(schema.get("__class__", ""))
    framework = {"sklearn": "scikit-learn", "xgboost": "XGBoost", "lightgbm": "LightGBM"}.get(
        module.split(".")[0], ""
    )
    version = str(schema.get("_skops_version", ""))
    summary = f"skops archive (schema.json): {module}.{cls}, skops {version or '?'}, {human_size(size)}"
    return Sniffed("model", "skops", summary, framework=framework, details={"classes": [f"{module}.{cls}"]})


def _keras(zf: zipfile.ZipFile, size: int) -> Sniffed | None:
    try:
        meta = json.loads(zf.read("metadata.json"))
        config = json.loads(zf.read("config.json"))
    except (ValueError, KeyError):
        return None
    version = str(meta.get("keras_version", ""))
    cls = str(config.get("class_name", "")) if isinstance(config, dict) else ""
    summary = f"Keras v3 archive: {cls or 'model'}, keras {version or '?'}, {human_size(size)}"
    return Sniffed("model", "keras", summary, framework="Keras")


def _npz(zf: zipfile.ZipFile, names: list[str]) -> Sniffed:
    arrays = []
    for name in names[:8]:
        with zf.open(name) as fh:
            header = npy_header(fh.read(4096))
        if header:
            arrays.append(f"{name[:-4]} {header}")
    more = f" (+{len(names) - 8} more)" if len(names) > 8 else ""
    return Sniffed(
        "data", "npz", f"NumPy .npz with {len(names)} arrays: " + "; ".join(arrays) + more, framework="NumPy"
    )
