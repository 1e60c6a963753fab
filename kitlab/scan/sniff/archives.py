"""Zip-based formats, told apart by their member names (the central directory is read, not the data):
PyTorch ``torch.save`` checkpoints, Keras v3 ``.keras``, NumPy ``.npz`` and zipped datasets."""

from __future__ import annotations

import json
import zipfile

from kitlab.scan.sniff.columnar import npy_header
from kitlab.scan.sniff.pickles import WALK_LIMIT, references
from kitlab.scan.types import Sniffed, human_size

MEDIA = (".png", ".jpg", ".jpeg", ".wav", ".flac", ".mp3", ".csv", ".json", ".jsonl", ".parquet", ".txt")


def sniff_zip(path: str, size: int) -> Sniffed | None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if not names:
                return None
            data_pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), "")
            if data_pkl:
                return _torch(zf, data_pkl, names, size)
            if "config.json" in names and "metadata.json" in names:
                return _keras(zf, size)
            if all(n.endswith(".npy") for n in names):
                return _npz(zf, names)
            media = [n for n in names if n.lower().endswith(MEDIA)]
            if len(media) >= max(1, len(names) // 2):
                return Sniffed(
                    "data", "zip", f"zip archive of {len(names)} files ({len(media)} data/media files)"
                )
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    return None


def _torch(zf: zipfile.ZipFile, data_pkl: str, names: list[str], size: int) -> Sniffed:
    with zf.open(data_pkl) as fh:
        classes, container, _, _ = references(fh.read(WALK_LIMIT))
    outer = "" if container or not classes else classes[0]
    tensors = sum(1 for n in names if "/data/" in n)
    if outer in ("", "collections.OrderedDict") and "torch._utils._rebuild_tensor_v2" in classes:
        what = "state_dict of tensors"
    else:
        what = outer or "a container of " + ", ".join(classes[:3])
    summary = f"PyTorch zip checkpoint (torch.save): {what}, {tensors} tensor storages, {human_size(size)}"
    return Sniffed("model", "pytorch", summary, framework="PyTorch", details={"classes": classes[:20]})


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
