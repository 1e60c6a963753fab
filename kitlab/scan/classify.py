"""Per-file classification: cheap by extension for code, docs and media; by content for everything else,
capped per (folder, extension) so a folder of 10,000 CSV shards costs a handful of reads."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from kitlab.scan.relpaths import inside_any
from kitlab.scan.sniff import extension_kind, sniff_file
from kitlab.scan.types import Sniffed, WalkedFile

# Kinds where siblings of one extension in one folder are taken to be alike once a few were read
# (shards, records, configs); models are always read one by one.
GROUPABLE_ROLES = ("data", "config", "other")
# Extensions the content is expected to carry; anything else is reported as misleading.
EXPECTED_EXTS = {
    "pickle": {".pkl", ".pickle", ".p", ".sav", ".model"},
    "joblib": {".joblib", ".pkl", ".jbl", ".z", ".sav", ".model"},
    "pytorch": {".pt", ".pth", ".bin", ".ckpt", ".tar", ".pt2"},
    "safetensors": {".safetensors"},
    "gguf": {".gguf"},
    "onnx": {".onnx"},
    "hdf5": {".h5", ".hdf5", ".keras", ".hdf"},
    "keras": {".keras"},
    "tflite": {".tflite"},
    "catboost": {".cbm", ".bin"},
    "csv": {".csv", ".txt", ".data", ".dat"},
    "tsv": {".tsv", ".txt", ".tab"},
    "json": {".json"},
    "jsonl": {".jsonl", ".ndjson", ".json"},
    "parquet": {".parquet", ".pq"},
    "arrow": {".arrow", ".feather", ".ipc"},
    "npy": {".npy"},
    "npz": {".npz"},
    "lightgbm-text": {".txt", ".model", ".lgb"},
    "xgboost-json": {".json"},
    "xgboost-ubj": {".ubj"},
    "pmml": {".pmml", ".xml"},
}


@dataclass
class FileFinding:
    rel: str
    size: int
    ext_kind: str  # image | audio | code | docs | "" (sniffed)
    sniffed: Sniffed | None = None
    inferred_from: str = ""  # set when the kind was taken from a sniffed sibling instead of reading
    mtime: float = 0.0

    def content_reason(self) -> str:
        if self.sniffed is None:
            return ""
        if self.inferred_from:
            return f"same kind as {self.inferred_from} ({self.sniffed.format}), not opened"
        reason = f"content: {self.sniffed.summary}"
        ext = os.path.splitext(self.rel)[1].lower()
        expected = EXPECTED_EXTS.get(self.sniffed.format)
        if not ext:
            reason += " (no extension: classified by its bytes)"
        elif expected is not None and ext not in expected:
            reason += f" (the {ext} extension is misleading: classified by its bytes)"
        return reason


# Inside run-tracker folders only files with a model file's extension are opened: the rest are logs
# (MLflow's params/metrics/tags files, W&B's run logs), and a tracker holds thousands of them.
TRACKER_MODEL_EXTS = {
    *(".pt", ".pth", ".ckpt", ".bin", ".h5", ".hdf5", ".keras", ".pkl", ".pickle", ".joblib", ".onnx"),
    *(".safetensors", ".gguf", ".pb", ".tflite", ".mar", ".nemo", ".skops", ".ubj", ".cbm", ".lgb"),
    *(".model", ".msgpack", ".gz", ".zip", ".tar", ".pmml", ".mlmodel"),
}


def classify(
    folder: Path,
    files: list[WalkedFile],
    skip: set[str],
    per_group: int,
    deadline: float,
    logs: set[str] | None = None,
) -> tuple[dict[str, FileFinding], int]:
    """Findings for every file, and how many were left unopened because ``deadline`` (monotonic) passed.

    Files under ``skip`` folders (model folders) are recorded but not opened, nor are files under
    ``logs`` folders (run trackers) but for model files by extension (``TRACKER_MODEL_EXTS``).
    """
    found: dict[str, FileFinding] = {}
    unopened = 0
    sniffed_in_group: dict[tuple[str, str], list[FileFinding]] = {}
    folder_str = str(folder)
    for item in files:
        cut = item.rel.rfind("/")
        name = item.rel[cut + 1 :]
        finding = FileFinding(item.rel, item.size, extension_kind(name), mtime=item.mtime)
        found[item.rel] = finding
        if finding.ext_kind or item.size == 0 or (skip and inside_any(item.rel, skip)):
            continue
        dot = name.rfind(".")
        if (
            logs
            and (name[dot:].lower() if dot > 0 else "") not in TRACKER_MODEL_EXTS
            and inside_any(item.rel, logs)
        ):
            continue
        key = (item.rel[: max(cut, 0)], name[dot:].lower() if dot > 0 else "")
        sniffed = sniffed_in_group.setdefault(key, [])
        if len(sniffed) >= per_group:
            model = sniffed[-1]
            if model.sniffed is not None and model.sniffed.role in GROUPABLE_ROLES:
                finding.sniffed, finding.inferred_from = model.sniffed, model.rel
                continue
        if unopened or time.monotonic() > deadline:
            unopened += 1
            continue
        finding.sniffed = sniff_file(os.path.join(folder_str, item.rel), item.size)
        sniffed.append(finding)
    return found, unopened
