"""Source code of the notebook's loader cells, one function per loader family.

Every string taken from the kit (paths, names, pickle global names — a malicious pickle chooses its own)
goes into code only through ``repr`` and into comments only through ``comment``, which flattens line
breaks: nothing from the kit can start a line of code of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kitlab.loaders.artifacts import Artifact, kitfile_family
from kitlab.loaders.pickle_safety import SAFE, PickleReport
from kitlab.scan.pickles.policy import DANGEROUS, UNKNOWN

LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")
BIG_TABLE = 500 * 1000 * 1000
AUTO_CLASSES = (
    ("ForCausalLM", "AutoModelForCausalLM"),
    ("ForMaskedLM", "AutoModelForMaskedLM"),
    ("ForSeq2SeqLM", "AutoModelForSeq2SeqLM"),
    ("ForConditionalGeneration", "AutoModelForSeq2SeqLM"),
    ("ForSequenceClassification", "AutoModelForSequenceClassification"),
    ("ForTokenClassification", "AutoModelForTokenClassification"),
    ("ForQuestionAnswering", "AutoModelForQuestionAnswering"),
    ("ForImageClassification", "AutoModelForImageClassification"),
)


def comment(text: str) -> str:
    return "# " + LINE_BREAKS.sub(" ", text).strip()


def names(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def gate(code: str, reports: list[PickleReport], what: str, deliberately: list[str] | None = None) -> str:
    """Guard loader code that unpickles: live only when every scan says *safe*. Anything else (unknown,
    dangerous, not scanned) is commented out behind a header that names the globals which decided and
    says how to load the file deliberately."""
    if reports and all(r.verdict == SAFE for r in reports):
        count = len({g.qualified for r in reports for g in r.globals})
        return (
            comment(f"Pickle safety scan: safe ({count} globals, every one on kitlab's reviewed allowlist).")
            + "\n"
            + code
        )
    dangerous = sorted({g.qualified for r in reports for g in r.globals if g.classification == DANGEROUS})
    unknown = sorted({g.qualified for r in reports for g in r.globals if g.classification == UNKNOWN})
    problems = [e for r in reports for e in r.errors + r.notes]
    if dangerous:
        header = [
            comment(f"DANGER: loading {what} would run code chosen by whoever made this file."),
            comment(f"The pickle safety scan found dangerous globals: {names(dangerous)}."),
        ]
        if unknown:
            header.append(comment(f"It also imports globals kitlab does not know: {names(unknown)}."))
    else:
        if not reports:
            reason = "it was not scanned"
        elif unknown:
            reason = f"it imports globals that are not on kitlab's allowlist: {names(unknown)}"
        else:
            reason = f"part of it could not be analysed ({names(problems, 2)})"
        header = [comment(f"UNKNOWN: the pickle safety scan could not prove {what} harmless: {reason}.")]
    header += [
        "# Unpickling runs code from the file, so the loader below is commented out on purpose.",
        *(deliberately or DELIBERATELY),
    ]
    disabled = "\n".join("# " + line if line else "#" for line in code.splitlines())
    return "\n".join(header) + "\n" + disabled


DELIBERATELY = [
    "# To load it deliberately: inspect it first (`kitlab scan-pickle <file>` lists every global it",
    "# imports), and only if you trust where the kit came from, uncomment the lines below. Better: ask",
    "# the publisher for a format that cannot run code (skops: `skops.io.load(path, trusted=[...])` after",
    "# reviewing `skops.io.get_untrusted_types(file=path)`; ONNX; safetensors).",
]
TORCH_DELIBERATELY = [
    "# To load it deliberately: torch.load(path, weights_only=True) unpickles only tensors and plain",
    "# containers and refuses anything else; inspect the refusals (`kitlab scan-pickle <file>`) before",
    "# ever passing weights_only=False.",
]


def _pickle_loader(art: Artifact, var: str) -> tuple[str, list[str]]:
    fmt = art.pickle.format if art.pickle else ""
    if fmt.startswith(("npy-object", "npz")):
        return f"import numpy as np\n\n{var} = np.load({art.rel!r}, allow_pickle=True)\n{var}", ["numpy"]
    if "zstd" in fmt or fmt.startswith(("zip", "tar")):
        return f"import pandas as pd\n\n{var} = pd.read_pickle({art.rel!r})\n{var}", ["pandas"]
    packages = ["joblib", "scikit-learn"] if art.family == "sklearn" else ["joblib"]
    return f"import joblib\n\n{var} = joblib.load({art.rel!r})\n{var}", packages


def pickle_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code, packages = _pickle_loader(art, var)
    report = [art.pickle] if art.pickle else []
    return gate(code, report, repr(art.rel)), packages


def pytorch_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    lines = [
        "import torch",
        "",
        "# weights_only=True: only tensors and plain containers are unpickled; anything else is refused.",
        f"{var} = torch.load({art.rel!r}, map_location='cpu', weights_only=True)",
    ]
    report = art.pickle
    if report is not None and report.root_class not in ("", "collections.OrderedDict", "builtins.dict"):
        lines.insert(2, comment(f"This checkpoint holds a whole {report.root_class} object, which"))
        lines.insert(3, "# weights_only=True refuses; rebuild the model class in code and load a state_dict.")
    lines.append(f"list({var})[:10] if isinstance({var}, dict) else type({var})")
    code = "\n".join(lines)
    if report is None or report.verdict != SAFE:
        code = gate(code, [report] if report else [], repr(art.rel), TORCH_DELIBERATELY)
    return code, ["torch"]


def safetensors_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    backend = {"tensorflow": "tensorflow", "keras": "tensorflow"}.get(kitfile_family(art.kitfile_hint), "")
    if backend:
        code = (
            f"from safetensors.{backend} import load_file\n\n{var} = load_file({art.rel!r})\nlist({var})[:10]"
        )
        return code, ["safetensors", backend]
    code = "\n".join(
        [
            "from safetensors import safe_open",
            "from safetensors.torch import load_file",
            "",
            f"{var} = load_file({art.rel!r})",
            f"{{name: tuple(t.shape) for name, t in list({var}.items())[:10]}}",
            "",
            "# For files larger than memory, read tensor by tensor:",
            f"# with safe_open({art.rel!r}, framework='pt') as f:",
            "#     first = f.get_tensor(next(iter(f.keys())))",
        ]
    )
    return code, ["safetensors", "torch"]


def _auto_class(art: Artifact) -> str:
    for suffix, cls in AUTO_CLASSES:
        if suffix in art.summary:
            return cls
    return "AutoModel"


def transformers_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    cls = _auto_class(art)
    has_tokenizer = any(f in art.files for f in ("tokenizer.json", "tokenizer_config.json", "vocab.txt"))
    lines = [
        f"from transformers import {cls}" + (", AutoTokenizer" if has_tokenizer else ""),
        "",
        "# local_files_only: never download; trust_remote_code stays False: code in the folder never runs.",
        f"{var} = {cls}.from_pretrained({art.rel!r}, local_files_only=True)",
    ]
    if has_tokenizer:
        lines.append(f"tokenizer = AutoTokenizer.from_pretrained({art.rel!r}, local_files_only=True)")
    lines.append(f"{var}.config")
    code = "\n".join(lines)
    pickled = [r for r in art.inner_reports if r.verdict != SAFE]
    if pickled:
        code = gate(code, pickled, f"the pickled weights in {art.rel!r}")
    return code, ["transformers", "torch"]


def sentence_transformers_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code = "\n".join(
        [
            "from sentence_transformers import SentenceTransformer",
            "",
            f"{var} = SentenceTransformer({art.rel!r}, local_files_only=True)",
            f"{var}.encode(['A first sentence to embed.']).shape",
        ]
    )
    return code, ["sentence-transformers"]


def diffusers_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code = "\n".join(
        [
            "from diffusers import DiffusionPipeline",
            "",
            f"{var} = DiffusionPipeline.from_pretrained({art.rel!r}, local_files_only=True)",
            var,
        ]
    )
    return code, ["diffusers", "torch"]


def peft_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code = "\n".join(
        [
            "from peft import PeftConfig",
            "",
            f"{var}_config = PeftConfig.from_pretrained({art.rel!r})",
            "# The adapter needs its base model:",
            f"# base = AutoModel.from_pretrained({var}_config.base_model_name_or_path)",
            f"# {var} = PeftModel.from_pretrained(base, {art.rel!r})",
            f"{var}_config",
        ]
    )
    return code, ["peft"]


def onnx_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code = "\n".join(
        [
            "import onnxruntime as ort",
            "",
            f"{var} = ort.InferenceSession({art.rel!r}, providers=['CPUExecutionProvider'])",
            f"[(i.name, i.shape, i.type) for i in {var}.get_inputs()]",
        ]
    )
    return code, ["onnxruntime"]


def keras_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code = "\n".join(
        [
            "import keras",
            "",
            "# safe_mode=True refuses to deserialize arbitrary Python code (lambda layers).",
            f"{var} = keras.models.load_model({art.rel!r}, safe_mode=True)",
            f"{var}.summary()",
        ]
    )
    return code, ["keras", "tensorflow"]


def savedmodel_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code = f"import tensorflow as tf\n\n{var} = tf.saved_model.load({art.rel!r})\nlist({var}.signatures)"
    return code, ["tensorflow"]


def tflite_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code = "\n".join(
        [
            "import tensorflow as tf",
            "",
            f"{var} = tf.lite.Interpreter(model_path={art.rel!r})",
            f"{var}.allocate_tensors()",
            f"{var}.get_input_details()",
        ]
    )
    return code, ["tensorflow"]


def xgboost_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code = (
        f"import xgboost as xgb\n\n{var} = xgb.Booster()\n{var}.load_model({art.rel!r})\n{var}.feature_names"
    )
    return code, ["xgboost"]


def lightgbm_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code = f"import lightgbm as lgb\n\n{var} = lgb.Booster(model_file={art.rel!r})\n{var}.feature_name()"
    return code, ["lightgbm"]


def catboost_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code = f"from catboost import CatBoost\n\n{var} = CatBoost()\n{var}.load_model({art.rel!r})\n{var}"
    return code, ["catboost"]


def gguf_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code = "\n".join(
        [
            "from llama_cpp import Llama",
            "",
            f"{var} = Llama(model_path={art.rel!r}, n_ctx=2048, verbose=False)",
            f"# {var}('Q: What is a ModelKit? A:', max_tokens=48)['choices'][0]['text']",
        ]
    )
    return code, ["llama-cpp-python"]


def spacy_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code = f"import spacy\n\n{var} = spacy.load({art.rel!r})\n{var}.pipe_names"
    return code, ["spacy"]


def mlflow_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code = f"import mlflow.pyfunc\n\n{var} = mlflow.pyfunc.load_model({art.rel!r})\n{var}.metadata"
    # pyfunc models of pickle-based flavours (sklearn, custom python models) unpickle on load.
    return gate(code, art.inner_reports, f"the MLflow model {art.rel!r}") if art.inner_reports else code, [
        "mlflow"
    ]


def tokenizer_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code = "\n".join(
        [
            "from transformers import AutoTokenizer",
            "",
            f"{var} = AutoTokenizer.from_pretrained({art.rel!r}, local_files_only=True)",
            var,
        ]
    )
    return code, ["transformers"]


def unknown_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    what = "folder" if art.is_dir else "file"
    lines = [
        comment(
            f"kitlab could not tell how to load this {what}"
            + (f" ({art.summary})" if art.summary else "")
            + "."
        )
    ]
    if art.kitfile_hint:
        lines.append(comment(f"The Kitfile describes it as: {art.kitfile_hint}."))
    lines += ["from pathlib import Path", "", f"{var}_path = Path({art.rel!r})"]
    if art.is_dir:
        lines.append(f"sorted(str(p.relative_to({var}_path)) for p in {var}_path.rglob('*'))[:50]")
    else:
        lines.append(f"{var}_path.stat().st_size")
    return "\n".join(lines), []


MODEL_CELLS: dict[str, Callable[[Artifact, str], tuple[str, list[str]]]] = {
    "sklearn": pickle_cell,
    "pickle": pickle_cell,
    "pytorch": pytorch_cell,
    "safetensors": safetensors_cell,
    "transformers": transformers_cell,
    "sentence-transformers": sentence_transformers_cell,
    "diffusers": diffusers_cell,
    "peft": peft_cell,
    "onnx": onnx_cell,
    "keras": keras_cell,
    "savedmodel": savedmodel_cell,
    "tflite": tflite_cell,
    "xgboost": xgboost_cell,
    "lightgbm": lightgbm_cell,
    "catboost": catboost_cell,
    "gguf": gguf_cell,
    "spacy": spacy_cell,
    "mlflow": mlflow_cell,
    "tokenizer": tokenizer_cell,
}


def model_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    code, packages = MODEL_CELLS.get(art.family, unknown_cell)(art, var)
    if art.mismatch:
        code = comment(f"Note: {art.mismatch}; loading by content.") + "\n" + code
    return code, packages


def _sized(art: Artifact, call: str) -> str:
    if art.size > BIG_TABLE:
        return (
            comment(f"This file is {art.size / 1e9:.1f} GB: consider reading a sample first.") + "\n" + call
        )
    return call


def dataset_cell(art: Artifact, var: str) -> tuple[str, list[str]]:
    rel = repr(art.rel)
    fmt = art.family
    readers = {
        "csv": f"pd.read_csv({rel})",
        "tsv": f"pd.read_csv({rel}, sep='\\t')",
        "parquet": f"pd.read_parquet({rel})",
        "arrow": f"pd.read_feather({rel})",
        "jsonl": f"pd.read_json({rel}, lines=True)",
        "json": f"pd.read_json({rel})",
        "folder:parquet": f"pd.read_parquet({rel})",
    }
    if art.pickle is not None and art.pickle.verdict != "not-a-pickle":
        return pickle_cell(art, var)
    if fmt in readers:
        packages = ["pandas", "pyarrow"] if fmt in ("parquet", "arrow", "folder:parquet") else ["pandas"]
        code = f"import pandas as pd\n\n{_sized(art, f'{var} = {readers[fmt]}')}\n{var}.head()"
        return code, packages
    if fmt == "npy":
        return f"import numpy as np\n\n{var} = np.load({rel})  # allow_pickle stays False\n{var}.shape", [
            "numpy"
        ]
    if fmt == "npz":
        return f"import numpy as np\n\n{var} = np.load({rel})  # allow_pickle stays False\n{var}.files", [
            "numpy"
        ]
    if fmt in ("folder:csv", "folder:tsv", "folder:jsonl"):
        ext = fmt.split(":")[1]
        read = {
            "csv": "pd.read_csv(p)",
            "tsv": "pd.read_csv(p, sep='\\t')",
            "jsonl": "pd.read_json(p, lines=True)",
        }
        code = "\n".join(
            [
                "from pathlib import Path",
                "",
                "import pandas as pd",
                "",
                f"{var}_files = sorted(Path({rel}).rglob('*.{ext}'))",
                f"{var} = pd.concat([{read[ext]} for p in {var}_files], ignore_index=True)",
                f"{var}.head()",
            ]
        )
        return code, ["pandas"]
    return unknown_cell(art, var)
