"""Pickle and joblib files, read by walking opcodes with ``pickletools.genops`` — nothing is ever unpickled.

The classes a pickle references (GLOBAL / STACK_GLOBAL) say what it holds: the first one referenced before
any container opcode is the outermost object's class. Pandas/NumPy objects are data, not models.
"""

from __future__ import annotations

import io
import pickletools
import re
import zlib

from kitlab.scan.types import Sniffed

WALK_LIMIT = 2 * 1024 * 1024  # class references sit at the front; array payloads after them are skipped
TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

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
CONTAINER_OPS = {"EMPTY_DICT", "EMPTY_LIST", "EMPTY_TUPLE", "MARK", "DICT", "LIST", "TUPLE", "EMPTY_SET"}
STACK_GLOBAL_BYTES = re.compile(
    rb"\x8c[\x01-\x7f]([A-Za-z_][\w.]*)\x94?\x8c[\x01-\x7f]([A-Za-z_]\w*)\x94?\x93"
)
VERSION_BYTES = re.compile(rb"_sklearn_version\x94?(?:\x8c|X....)[\x00-\xff]?([0-9][0-9A-Za-z.+]*)")
STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8", "SHORT_BINSTRING", "BINSTRING"}


def references(data: bytes) -> tuple[list[str], bool, int | None, str]:
    """Classes referenced (``module.Name``, in order), whether the outermost object is a container,
    the first integer constant (torch's legacy magic) and the pickled ``_sklearn_version`` — stopping
    quietly where the bytes end."""
    found: list[str] = []
    container = False
    first_int: int | None = None
    strings: list[str] = []
    memo: dict[int, str] = {}
    memo_next = 0
    last_string = ""  # the string the previous opcode pushed, if any
    started = False
    try:
        for op, arg, _pos in pickletools.genops(io.BytesIO(data)):
            name = op.name
            if name in ("PROTO", "FRAME"):
                continue
            if not started:
                started = True
                container = name in CONTAINER_OPS
                if name in ("LONG1", "LONG4", "BININT", "INT", "LONG"):
                    first_int = int(arg)
            pushed = ""
            if name in STRING_OPS:
                pushed = str(arg)
                strings.append(pushed)
            elif name in ("MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"):
                index = memo_next if name == "MEMOIZE" else int(arg)
                memo_next = max(memo_next, index + 1)
                if last_string:
                    memo[index] = last_string
                pushed = last_string
            elif name in ("BINGET", "LONG_BINGET", "GET") and int(arg) in memo:
                pushed = memo[int(arg)]
                strings.append(pushed)
            elif name in ("GLOBAL", "INST"):
                found.append(str(arg).replace(" ", "."))
            elif name == "STACK_GLOBAL" and len(strings) >= 2:
                found.append(f"{strings[-2]}.{strings[-1]}")
            elif name == "STOP":
                break
            last_string = pushed
    except Exception:
        pass
    # joblib writes raw array bytes inside the stream, where genops stops; references after them are
    # found by their byte pattern (a STACK_GLOBAL of two short strings, or a protocol-2 GLOBAL line).
    for match in STACK_GLOBAL_BYTES.finditer(data):
        cls = f"{match.group(1).decode('ascii')}.{match.group(2).decode('ascii')}"
        if cls not in found:
            found.append(cls)
    version = VERSION_BYTES.search(data)
    return found, container, first_int, version.group(1).decode("ascii") if version else ""


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
            return classify(fh.read(WALK_LIMIT), fmt)
    if head[:1] == b"x" and head[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
        return _compressed(path, zlib.decompressobj(), "zlib-compressed joblib")
    if head[:2] == b"\x1f\x8b":
        return _compressed(path, zlib.decompressobj(16 + zlib.MAX_WBITS), "gzip-compressed joblib")
    return None


def _compressed(path: str, decoder: zlib._Decompress, label: str) -> Sniffed | None:
    out = bytearray()
    try:
        with open(path, "rb") as fh:
            while len(out) < WALK_LIMIT and not decoder.eof:
                chunk = fh.read(65536)
                if not chunk:
                    break
                out += decoder.decompress(chunk, WALK_LIMIT - len(out))
    except zlib.error:
        return None
    if out[:1] != b"\x80":
        return None
    found = classify(bytes(out), "joblib")
    if found is not None:
        found.format = "joblib"
        found.summary = found.summary.replace("joblib", label, 1)
    return found
