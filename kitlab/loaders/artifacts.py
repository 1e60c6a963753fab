"""What each entry of an unpacked ModelKit is, and so how a notebook should load it.

The bytes decide the loader family when they are recognisable — kitlab/scan's sniffers for files and
model folders, this package's pickle scanner for anything pickle-based — because a loader that cannot read
the bytes is useless whatever the Kitfile says. The Kitfile's ``framework``/``format`` decide when the
content is not recognisable (and pick the flavour where several loaders read the same bytes, e.g. the
safetensors backend or the sentence-transformers vs transformers class for a Hugging Face folder).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from kitlab.loaders.pickle_safety import NOT_A_PICKLE, PickleReport, scan_pickle_file
from kitlab.scan.folders import detect_model_folder
from kitlab.scan.sniff import sniff_file
from kitlab.scan.walk import DirListing

FOLDER_LISTING_LIMIT = 2000

# Kitfile framework / format text (lower-cased, punctuation removed) → loader family.
KITFILE_FAMILIES = {
    "scikitlearn": "sklearn",
    "sklearn": "sklearn",
    "joblib": "pickle",
    "pickle": "pickle",
    "pkl": "pickle",
    "pytorch": "pytorch",
    "torch": "pytorch",
    "pt": "pytorch",
    "pth": "pytorch",
    "transformers": "transformers",
    "huggingface": "transformers",
    "hf": "transformers",
    "diffusers": "diffusers",
    "sentencetransformers": "sentence-transformers",
    "peft": "peft",
    "safetensors": "safetensors",
    "onnx": "onnx",
    "onnxruntime": "onnx",
    "keras": "keras",
    "h5": "keras",
    "hdf5": "keras",
    "tensorflow": "tensorflow",
    "tf": "tensorflow",
    "savedmodel": "savedmodel",
    "tflite": "tflite",
    "tensorflowlite": "tflite",
    "litert": "tflite",
    "xgboost": "xgboost",
    "ubj": "xgboost",
    "lightgbm": "lightgbm",
    "lgbm": "lightgbm",
    "catboost": "catboost",
    "cbm": "catboost",
    "gguf": "gguf",
    "llamacpp": "gguf",
    "ggml": "gguf",
    "spacy": "spacy",
    "mlflow": "mlflow",
}
SNIFFED_FAMILIES = {
    "safetensors": "safetensors",
    "gguf": "gguf",
    "onnx": "onnx",
    "keras": "keras",
    "tflite": "tflite",
    "catboost": "catboost",
    "xgboost-ubj": "xgboost",
    "xgboost-json": "xgboost",
    "lightgbm-text": "lightgbm",
    "pytorch": "pytorch",
    "diffusers": "diffusers",
    "peft-adapter": "peft",
    "mlflow": "mlflow",
    "saved_model": "savedmodel",
    "spacy": "spacy",
}
DATA_FORMATS = {"csv", "tsv", "parquet", "arrow", "jsonl", "json", "npy", "npz"}
EXT_DATA_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".feather": "arrow",
    ".arrow": "arrow",
    ".jsonl": "jsonl",
    ".json": "json",
    ".npy": "npy",
    ".npz": "npz",
}
SKLEARN_LIKE = ("sklearn.", "xgboost.sklearn.", "lightgbm.sklearn.", "catboost.core.")
# scikit-learn modules whose estimators are transformers (they have ``transform``), not predictors.
TRANSFORMER_MODULES = (
    "sklearn.preprocessing",
    "sklearn.decomposition",
    "sklearn.feature_extraction",
    "sklearn.feature_selection",
    "sklearn.impute",
    "sklearn.compose",
    "sklearn.kernel_approximation",
    "sklearn.random_projection",
)


@dataclass
class Artifact:
    """One loadable thing: the model, a model part, a dataset. ``rel`` is POSIX, relative to the kit."""

    role: str  # model | part | dataset
    name: str
    rel: str
    family: str = ""  # loader family for models/parts; data format for datasets ("" = unknown)
    description: str = ""
    license: str = ""
    part_type: str = ""
    is_dir: bool = False
    summary: str = ""  # what the content looks like, in words
    kitfile_hint: str = ""  # the Kitfile framework/format text, as written
    mismatch: str = ""  # set when the bytes overrule the Kitfile
    pickle: PickleReport | None = None  # for a pickle-based file
    inner_reports: list[PickleReport] = field(default_factory=list)  # pickles inside a folder
    files: list[str] = field(default_factory=list)  # for folders: member files, relative to the folder
    size: int = 0

    @property
    def is_sklearn_like(self) -> bool:
        return self.pickle is not None and self.pickle.root_class.startswith(SKLEARN_LIKE)

    @property
    def is_transformer(self) -> bool:
        return self.pickle is not None and self.pickle.root_class.startswith(TRANSFORMER_MODULES)


def kitfile_family(*texts: str) -> str:
    for text in texts:
        key = re.sub(r"[^a-z0-9]", "", text.lower())
        if key in KITFILE_FAMILIES:
            return KITFILE_FAMILIES[key]
        for word in re.split(r"[^a-z0-9.]+", text.lower()):
            found = KITFILE_FAMILIES.get(word.replace(".", ""))
            if found:
                return found
    return ""


def _listing(folder: Path) -> tuple[DirListing, list[str]]:
    listing = DirListing()
    files: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, folder)
        if rel_dir == ".":
            listing.files = sorted(filenames)
            listing.subdirs = sorted(dirnames)
        for name in sorted(filenames):
            files.append(name if rel_dir == "." else f"{Path(rel_dir).as_posix()}/{name}")
            if len(files) >= FOLDER_LISTING_LIMIT:
                return listing, files
    return listing, files


def _pickle_family(report: PickleReport) -> str:
    if report.format.startswith("torch"):
        return "pytorch"
    return "sklearn" if report.root_class.startswith(SKLEARN_LIKE) else "pickle"


def _content_family(path: Path, reports: dict[str, PickleReport]) -> tuple[str, str]:
    """(family or data format, summary) from the file's bytes."""
    report = reports.get(str(path)) or scan_pickle_file(path)
    if report.verdict != NOT_A_PICKLE:
        reports[str(path)] = report
        what = report.root_class or "Python objects"
        if report.format.startswith("torch"):
            return "pytorch", f"PyTorch checkpoint ({report.format})"
        return _pickle_family(report), f"{report.format} of {what}"
    sniffed = sniff_file(str(path), path.stat().st_size)
    if sniffed is None:
        return "", ""
    if sniffed.role == "data" and sniffed.format in DATA_FORMATS:
        return sniffed.format, sniffed.summary
    if sniffed.format == "hdf5" and sniffed.framework == "Keras":
        return "keras", sniffed.summary
    return SNIFFED_FAMILIES.get(sniffed.format, ""), sniffed.summary


def _folder_family(path: Path, rel: str, listing: DirListing) -> tuple[str, str]:
    found = detect_model_folder(path, rel, listing)
    if found is None:
        return "", ""
    sniffed = found.sniffed
    if sniffed.format == "huggingface":
        family = "sentence-transformers" if sniffed.framework == "sentence-transformers" else "transformers"
        return family, sniffed.summary
    if sniffed.format == "huggingface-tokenizer":
        return "tokenizer", sniffed.summary
    return SNIFFED_FAMILIES.get(sniffed.format, ""), sniffed.summary


def describe(
    kit_dir: Path,
    role: str,
    name: str,
    rel: str,
    reports: dict[str, PickleReport],
    *,
    hints: tuple[str, ...] = (),
    description: str = "",
    license: str = "",
    part_type: str = "",
) -> Artifact:
    """Work out the loader family of one Kitfile entry. ``reports`` (absolute path → report) is filled
    with scans of pickle-based files met on the way, so each file is scanned once."""
    art = Artifact(role, name, rel, description=description, license=license, part_type=part_type)
    art.kitfile_hint = " / ".join(h for h in hints if h)
    hinted = kitfile_family(*hints)
    path = kit_dir / rel
    if path.is_dir():
        art.is_dir = True
        listing, art.files = _listing(path)
        family, art.summary = _folder_family(path, rel, listing)
        if role != "dataset":
            # Folder loaders (from_pretrained, pyfunc) may unpickle any file inside: every one is scanned.
            for member in art.files:
                key = str(path / member)
                if key not in reports:
                    found = scan_pickle_file(key)
                    if found.verdict != NOT_A_PICKLE:
                        reports[key] = found
        prefix = str(path) + os.sep
        art.inner_reports = [r for key, r in sorted(reports.items()) if key.startswith(prefix)]
        if role == "dataset":
            formats = {EXT_DATA_FORMATS.get(Path(f).suffix.lower(), "") for f in art.files}
            family = f"folder:{formats.pop()}" if len(formats) == 1 and "" not in formats else "folder"
        art.family = _choose(family, hinted, art, folder=True)
        return art
    if not path.is_file():
        return art
    art.size = path.stat().st_size
    family, art.summary = _content_family(path, reports)
    art.pickle = reports.get(str(path))
    if role == "dataset" and not family:
        family = EXT_DATA_FORMATS.get(path.suffix.lower(), "")
    art.family = _choose(family, hinted, art, folder=False)
    return art


# Frameworks whose weights commonly travel as safetensors / torch checkpoints / ONNX exports: no conflict.
TENSOR_FRAMEWORKS = {
    "pytorch",
    "transformers",
    "tensorflow",
    "keras",
    "diffusers",
    "sentence-transformers",
    "peft",
}
# Loader families that read the same bytes: the Kitfile may pick among them.
INTERCHANGEABLE = [
    {"sklearn", "pickle", "xgboost", "lightgbm", "catboost"},
    {"transformers", "sentence-transformers"},
    {"keras", "tensorflow"},
    {"savedmodel", "tensorflow"},
    {"tflite", "tensorflow"},
]


def _choose(content: str, hinted: str, art: Artifact, *, folder: bool) -> str:
    if not content:
        if hinted == "tensorflow":
            return "savedmodel" if folder else "keras"
        return hinted
    if not hinted or hinted == content or art.role == "dataset":
        return content
    if content in ("safetensors", "pytorch", "onnx") and hinted in TENSOR_FRAMEWORKS:
        return content
    for group in INTERCHANGEABLE:
        if content in group and hinted in group:
            if content in ("sklearn", "pickle") or hinted == "tensorflow":
                return content  # joblib.load reads any estimator pickle; TF's formats differ by bytes
            return hinted
    art.mismatch = f"the Kitfile says {art.kitfile_hint!r}, but the content is {art.summary or content}"
    return content
