"""Folders that are one artifact: a model folder (Hugging Face transformers/diffusers/sentence-transformers,
spaCy, MLflow, TensorFlow SavedModel or checkpoint, Orbax checkpoint, Core ML package, PEFT adapter), a
training checkpoint, or a dataset folder (many files of one kind: images, audio, shards)."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kitlab.kitfile.yamlio import YAMLError, safe_load
from kitlab.scan.sniff import EXT_KIND, SHARD_EXTS
from kitlab.scan.types import Sniffed
from kitlab.scan.walk import DirListing

HF_WEIGHTS = re.compile(
    r"^(model|pytorch_model|tf_model|flax_model|diffusion_pytorch_model|adapter_model)"
    r"(-\d+-of-\d+)?\.(safetensors|bin|h5|msgpack)$"
)
SHARD = re.compile(r"^.+-\d{3,5}-of-\d{3,5}\.(safetensors|bin|gguf|pt|pth)$")
TOKENIZER_FILES = {"tokenizer.json", "tokenizer_config.json", "vocab.txt", "spiece.model", "merges.txt"}
DATASET_MIN_FILES = 10
DATASET_SHARE = 0.9
SMALL_JSON = 4 * 1024 * 1024
CHECKPOINT_DIR = re.compile(r"^(checkpoint|ckpt|epoch)[-_]?\d+$")
TF_DATA = re.compile(r"^(.+)\.data-\d{5}-of-\d{5}$")
MAX_HEADERS = 32
HF_PRECISION = {"float32": "float32", "float16": "float16", "bfloat16": "bfloat16"}


@dataclass
class FolderFinding:
    path: str
    sniffed: Sniffed
    name: str = ""
    checkpoint: bool = False
    files: list[str] = field(default_factory=list)
    step: int = -1  # a training checkpoint's step (checkpoint-500 → 500)
    best: bool = False  # trainer_state.json names it the best checkpoint


def _json(path: Path) -> dict[str, object]:
    try:
        if path.stat().st_size > SMALL_JSON:
            return {}
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _weight_map_files(index: Path) -> set[str]:
    """The shard files a Hugging Face ``*.index.json`` lists in its ``weight_map``."""
    weight_map = _json(index).get("weight_map")
    return {str(v) for v in weight_map.values()} if isinstance(weight_map, dict) else set()


def _mlflow_fields(text: str) -> tuple[list[str], str]:
    """(flavors, mlflow_version) of an MLmodel as MLflow writes it (block YAML, two-space indent), read
    by line: a tracker holds hundreds of MLmodel files and a YAML parse costs ~30 ms each."""
    flavors: list[str] = []
    version = ""
    section = ""
    for line in text.splitlines():
        top = re.match(r"^([A-Za-z_]\w*):\s*(.*?)\s*$", line)
        if top:
            section = top.group(1)
            if section == "mlflow_version":
                version = top.group(2).strip("'\"")
            continue
        child = re.match(r"^  ([A-Za-z_][\w.-]*):\s*$", line)
        if section == "flavors" and child:
            flavors.append(child.group(1))
    return flavors, version


def _mlflow(path: Path) -> Sniffed:
    try:
        text = path.read_text(encoding="utf-8")[: 1 << 20]
    except (OSError, UnicodeDecodeError):
        text = ""
    found, version = _mlflow_fields(text)
    if not found and text.strip():  # not MLflow's own layout: parse it as YAML
        try:
            spec = safe_load(text) or {}
        except YAMLError:
            spec = {}
        spec = spec if isinstance(spec, dict) else {}
        found = [str(f) for f in (spec.get("flavors") or {})] if isinstance(spec.get("flavors"), dict) else []
        version = str(spec.get("mlflow_version", ""))
    flavors = [f for f in found if f != "python_function"]
    flavor = flavors[0] if flavors else "python_function"
    framework = {
        "sklearn": "scikit-learn",
        "pytorch": "PyTorch",
        "xgboost": "XGBoost",
        "lightgbm": "LightGBM",
        "tensorflow": "TensorFlow",
        "keras": "Keras",
        "transformers": "transformers",
    }.get(flavor, flavor)
    return Sniffed(
        "model",
        "mlflow",
        f"MLflow model folder (MLmodel: flavor {flavor}, mlflow {version or '?'})",
        framework=framework,
    )


def _huggingface(folder: Path, names: set[str]) -> Sniffed | None:
    weights = sorted(n for n in names if HF_WEIGHTS.match(n))
    index = next((n for n in sorted(names) if n.endswith(".index.json")), "")
    if "model_index.json" in names:
        meta = _json(folder / "model_index.json")
        cls = str(meta.get("_class_name", "pipeline"))
        version = str(meta.get("_diffusers_version", ""))
        return Sniffed(
            "model",
            "diffusers",
            f"diffusers pipeline folder (model_index.json: {cls}, diffusers {version or '?'})",
            framework="diffusers",
        )
    if "adapter_config.json" in names and weights:
        meta = _json(folder / "adapter_config.json")
        base = meta.get("base_model_name_or_path", "")
        return Sniffed(
            "model",
            "peft-adapter",
            f"PEFT {meta.get('peft_type', 'adapter')} adapter for {base}",
            framework="PEFT",
        )
    if "config.json" in names and (weights or index):
        config = _json(folder / "config.json")
        archs = config.get("architectures") or []
        model_type = str(config.get("model_type", ""))
        if not archs and not model_type:
            return None
        arch = ", ".join(str(a) for a in archs) if isinstance(archs, list) else str(archs)
        sentence = "modules.json" in names or "config_sentence_transformers.json" in names
        framework = "sentence-transformers" if sentence else "transformers"
        summary = (
            f"{'sentence-transformers' if sentence else 'Hugging Face transformers'} folder "
            f"(config.json: {arch or model_type}"
        )
        if index:
            shards = _weight_map_files(folder / index)
            summary += f"; {len(shards)} weight shards listed in {index}"
        elif weights:
            summary += f"; weights {', '.join(weights[:3])}"
        if TOKENIZER_FILES & names:
            summary += "; with tokenizer"
        version = str(config.get("transformers_version", ""))
        if version:
            summary += f"; transformers {version}"
        details: dict[str, object] = {"architecture": arch, "model_type": model_type}
        details.update(_weights_facts(folder, names, str(config.get("torch_dtype", ""))))
        return Sniffed("model", "huggingface", summary + ")", framework=framework, details=details)
    shards = {n for n in names if SHARD.match(n)}
    if index or len(shards) >= 2:
        listed = _weight_map_files(folder / index) if index else shards
        source = f"listed in {index}" if index else "named -NNNNN-of-NNNNN"
        return Sniffed(
            "model",
            "safetensors" if any(n.endswith(".safetensors") for n in listed) else "sharded",
            f"sharded weights folder: {len(listed)} shards {source}",
        )
    if {"tokenizer_config.json"} <= names or {"tokenizer.json"} <= names:
        return Sniffed(
            "modelpart",
            "huggingface-tokenizer",
            "Hugging Face tokenizer folder (tokenizer files)",
            framework="transformers",
            part_type="tokenizer",
        )
    return None


def _weights_facts(folder: Path, names: set[str], torch_dtype: str) -> dict[str, object]:
    """Parameter count and precision of a folder's safetensors weights, from their headers only."""
    from kitlab.scan.sniff.safetensors import precision, read_header

    params = 0
    dtypes: set[str] = set()
    for name in sorted(n for n in names if n.endswith(".safetensors"))[:MAX_HEADERS]:
        header = read_header(str(folder / name))
        if header is None:
            continue
        count, kinds = header
        params += count
        dtypes |= kinds
    out: dict[str, object] = {}
    if params:
        out["parameters"] = params
    found = precision(dtypes) if dtypes else HF_PRECISION.get(torch_dtype, "")
    if found:
        out["precision"] = found
    return out


def _checkpoint(folder: Path, rel: str, names: set[str]) -> FolderFinding:
    base = os.path.basename(rel)
    step = int(re.sub(r"\D", "", base) or -1)
    state = _json(folder / "trainer_state.json") if "trainer_state.json" in names else {}
    best_path = str(state.get("best_model_checkpoint") or "")
    best = bool(best_path) and os.path.basename(best_path.rstrip("/")) == base
    inner = _huggingface(folder, names)
    summary = "training checkpoint (trainer_state.json/optimizer state)"
    if best:
        summary += "; trainer_state.json names it the best checkpoint"
    sniffed = Sniffed(
        "other",
        "checkpoint",
        summary,
        framework=inner.framework if inner else "",
        details=dict(inner.details) if inner else {},
    )
    return FolderFinding(rel, sniffed, name=base, checkpoint=True, step=step, best=best)


def _tf_checkpoint(folder: Path, names: set[str]) -> Sniffed | None:
    """``<prefix>.index`` with its ``<prefix>.data-*`` shards (and the ``checkpoint`` state file)."""
    prefixes = sorted(
        {m.group(1) for n in names if (m := TF_DATA.match(n))}
        & {n[:-6] for n in names if n.endswith(".index")}
    )
    if not prefixes:
        return None
    latest = ""
    if "checkpoint" in names:
        try:
            state = (folder / "checkpoint").read_text(encoding="utf-8", errors="replace")[:4096]
        except OSError:
            state = ""
        match = re.search(r'^model_checkpoint_path:\s*"([^"]+)"', state, re.M)
        latest = os.path.basename(match.group(1)) if match else ""
    shown = latest or prefixes[-1]
    return Sniffed(
        "model",
        "tf-checkpoint",
        f"TensorFlow checkpoint folder ({len(prefixes)} checkpoint(s): {', '.join(prefixes[:4])}"
        + (f"; latest {latest} per the checkpoint file" if latest else "")
        + ")",
        framework="TensorFlow",
        details={"latest": shown},
    )


def _orbax(folder: Path, names: set[str], subdirs: set[str]) -> Sniffed | None:
    """An Orbax (Flax/JAX) checkpoint step: _CHECKPOINT_METADATA, or an item with _METADATA and an
    OCDBT manifest."""
    if "_CHECKPOINT_METADATA" in names or (
        "_METADATA" in names and ("manifest.ocdbt" in names or "d" in subdirs)
    ):
        return Sniffed(
            "model",
            "orbax",
            "Orbax checkpoint (" + ", ".join(sorted(n for n in names if n.startswith("_"))[:3]) + ")",
            framework="Flax",
        )
    return None


def detect_checkpoint(folder: Path, rel: str, listing: DirListing) -> FolderFinding | None:
    """A trainer's intermediate checkpoint folder (``checkpoint-500`` with trainer/optimizer state)."""
    names = set(listing.files)
    if CHECKPOINT_DIR.match(os.path.basename(rel)) and (
        "trainer_state.json" in names or "optimizer.pt" in names
    ):
        return _checkpoint(folder, rel, names)
    return None


def detect_model_folder(folder: Path, rel: str, listing: DirListing) -> FolderFinding | None:
    names = set(listing.files)
    base = os.path.basename(rel)
    found = detect_checkpoint(folder, rel, listing)
    if found is not None:
        return found
    sniffed: Sniffed | None = None
    if "MLmodel" in names:
        sniffed = _mlflow(folder / "MLmodel")
    elif "saved_model.pb" in names or "saved_model.pbtxt" in names:
        has_vars = "variables" in listing.subdirs
        sniffed = Sniffed(
            "model",
            "saved_model",
            "TensorFlow SavedModel folder (saved_model.pb" + (" + variables/)" if has_vars else ")"),
            framework="TensorFlow",
        )
    elif base.endswith(".mlpackage") and "Manifest.json" in names:
        sniffed = Sniffed(
            "model", "coreml", "Core ML package (.mlpackage with Manifest.json)", framework="Core ML"
        )
    elif "meta.json" in names and "config.cfg" in names:
        meta = _json(folder / "meta.json")
        if "lang" in meta and "pipeline" in meta:
            pipeline = meta.get("pipeline")
            pipes = ", ".join(str(p) for p in pipeline) if isinstance(pipeline, list) else ""
            sniffed = Sniffed(
                "model",
                "spacy",
                f"spaCy pipeline folder (meta.json: lang {meta['lang']}, pipeline {pipes or 'empty'})",
                framework="spaCy",
                version=str(meta.get("version", "")),
            )
    else:
        sniffed = (
            _huggingface(folder, names)
            or _tf_checkpoint(folder, names)
            or _orbax(folder, names, set(listing.subdirs))
        )
    if sniffed is None:
        return None
    return FolderFinding(rel, sniffed, name=base)


def _file_kind(name: str) -> str:
    """The kind a dataset folder is made of: "image", "audio", a shard extension, "meta" or "other"."""
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > 0 else ""
    kind = EXT_KIND.get(ext, "")
    if kind in ("image", "audio"):
        return kind
    if ext in SHARD_EXTS:
        return ext
    if kind or ext == ".json" or name.upper().startswith(("README", "LICENSE", "REQUIREMENTS")):
        return "meta"
    return "other"


def subtree_kinds(dirs: dict[str, DirListing]) -> dict[str, Counter[str]]:
    """Counts of file kinds in each directory's whole subtree (bottom-up, one pass over each listing)."""
    totals: dict[str, Counter[str]] = {}
    for rel in sorted(dirs, key=lambda d: d.count("/") if d else -1, reverse=True):
        listing = dirs[rel]
        counts: Counter[str] = Counter(_file_kind(n) for n in listing.files)
        prefix = rel + "/" if rel else ""
        for sub in listing.subdirs:
            counts.update(totals.get(prefix + sub, Counter()))
        totals[rel] = counts
    return totals


def detect_dataset_folders(dirs: dict[str, DirListing], claimed: set[str]) -> list[tuple[str, str, int]]:
    """Topmost folders whose files are ≥ 90 % one data kind: (path, kind, file count)."""
    totals = subtree_kinds(dirs)
    found: list[tuple[str, str, int]] = []
    for rel in sorted(dirs):
        if not rel or any(rel == c or rel.startswith(c + "/") for c in claimed):
            continue
        if any(rel == f or rel.startswith(f + "/") for f, _, _ in found):
            continue
        counts = totals[rel]
        meaningful = sum(v for k, v in counts.items() if k != "meta")
        if meaningful < DATASET_MIN_FILES:
            continue
        kind, count = counts.most_common(1)[0] if counts else ("", 0)
        if kind == "meta" and len(counts) > 1:
            kind, count = next((k, v) for k, v in counts.most_common() if k != "meta")
        if kind not in ("other", "meta") and count >= DATASET_SHARE * meaningful:
            # data/ holding only images/ is the images/ dataset: walk down single-child wrappers.
            while not dirs[rel].files and len(dirs[rel].subdirs) == 1:
                rel = f"{rel}/{dirs[rel].subdirs[0]}"
            found.append((rel, kind, count))
    return found
