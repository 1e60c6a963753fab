"""Pickle and joblib files, read by kitlab's one pickle analyser (``kitlab.scan.pickles``), which walks
opcodes symbolically — nothing is ever unpickled.

The classes a pickle references (GLOBAL / STACK_GLOBAL) say what it holds: the first one referenced before
any container opcode is the outermost object's class. Pandas/NumPy objects are data, not models. The
walk reads a bounded prefix of opcodes (``WALK_LIMIT``); joblib's numpy array bytes are skipped, not read.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import re
import zlib
from typing import BinaryIO

from kitlab.scan.pickles.vm import TORCH_LEGACY_MAGIC, Findings, Machine, Obj, PickleError, Reader, SymDict
from kitlab.scan.types import Sniffed

WALK_LIMIT = 2 * 1024 * 1024  # class references sit at the front; array payloads after them are skipped

FRAMEWORKS = (
    ("sklearn", "scikit-learn"),
    ("xgboost", "XGBoost"),
    ("lightgbm", "LightGBM"),
    ("catboost", "CatBoost"),
    ("torch", "PyTorch"),
    ("keras", "Keras"),
    ("tensorflow", "TensorFlow"),
    ("statsmodels", "statsmodels"),
    ("transformers", "transformers"),
    ("tokenizers", "tokenizers"),
    ("sentence_transformers", "sentence-transformers"),
    ("prophet", "Prophet"),
    ("gensim", "gensim"),
    ("spacy", "spaCy"),
)
DATA_MODULES = ("pandas", "numpy", "scipy.sparse", "pyarrow", "polars")
# scikit-learn estimators that prepare features rather than predict: saved beside a model they are parts.
PART_MODULES = {
    "sklearn.preprocessing": "",
    "sklearn.feature_extraction": "vectorizer",
    "sklearn.impute": "imputer",
    "sklearn.decomposition": "decomposition",
    "sklearn.feature_selection": "feature-selector",
    "sklearn.compose": "transformer",
}
CONTAINER_OPS = frozenset(b"}])(dlt\x8f")
VERSION_BYTES = re.compile(rb"_sklearn_version\x94?(?:\x8c|X....)[\x00-\xff]?([0-9][0-9A-Za-z.+]*)")


def walk_references(fh: BinaryIO, limit: int = WALK_LIMIT) -> tuple[list[str], bool, int | None, str]:
    """Classes referenced (``module.Name``, in order), whether the outermost object is a container and
    the first stream's value when it is an integer (torch's legacy magic) and the outermost object's
    ``_sklearn_version``, walking at most ``limit`` bytes of opcodes and stopping quietly where the
    bytes end or break."""
    findings = Findings()
    machine = Machine(Reader(fh, budget=limit), findings, "sniff")
    root = None
    with contextlib.suppress(PickleError, OSError, EOFError, zlib.error, ValueError):
        root = machine.run()
    first_int = root if isinstance(root, int) and not isinstance(root, bool) else None
    version = ""
    if isinstance(root, Obj):
        state = root.state[0] if isinstance(root.state, tuple) and root.state else root.state
        if isinstance(state, SymDict) and isinstance(state.get("_sklearn_version"), str):
            version = state.get("_sklearn_version")
    return list(findings.order), machine.first_op in CONTAINER_OPS, first_int, version


def references(data: bytes) -> tuple[list[str], bool, int | None, str]:
    """``walk_references`` over bytes, plus the pickled ``_sklearn_version``."""
    found, container, first_int, version = walk_references(io.BytesIO(data), len(data) + 1)
    if not version:
        match = VERSION_BYTES.search(data[:WALK_LIMIT])
        version = match.group(1).decode("ascii") if match else ""
    return found, container, first_int, version


def _framework(module: str) -> str:
    for prefix, label in FRAMEWORKS:
        if module == prefix or module.startswith(prefix + "."):
            return label
    return ""


def _part_type(cls: str) -> str:
    module, _, name = cls.rpartition(".")
    lowered = name.lower()
    if "tokenizer" in lowered:
        return "tokenizer"
    for prefix, label in PART_MODULES.items():
        if module.startswith(prefix):
            if label:
                return label
            return "encoder" if "encoder" in lowered or "binarizer" in lowered else "scaler"
    return ""


def _is_data(cls: str) -> bool:
    return any(cls.startswith(m + ".") for m in DATA_MODULES)


def classify(data: bytes, fmt: str) -> Sniffed | None:
    found, container, first_int, sklearn_version = references(data)
    return _classify(found, container, first_int, sklearn_version, fmt)


def _classify(
    found: list[str], container: bool, first_int: int | None, sklearn_version: str, fmt: str
) -> Sniffed | None:
    if first_int == TORCH_LEGACY_MAGIC:
        return Sniffed(
            "model",
            "pytorch",
            "PyTorch legacy (non-zip) checkpoint: torch.save magic number",
            framework="PyTorch",
        )
    if not found and not container and first_int is None:
        return None
    classes = [
        c
        for c in dict.fromkeys(found)
        if not c.startswith(("builtins.", "copy_reg.", "copyreg.", "collections.", "joblib.", "_codecs."))
    ]
    shown = ", ".join(classes[:4]) + (" …" if len(classes) > 4 else "")
    label = "joblib" if fmt == "joblib" or any(c.startswith("joblib.") for c in found) else "pickle"
    outer = classes[0] if classes and not container else ""
    model_classes = [c for c in classes if _framework(c) and not _part_type(c)]
    if (outer and _is_data(outer)) or (
        not model_classes and any(_is_data(c) for c in classes) and not any(_framework(c) for c in classes)
    ):
        what = outer or next(c for c in classes if _is_data(c))
        return Sniffed(
            "data",
            label,
            f"{label} of {what} (data, not a model)",
            framework="pandas" if what.startswith("pandas") else "NumPy",
            details={"classes": classes[:20]},
        )
    main = outer if outer and _framework(outer) else (model_classes[0] if model_classes else "")
    if not main and classes:
        main = next((c for c in classes if _framework(c)), "")
    if main:
        part = _part_type(main)
        role = "modelpart" if part else "model"
        framework = _framework(main)
        summary = f"{label} referencing {shown}" if container else f"{label} of {main} ({framework})"
        version = sklearn_version if framework == "scikit-learn" else ""
        if version:
            summary += f", scikit-learn {version}"
        return Sniffed(
            role,
            label,
            summary,
            framework=framework,
            part_type=part,
            details={"classes": classes[:20], "outer": outer},
        )
    summary = f"{label} of plain Python objects" + (f" ({shown})" if classes else "")
    return Sniffed("other", label, summary, details={"classes": classes[:20]})


def sniff_pickle(path: str, head: bytes, ext: str) -> Sniffed | None:
    fmt = "joblib" if ext == ".joblib" else "pickle"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        with open(path, "rb") as fh:
            return _classify_stream(fh, head, fmt)
    if head[:1] == b"x" and head[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
        return _compressed(path, lambda fh: io.BufferedReader(_Inflate(fh)), "zlib-compressed joblib")
    if head[:2] == b"\x1f\x8b":
        return _compressed(path, lambda fh: gzip.GzipFile(fileobj=fh), "gzip-compressed joblib")
    return None


def _classify_stream(fh: BinaryIO, head: bytes, fmt: str) -> Sniffed | None:
    found, container, first_int, version = walk_references(fh)
    if not version:
        match = VERSION_BYTES.search(head)
        version = match.group(1).decode("ascii") if match else ""
    return _classify(found, container, first_int, version, fmt)


class _Inflate(io.RawIOBase):
    def __init__(self, fh: BinaryIO) -> None:
        self.fh, self.dec, self.pending = fh, zlib.decompressobj(), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self.pending and not self.dec.eof:
            data = self.dec.unconsumed_tail or self.fh.read(1 << 16)
            if not data:
                break
            self.pending = self.dec.decompress(data, len(buffer))
        count = min(len(buffer), len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count


def _compressed(path: str, opener: object, label: str) -> Sniffed | None:
    try:
        with open(path, "rb") as raw:
            fh = opener(raw)  # type: ignore[operator]
            head = fh.read(4096)
            if head[:1] != b"\x80":
                return None
            with open(path, "rb") as again:
                found = _classify_stream(opener(again), head, "joblib")  # type: ignore[operator]
    except (OSError, EOFError, zlib.error):
        return None
    if found is not None:
        found.format = "joblib"
        found.summary = found.summary.replace("joblib", label, 1)
    return found
