"""A stand-in of ``kit init``'s Kitfile generation (kit v1.7.0 ``pkg/lib/kitfile/generate``), written
from the rules the format reference records (the reference's section 3): suffix classification of
top-level files, classification of top-level folders by their direct files, the model/parts decision and
the code catch-all. It is used only to put the corpus figures of kitlab's scanner next to kit's own."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

MODEL_EXTS = (
    *(".safetensors", ".pkl", ".joblib", ".bin", ".pth", ".pt", ".mar", ".pt2", ".ptl", ".pb", ".ckpt"),
    *(".tflite", ".tfrecords", ".npy", ".npz", ".keras", ".h5", ".caffemodel", ".pmml", ".coreml"),
    *(".gguf", ".ggml", ".ggmf", ".llamafile", ".onnx"),
)
METADATA_EXTS = (".json", ".yaml", ".xml", ".txt")
DOCS_EXTS = (".md", ".adoc", ".html", ".pdf")
DATASET_EXTS = (".tar", ".zip", ".parquet", ".csv")
KITFILES = ("Kitfile", "kitfile", ".kitfile")


def file_type(name: str) -> str:
    """First match wins, case-sensitive suffixes, in kit's order."""
    for kind, exts in (
        ("model", MODEL_EXTS),
        ("metadata", METADATA_EXTS),
        ("docs", DOCS_EXTS),
        ("dataset", DATASET_EXTS),
    ):
        if name.endswith(tuple(exts)):
            return kind
    return "unknown"


def kit_init_draft(folder: Path) -> dict[str, Any]:
    entries = sorted(os.scandir(folder), key=lambda e: e.name)
    docs: list[dict[str, str]] = []
    datasets: list[dict[str, str]] = []
    code: list[dict[str, str]] = []
    unprocessed: list[str] = []
    models: list[tuple[str, int]] = []
    metadata: list[str] = []
    catch_all = False
    for entry in entries:
        if entry.is_symlink():
            continue
        name = entry.name
        if entry.is_file():
            if name in KITFILES:
                continue
            lower = name.lower()
            if lower.startswith("readme"):
                docs.append({"path": name, "description": "Readme file"})
                continue
            if lower.startswith("license"):
                docs.append({"path": name, "description": "License file"})
                continue
            kind = file_type(name)
            if kind == "model":
                models.append((name, entry.stat().st_size))
            elif kind == "metadata":
                metadata.append(name)
            elif kind == "docs":
                docs.append({"path": name})
            elif kind == "dataset":
                datasets.append({"path": name})
            else:
                catch_all = True
            continue
        if not entry.is_dir():
            continue
        if name == "docs":
            docs.append({"path": name})
            continue
        if name in ("src", "pkg", "lib", "build"):
            code.append({"path": name})
            continue
        kinds: dict[str, list[tuple[str, int]]] = {}
        for child in sorted(os.scandir(entry.path), key=lambda e: e.name):
            child_kind = "unknown" if child.is_dir() else file_type(child.name)
            size = child.stat().st_size if child.is_file() else 0
            kinds.setdefault(child_kind, []).append((f"{name}/{child.name}", size))
        meaningful = {k for k in kinds if k != "metadata"}
        if meaningful == {"model"}:
            models += kinds["model"]
            models += kinds.get("metadata", [])
        elif meaningful == {"dataset"}:
            datasets.append({"path": name})
        elif meaningful == {"docs"}:
            docs.append({"path": name})
        else:
            models += kinds.get("model", [])
            unprocessed.append(name)
    kitfile: dict[str, Any] = {"manifestVersion": "1.0.0"}
    if models:
        sizes = [s for _, s in models]
        largest = max(range(len(models)), key=lambda i: sizes[i])
        average = sum(sizes) / len(sizes)
        main = models[largest] if len(models) == 1 or sizes[largest] > 1.5 * average else models[0]
        rest = [m for m in models if m is not main]
        kitfile["model"] = {
            "path": main[0],
            "parts": [{"path": p} for p, _ in rest] + [{"path": m} for m in metadata],
        }
    elif metadata:
        datasets += [{"path": m} for m in metadata]
    if catch_all or len(unprocessed) > 5:
        code = [{"path": "."}]
    else:
        code += [{"path": u} for u in unprocessed]
    kitfile.update({"datasets": datasets, "code": code, "docs": docs})
    return kitfile
