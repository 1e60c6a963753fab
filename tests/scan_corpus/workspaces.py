# ruff: noqa: E501  (the corpus spells file contents inline; long literal lines read better whole)
"""The detection corpus: realistic workspaces, each built small from the real libraries where they are
installed here (scikit-learn, pandas, joblib, LightGBM, statsmodels, skops, h5py) and from the format
writers of ``formats.py`` otherwise, with the Kitfile a person would write for it, by hand.

The expected Kitfile names the model (path, framework, parts), datasets, code and docs. Anything a
workspace holds that is not named there must stay out of the kit. Families follow issue 15: run
trackers, container formats, training checkpoints, several models of one kind, script writes and
unpacked kits, plus the workspaces the scanner already handled (so that fixing one family is never paid
for in another).
"""

from __future__ import annotations

import json
import os
import pickle
import struct
from collections.abc import Callable
from pathlib import Path

import joblib
import nbformat
import numpy as np
import pandas as pd
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from tests.scan_corpus import formats as fm
from tests.support.wire import field, gguf_string

Builder = Callable[[Path], str]
WORKSPACES: dict[str, Builder] = {}
RNG = np.random.default_rng(7)
X = RNG.random((60, 4))
Y = (X[:, 0] > 0.5).astype(int)
T0 = 1_764_400_000  # 2026-11-29: file times are set so "written last" is part of each story


def workspace(name: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        WORKSPACES[name] = fn
        return fn

    return register


# ------------------------------------------------------------------------------------------- helpers
def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def notebook(path: Path, *cells: str) -> None:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [new_markdown_cell(c[3:]) if c.startswith("md:") else new_code_cell(c) for c in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def csv(path: Path, rows: int = 40) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(RNG.random((rows, 4)), columns=["tenure", "spend", "calls", "age"])
    frame.assign(label=(frame["spend"] > 0.5).astype(int)).to_csv(path, index=False)


def clf(kind: str = "lr", estimators: int = 3) -> object:
    if kind == "rf":
        return RandomForestClassifier(n_estimators=estimators, max_depth=2, random_state=0).fit(X, Y)
    return LogisticRegression().fit(X, Y)


def dump(model: object, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    return path


def touch(path: Path, offset: int) -> None:
    os.utime(path, (T0 + offset, T0 + offset))


def readme(ws: Path, title: str) -> None:
    write(ws / "README.md", f"# {title}\n\nTrained in this workspace.\n")


def requirements(ws: Path, *pins: str) -> None:
    write(ws / "requirements.txt", "\n".join(pins or ("scikit-learn==1.5.2", "pandas==2.2.3")) + "\n")


def noise(ws: Path) -> None:
    """What every real workspace also has: a virtualenv, caches, notebook checkpoints, a secret."""
    write(ws / ".venv" / "pyvenv.cfg", "home = /usr/bin\n")
    write(ws / ".venv" / "lib" / "python3.11" / "site-packages" / "x.py", "x = 1\n")
    write(ws / "__pycache__" / "train.cpython-311.pyc", b"\xa7\r\r\n" + b"\x00" * 12)
    write(ws / ".ipynb_checkpoints" / "train-checkpoint.ipynb", "{}")
    write(ws / ".env", "HF_TOKEN=hf_" + "Ab1" * 12 + "\n")


def safetensors(
    path: Path, tensors: dict[str, tuple[tuple[int, ...], str]], meta: dict[str, str] | None = None
) -> None:
    header: dict[str, object] = {}
    offset = 0
    width = {"F32": 4, "F16": 2, "BF16": 2, "I8": 1}
    for name, (shape, dtype) in tensors.items():
        size = int(np.prod(shape)) * width[dtype]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    if meta:
        header["__metadata__"] = meta
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    write(path, struct.pack("<Q", len(raw)) + raw + b"\x00" * offset)


def hf_folder(folder: Path, arch: str = "DistilBertForSequenceClassification", dtype: str = "F32") -> None:
    write(
        folder / "config.json",
        json.dumps(
            {
                "architectures": [arch],
                "model_type": "distilbert",
                "torch_dtype": "float32" if dtype == "F32" else "bfloat16",
                "transformers_version": "4.46.3",
            }
        ),
    )
    safetensors(
        folder / "model.safetensors",
        {
            "distilbert.embeddings.word_embeddings.weight": ((64, 16), dtype),
            "classifier.weight": ((2, 16), dtype),
        },
        {"format": "pt"},
    )
    write(folder / "tokenizer.json", json.dumps({"version": "1.0", "model": {"type": "WordPiece"}}))
    write(folder / "tokenizer_config.json", json.dumps({"model_max_length": 512}))
    write(folder / "special_tokens_map.json", json.dumps({"cls_token": "[CLS]"}))
    write(folder / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n")


def hf_checkpoint(folder: Path, step: int, best: str = "") -> None:
    hf_folder(folder)
    state = {"global_step": step, "epoch": step / 100, "best_model_checkpoint": best, "log_history": []}
    write(folder / "trainer_state.json", json.dumps(state))
    write(folder / "optimizer.pt", b"PK\x03\x04" + b"\x00" * 40)
    write(folder / "scheduler.pt", b"PK\x03\x04" + b"\x00" * 40)
    write(folder / "rng_state.pth", b"PK\x03\x04" + b"\x00" * 40)
    write(folder / "training_args.bin", b"PK\x03\x04" + b"\x00" * 40)


def gguf(
    path: Path, arch: str = "llama", name: str = "tiny-llama", file_type: int = 15, vocab: int = 300
) -> None:
    """GGUF v3 (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md): key/values, tensor infos,
    aligned data; Q4_K and F32 tensors."""
    kvs = [
        gguf_string("general.architecture") + struct.pack("<I", 8) + gguf_string(arch),
        gguf_string("general.name") + struct.pack("<I", 8) + gguf_string(name),
        gguf_string(f"{arch}.context_length") + struct.pack("<II", 4, 4096),
        gguf_string("general.file_type") + struct.pack("<II", 4, file_type),
        gguf_string("tokenizer.ggml.tokens")
        + struct.pack("<IIQ", 9, 8, vocab)
        + b"".join(gguf_string(f"tok{i}") for i in range(vocab)),
        gguf_string("general.alignment") + struct.pack("<II", 4, 32),
    ]
    # (name, dims, ggml type, bytes): Q4_K packs 256 weights in 144 bytes; F32 is 4 bytes a weight.
    tensors = [("token_embd.weight", (256, 8), 12, 8 * 144), ("output_norm.weight", (256,), 0, 1024)]
    infos = b""
    offset = 0
    for tname, dims, ggml_type, nbytes in tensors:
        infos += gguf_string(tname) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
        infos += struct.pack("<IQ", ggml_type, offset)
        offset += nbytes + (-nbytes % 32)
    body = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs) + infos
    body += b"\x00" * (-len(body) % 32)
    write(path, body + b"\x00" * offset)


def onnx_external(path: Path, data_name: str) -> None:
    """An ONNX model whose initializer lives in an external file (TensorProto.data_location EXTERNAL
    with external_data entries location/offset/length, as onnx.save(..., save_as_external_data=True))."""

    weights = np.ones((64, 64), np.float32).tobytes()
    entries = b"".join(
        field(13, field(1, k.encode()) + field(2, v.encode()))
        for k, v in (("location", data_name), ("offset", "0"), ("length", str(len(weights))))
    )
    initializer = field(1, 64) + field(1, 64) + field(2, 1) + field(8, b"W") + entries + field(14, 1)
    node = field(1, b"X") + field(1, b"W") + field(2, b"Y") + field(4, b"MatMul")
    graph = field(1, node) + field(2, b"main_graph") + field(5, initializer)
    model = field(1, 9) + field(2, b"pytorch") + field(3, b"2.5.1") + field(7, graph) + field(8, field(2, 17))
    write(path, model)
    write(path.parent / data_name, weights)


XGB_JSON = (
    '{"learner":{"attributes":{},"feature_names":["tenure","spend","calls","age"],"feature_types":[],'
    '"gradient_booster":{"model":{"gbtree_model_param":{"num_trees":"1"},"trees":[]},"name":"gbtree"},'
    '"learner_model_param":{"base_score":"5E-1","num_class":"0","num_feature":"4"},'
    '"objective":{"name":"binary:logistic"}},"version":[2,1,3]}'
)


# ------------------------------------------------------------------------------ what worked already
@workspace("tabular-notebook")
def tabular_notebook(ws: Path) -> str:
    csv(ws / "data" / "churn.csv")
    notebook(
        ws / "train.ipynb",
        "md:# Churn model\n\nLogistic regression on usage.",
        "import pandas as pd, joblib\nfrom sklearn.preprocessing import StandardScaler\n"
        "df = pd.read_csv('data/churn.csv')",
        "joblib.dump(model, 'models/model.joblib')\njoblib.dump(scaler, 'models/scaler.joblib')",
    )
    dump(clf(), ws / "models" / "model.joblib")
    dump(StandardScaler().fit(X), ws / "models" / "scaler.joblib")
    readme(ws, "Churn")
    requirements(ws)
    return """
model: {path: models/model.joblib, framework: scikit-learn, parts: [{path: models/scaler.joblib}]}
datasets: [{path: data/churn.csv}]
code: [{path: requirements.txt}, {path: train.ipynb}]
docs: [{path: README.md}]
"""


@workspace("hf-finetune")
def hf_finetune(ws: Path) -> str:
    hf_folder(ws / "model")
    write(
        ws / "data" / "train.jsonl",
        "".join(json.dumps({"text": f"t{i}", "label": i % 2}) + "\n" for i in range(30)),
    )
    notebook(
        ws / "finetune.ipynb",
        "from transformers import AutoModelForSequenceClassification\nfrom datasets import load_dataset\n"
        "ds = load_dataset('json', data_files='data/train.jsonl')\n"
        "model = AutoModelForSequenceClassification.from_pretrained('distilbert-base-uncased')",
        "model.save_pretrained('model')\ntokenizer.save_pretrained('model')",
    )
    readme(ws, "Sentiment")
    return """
model: {path: model, framework: transformers}
datasets: [{path: data/train.jsonl}]
code: [{path: finetune.ipynb}]
docs: [{path: README.md}]
"""


@workspace("gguf-export")
def gguf_export(ws: Path) -> str:
    gguf(ws / "export" / "tiny-llama-Q4_K_M.gguf")
    write(
        ws / "prompts.jsonl",
        "".join(json.dumps({"prompt": f"q{i}", "answer": "a"}) + "\n" for i in range(20)),
    )
    write(ws / "convert.sh", "python llama.cpp/convert_hf_to_gguf.py merged --outtype q4_k_m\n")
    readme(ws, "Tiny llama, quantised")
    return """
model: {path: export/tiny-llama-Q4_K_M.gguf, framework: llama.cpp}
datasets: [{path: prompts.jsonl}]
code: [{path: convert.sh}]
docs: [{path: README.md}]
"""


@workspace("xgboost-json")
def xgboost_json(ws: Path) -> str:
    write(ws / "model.json", XGB_JSON)
    (ws / "data").mkdir()
    pd.DataFrame(X, columns=list("abcd")).to_parquet(ws / "data" / "train.parquet")
    notebook(
        ws / "train.ipynb",
        "import xgboost as xgb, pandas as pd\ndf = pd.read_parquet('data/train.parquet')",
        "bst.save_model('model.json')",
    )
    return """
model: {path: model.json, framework: XGBoost}
datasets: [{path: data/train.parquet}]
code: [{path: train.ipynb}]
"""


@workspace("lightgbm-script")
def lightgbm_script(ws: Path) -> str:
    import lightgbm as lgb

    csv(ws / "data" / "train.csv")
    booster = lgb.train({"verbose": -1, "num_leaves": 4}, lgb.Dataset(X, label=Y), 3)
    (ws / "models").mkdir()
    booster.save_model(str(ws / "models" / "lgbm.txt"))
    write(
        ws / "train.py",
        "import lightgbm as lgb\nimport pandas as pd\n\ndf = pd.read_csv('data/train.csv')\n"
        "booster = lgb.train({}, lgb.Dataset(df))\nbooster.save_model('models/lgbm.txt')\n",
    )
    requirements(ws, "lightgbm==4.5.0")
    return """
model: {path: models/lgbm.txt, framework: LightGBM}
datasets: [{path: data/train.csv}]
code: [{path: requirements.txt}, {path: train.py}]
"""


@workspace("onnx-external-data")
def onnx_external_data(ws: Path) -> str:
    onnx_external(ws / "onnx" / "model.onnx", "model.onnx.data")
    write(
        ws / "export.py",
        "import torch\nmodel = torch.load('net.pt')\ntorch.onnx.export(model, x, 'onnx/model.onnx', external_data=True)\n",
    )
    readme(ws, "ONNX export")
    return """
model: {path: onnx/model.onnx, framework: ONNX, parts: [{path: onnx/model.onnx.data}]}
code: [{path: export.py}]
docs: [{path: README.md}]
"""


@workspace("analysis-no-model")
def analysis_no_model(ws: Path) -> str:
    for name in ("jan", "feb", "mar"):
        csv(ws / "data" / f"sales_{name}.csv")
    notebook(
        ws / "analysis.ipynb",
        "md:# Sales analysis",
        "import pandas as pd\ndf = pd.read_csv('data/sales_jan.csv')",
    )
    readme(ws, "Sales analysis")
    return """
datasets: [{path: data}]
code: [{path: analysis.ipynb}]
docs: [{path: README.md}]
"""


@workspace("secrets-and-caches")
def secrets_and_caches(ws: Path) -> str:
    noise(ws)
    dump(clf("rf"), ws / "models" / "rf.pkl")
    csv(ws / "data" / "train.csv")
    write(ws / "credentials", "[default]\naws_access_key_id = AKIA" + "Q" * 16 + "\n")
    write(ws / ".git" / "config", "[core]\n\tbare = false\n")
    write(
        ws / "train.py",
        "import joblib\nimport pandas as pd\ndf = pd.read_csv('data/train.csv')\njoblib.dump(rf, 'models/rf.pkl')\n",
    )
    readme(ws, "Random forest")
    return """
model: {path: models/rf.pkl, framework: scikit-learn}
datasets: [{path: data/train.csv}]
code: [{path: train.py}]
docs: [{path: README.md}]
"""


@workspace("statsmodels-arima")
def statsmodels_arima(ws: Path) -> str:
    import statsmodels.api as sm

    series = pd.Series(RNG.random(48))
    ws.mkdir(parents=True, exist_ok=True)
    series.to_csv(ws / "sales.csv", index=False)
    results = sm.tsa.ARIMA(series.to_numpy(), order=(1, 0, 0)).fit()
    (ws / "models").mkdir()
    results.save(str(ws / "models" / "arima.pkl"))
    notebook(
        ws / "forecast.ipynb",
        "md:# Sales forecast",
        "import pandas as pd\ns = pd.read_csv('sales.csv')",
        "res.save('models/arima.pkl')",
    )
    return """
model: {path: models/arima.pkl, framework: statsmodels}
datasets: [{path: sales.csv}]
code: [{path: forecast.ipynb}]
"""


@workspace("peft-adapter")
def peft_adapter(ws: Path) -> str:
    write(
        ws / "adapter" / "adapter_config.json",
        json.dumps({"peft_type": "LORA", "base_model_name_or_path": "meta-llama/Llama-3.2-1B", "r": 8}),
    )
    safetensors(
        ws / "adapter" / "adapter_model.safetensors",
        {"base_model.model.q_proj.lora_A.weight": ((8, 64), "BF16")},
    )
    notebook(ws / "lora.ipynb", "model = get_peft_model(base, config)", "model.save_pretrained('adapter')")
    write(
        ws / "data" / "instructions.jsonl",
        "".join(json.dumps({"instruction": "x", "output": "y"}) + "\n" for _ in range(12)),
    )
    return """
model: {path: adapter, framework: PEFT}
datasets: [{path: data/instructions.jsonl}]
code: [{path: lora.ipynb}]
"""


@workspace("spacy-pipeline")
def spacy_pipeline(ws: Path) -> str:
    write(
        ws / "ner_model" / "meta.json",
        json.dumps({"lang": "en", "name": "ner", "version": "0.1.0", "pipeline": ["tok2vec", "ner"]}),
    )
    write(ws / "ner_model" / "config.cfg", '[nlp]\nlang = "en"\npipeline = ["tok2vec","ner"]\n')
    write(ws / "ner_model" / "ner" / "model", b"\x81\xa3cfg" + b"\x00" * 32)
    write(ws / "ner_model" / "tokenizer", b"\x85\xa6prefix" + b"\x00" * 16)
    write(ws / "train.py", "import spacy\nnlp = spacy.blank('en')\nnlp.to_disk('ner_model')\n")
    write(
        ws / "corpus" / "train.jsonl",
        "".join(json.dumps({"text": "Ada", "ents": []}) + "\n" for _ in range(10)),
    )
    return """
model: {path: ner_model, framework: spaCy}
datasets: [{path: corpus/train.jsonl}]
code: [{path: train.py}]
"""


@workspace("sharded-safetensors")
def sharded_safetensors(ws: Path) -> str:
    folder = ws / "checkpoints" / "final"
    write(
        folder / "config.json",
        json.dumps({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "torch_dtype": "bfloat16"}),
    )
    safetensors(
        folder / "model-00001-of-00002.safetensors", {"model.embed_tokens.weight": ((128, 32), "BF16")}
    )
    safetensors(folder / "model-00002-of-00002.safetensors", {"lm_head.weight": ((128, 32), "BF16")})
    write(
        folder / "model.safetensors.index.json",
        json.dumps(
            {
                "metadata": {"total_size": 16384},
                "weight_map": {
                    "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
                    "lm_head.weight": "model-00002-of-00002.safetensors",
                },
            }
        ),
    )
    write(folder / "generation_config.json", json.dumps({"do_sample": True}))
    write(ws / "merge.py", "model = model.merge_and_unload()\nmodel.save_pretrained('checkpoints/final')\n")
    return """
model: {path: checkpoints/final, framework: transformers}
code: [{path: merge.py}]
"""


# ------------------------------------------------------------------------------------- run trackers
@workspace("mlflow-run")
def mlflow_run(ws: Path) -> str:
    run = fm.mlflow_run(
        ws / "mlruns",
        "0",
        "3f2a9c1d7e6b4a5f8c0d1e2f3a4b5c6d",
        clf("rf"),
        {"n_estimators": "3", "max_depth": "2"},
        {"accuracy": 0.93},
    )
    csv(ws / "data" / "train.csv")
    write(
        ws / "train.py",
        "import mlflow, mlflow.sklearn\nimport pandas as pd\ndf = pd.read_csv('data/train.csv')\n"
        "with mlflow.start_run():\n    mlflow.log_params(params)\n    mlflow.sklearn.log_model(model, 'model')\n",
    )
    requirements(ws, "mlflow==2.18.0", "scikit-learn==1.5.2")
    rel = run.relative_to(ws).as_posix()
    return f"""
model: {{path: {rel}/artifacts/model, framework: scikit-learn}}
datasets: [{{path: data/train.csv}}]
code: [{{path: requirements.txt}}, {{path: train.py}}]
"""


@workspace("mlflow-two-runs")
def mlflow_two_runs(ws: Path) -> str:
    old = fm.mlflow_run(
        ws / "mlruns",
        "1",
        "aaaa1111bbbb2222cccc3333dddd4444",
        clf("rf", 9),
        {"C": "0.1"},
        {"f1": 0.71},
        end_time=1764400000000,
    )
    new = fm.mlflow_run(
        ws / "mlruns",
        "1",
        "0000ffff1111eeee2222dddd3333cccc",
        clf(),
        {"C": "1.0"},
        {"f1": 0.78},
        end_time=1764500000000,
    )
    del old
    notebook(
        ws / "experiments.ipynb",
        "md:# Experiments",
        "import mlflow\nmlflow.sklearn.log_model(model, 'model')",
    )
    return f"""
model: {{path: {new.relative_to(ws).as_posix()}/artifacts/model, framework: scikit-learn}}
code: [{{path: experiments.ipynb}}]
"""


@workspace("mlflow-registry")
def mlflow_registry(ws: Path) -> str:
    chosen = fm.mlflow_run(
        ws / "mlruns",
        "2",
        "1234abcd1234abcd1234abcd1234abcd",
        clf("rf"),
        {"depth": "2"},
        {"auc": 0.9},
        end_time=1764300000000,
    )
    fm.mlflow_run(
        ws / "mlruns",
        "2",
        "ffff0000ffff0000ffff0000ffff0000",
        clf(),
        {"depth": "9"},
        {"auc": 0.7},
        end_time=1764600000000,
    )
    fm.mlflow_registered(ws / "mlruns", "churn-classifier", 1, chosen)
    write(
        ws / "register.py",
        "import mlflow\nmlflow.register_model(f'runs:/{run_id}/model', 'churn-classifier')\n",
    )
    return f"""
model: {{path: {chosen.relative_to(ws).as_posix()}/artifacts/model, framework: scikit-learn}}
code: [{{path: register.py}}]
"""


@workspace("mlflow3-logged-model")
def mlflow3_logged_model(ws: Path) -> str:
    fm.mlflow_run(
        ws / "mlruns", "5", "5555aaaa5555aaaa5555aaaa5555aaaa", None, {"alpha": "0.5"}, {"rmse": 0.3}
    )
    folder = ws / "mlruns" / "5" / "models" / "m-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    fm.mlflow_model_folder(folder / "artifacts", clf(), run_id="5555aaaa5555aaaa5555aaaa5555aaaa")
    write(
        folder / "meta.yaml",
        "artifact_location: file:///x\nmodel_id: m-0f1e2d3c4b5a69788796a5b4c3d2e1f0\nname: model\nsource_run_id: 5555aaaa5555aaaa5555aaaa5555aaaa\nstatus: READY\n",
    )
    write(ws / "train.py", "import mlflow\nmlflow.sklearn.log_model(model, name='model')\n")
    return """
model: {path: mlruns/5/models/m-0f1e2d3c4b5a69788796a5b4c3d2e1f0/artifacts, framework: scikit-learn}
code: [{path: train.py}]
"""


@workspace("wandb-only")
def wandb_only(ws: Path) -> str:
    h5 = ws / "tmp.h5"
    fm.keras_h5(h5)
    run = fm.wandb_run(ws / "wandb", "k3v9x2p1", {"model-best.h5": h5.read_bytes()})
    h5.unlink()
    write(
        ws / "train.py",
        "import wandb\nfrom wandb.integration.keras import WandbModelCheckpoint\nrun = wandb.init(project='digits')\n"
        "model.fit(x, y, callbacks=[WandbModelCheckpoint(os.path.join(wandb.run.dir, 'model-best.h5'))])\n",
    )
    return f"""
model: {{path: {run.relative_to(ws).as_posix()}/files/model-best.h5, framework: Keras}}
code: [{{path: train.py}}]
"""


@workspace("wandb-with-saved-model")
def wandb_with_saved_model(ws: Path) -> str:
    fm.wandb_run(ws / "wandb", "a1b2c3d4", {})
    fm.wandb_run(ws / "wandb", "e5f6g7h8", {})
    (ws / "models").mkdir(parents=True)
    fm.torch_save(ws / "models" / "model.pt", fm.state_dict((32, 16), (10, 32)))
    write(
        ws / "train.py",
        "import torch, wandb\nwandb.init()\ntorch.save(model.state_dict(), 'models/model.pt')\n",
    )
    readme(ws, "MNIST MLP")
    return """
model: {path: models/model.pt, framework: PyTorch}
code: [{path: train.py}]
docs: [{path: README.md}]
"""


@workspace("dvc-pipeline")
def dvc_pipeline(ws: Path) -> str:
    csv(ws / "data" / "raw.csv")
    csv(ws / "data" / "prepared.csv")
    write(
        ws / "data" / "raw.csv.dvc",
        "outs:\n- md5: 2b8f1c5e4a0d3f6b7c9e1a2d4f6b8c0e\n  size: 2048\n  hash: md5\n  path: raw.csv\n",
    )
    dump(clf("rf"), ws / "models" / "model.pkl")
    write(
        ws / "dvc.yaml",
        "stages:\n  prepare:\n    cmd: python prepare.py data/raw.csv data/prepared.csv\n    deps:\n"
        "    - data/raw.csv\n    - prepare.py\n    outs:\n    - data/prepared.csv\n  train:\n"
        "    cmd: python train.py data/prepared.csv models/model.pkl\n    deps:\n    - data/prepared.csv\n"
        "    - train.py\n    params:\n    - train.n_estimators\n    outs:\n    - models/model.pkl\n"
        "    metrics:\n    - metrics.json:\n        cache: false\n",
    )
    write(ws / "dvc.lock", "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n")
    write(ws / "params.yaml", "train:\n  n_estimators: 3\n")
    write(ws / "metrics.json", json.dumps({"accuracy": 0.9}))
    write(
        ws / "prepare.py", "import sys, pandas as pd\npd.read_csv(sys.argv[1]).dropna().to_csv(sys.argv[2])\n"
    )
    write(
        ws / "train.py",
        "import pickle, sys\nimport pandas as pd\nfrom sklearn.ensemble import RandomForestClassifier\n"
        "df = pd.read_csv(sys.argv[1])\nmodel = RandomForestClassifier().fit(df, df.label)\n"
        "with open(sys.argv[2], 'wb') as fh:\n    pickle.dump(model, fh)\n",
    )
    write(
        ws / ".dvc" / "config",
        "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://bucket/dvc\n",
    )
    write(ws / ".dvc" / ".gitignore", "/config.local\n/tmp\n/cache\n")
    dump(clf("rf"), ws / ".dvc" / "cache" / "files" / "md5" / "3c" / "9e2f1a0b4d5c6e7f8a9b0c1d2e3f4a")
    return """
model: {path: models/model.pkl, framework: scikit-learn}
datasets: [{path: data/prepared.csv}, {path: data/raw.csv}]
code: [{path: dvc.lock}, {path: dvc.yaml}, {path: metrics.json}, {path: params.yaml}, {path: prepare.py}, {path: train.py}]
"""


@workspace("tensorboard-keras")
def tensorboard_keras(ws: Path) -> str:
    for split in ("train", "validation"):
        write(
            ws / "logs" / "fit" / "20261130-100000" / split / "events.out.tfevents.1764496800.host.1.v2",
            b"\x18\x00\x00\x00" + b"\x00" * 40,
        )
    fm.keras_v3(ws / "model.keras")
    notebook(
        ws / "train.ipynb",
        "import keras\ntb = keras.callbacks.TensorBoard('logs/fit')",
        "model.save('model.keras')",
    )
    return """
model: {path: model.keras, framework: Keras}
code: [{path: train.ipynb}]
"""


@workspace("lightning-logs")
def lightning_logs(ws: Path) -> str:
    for version, epoch in ((0, 4), (1, 19)):
        folder = ws / "lightning_logs" / f"version_{version}"
        write(folder / "hparams.yaml", "hidden: 16\nlr: 0.001\n")
        write(folder / f"events.out.tfevents.17644968{version}0.host.1.0", b"\x18\x00\x00\x00" + b"\x00" * 40)
        (folder / "checkpoints").mkdir()
        ckpt = folder / "checkpoints" / f"epoch={epoch}-step={epoch * 100 + 100}.ckpt"
        fm.lightning_ckpt(ckpt, epoch, epoch * 100 + 100)
        touch(ckpt, version * 1000)
    write(
        ws / "train.py", "import lightning as L\ntrainer = L.Trainer(max_epochs=20)\ntrainer.fit(model, dm)\n"
    )
    return """
model: {path: lightning_logs/version_1/checkpoints/epoch=19-step=2000.ckpt, framework: PyTorch Lightning}
code: [{path: train.py}]
"""


# -------------------------------------------------------------------------------- container formats
@workspace("skops")
def skops_ws(ws: Path) -> str:
    import skops.io as sio

    ws.mkdir(parents=True, exist_ok=True)
    sio.dump(clf("rf"), ws / "model.skops")
    csv(ws / "train.csv")
    write(
        ws / "train.py",
        "import skops.io as sio\nimport pandas as pd\ndf = pd.read_csv('train.csv')\nsio.dump(model, 'model.skops')\n",
    )
    return """
model: {path: model.skops, framework: scikit-learn}
datasets: [{path: train.csv}]
code: [{path: train.py}]
"""


@workspace("sagemaker-sklearn")
def sagemaker_sklearn(ws: Path) -> str:
    ws.mkdir(parents=True, exist_ok=True)
    dump(clf(), ws / "m.joblib")
    fm.tar_gz(
        ws / "model.tar.gz",
        {
            "model.joblib": (ws / "m.joblib").read_bytes(),
            "code/inference.py": b"def model_fn(d):\n    pass\n",
        },
    )
    (ws / "m.joblib").unlink()
    notebook(
        ws / "deploy.ipynb",
        "from sagemaker.sklearn import SKLearnModel\nm = SKLearnModel(model_data='model.tar.gz')",
    )
    return """
model: {path: model.tar.gz, framework: scikit-learn}
code: [{path: deploy.ipynb}]
"""


@workspace("sagemaker-xgboost")
def sagemaker_xgboost(ws: Path) -> str:
    (ws / "output").mkdir(parents=True)
    fm.tar_gz(ws / "output" / "model.tar.gz", {"xgboost-model": XGB_JSON.encode()})
    write(
        ws / "train_job.py",
        "from sagemaker.estimator import Estimator\nest.fit({'train': 's3://bucket/train'})\n",
    )
    readme(ws, "SageMaker XGBoost")
    return """
model: {path: output/model.tar.gz, framework: XGBoost}
code: [{path: train_job.py}]
docs: [{path: README.md}]
"""


@workspace("torchserve-mar")
def torchserve_mar(ws: Path) -> str:
    (ws / "model_store").mkdir(parents=True)
    tmp = ws / "tmp.pt"
    fm.torch_save(tmp, fm.state_dict((16, 16)))
    fm.torchserve_mar(ws / "model_store" / "resnet.mar", tmp.read_bytes())
    tmp.unlink()
    write(ws / "config.properties", "inference_address=http://0.0.0.0:8080\nmodel_store=model_store\n")
    write(ws / "handler.py", "from ts.torch_handler.image_classifier import ImageClassifier\n")
    return """
model: {path: model_store/resnet.mar, framework: PyTorch}
code: [{path: handler.py}]
"""


@workspace("nemo-asr")
def nemo_asr(ws: Path) -> str:
    ws.mkdir(parents=True, exist_ok=True)
    fm.nemo_archive(ws / "asr_model.nemo")
    write(
        ws / "transcribe.py",
        "import nemo.collections.asr as nemo_asr\nm = nemo_asr.models.ASRModel.restore_from('asr_model.nemo')\n",
    )
    return """
model: {path: asr_model.nemo, framework: NeMo}
code: [{path: transcribe.py}]
"""


@workspace("zipped-savedmodel")
def zipped_savedmodel(ws: Path) -> str:
    fm.saved_model(ws / "tmp_sm")
    (ws / "export").mkdir()
    fm.zip_folder(ws / "export" / "saved_model.zip", ws / "tmp_sm", "saved_model")
    import shutil

    shutil.rmtree(ws / "tmp_sm")
    notebook(ws / "serve.ipynb", "import tensorflow as tf\nmodel = tf.saved_model.load('saved_model')")
    return """
model: {path: export/saved_model.zip, framework: TensorFlow}
code: [{path: serve.ipynb}]
"""


@workspace("keras-v3")
def keras_v3(ws: Path) -> str:
    (ws / "models").mkdir(parents=True)
    fm.keras_v3(ws / "models" / "classifier.keras")
    csv(ws / "data" / "train.csv")
    notebook(
        ws / "train.ipynb",
        "import keras, pandas as pd\ndf = pd.read_csv('data/train.csv')",
        "model.save('models/classifier.keras')",
    )
    return """
model: {path: models/classifier.keras, framework: Keras}
datasets: [{path: data/train.csv}]
code: [{path: train.ipynb}]
"""


# ------------------------------------------------------------------------------ training checkpoints
@workspace("lightning-ckpt")
def lightning_ckpt(ws: Path) -> str:
    (ws / "checkpoints").mkdir(parents=True)
    fm.lightning_ckpt(ws / "checkpoints" / "best-epoch=07-val_loss=0.21.ckpt", 7, 800)
    fm.lightning_ckpt(ws / "checkpoints" / "last.ckpt", 9, 1000)
    touch(ws / "checkpoints" / "best-epoch=07-val_loss=0.21.ckpt", 100)
    touch(ws / "checkpoints" / "last.ckpt", 200)
    write(
        ws / "train.py",
        "import lightning as L\nfrom lightning.pytorch.callbacks import ModelCheckpoint\ntrainer.fit(model)\n",
    )
    return """
model: {path: checkpoints/best-epoch=07-val_loss=0.21.ckpt, framework: PyTorch Lightning}
code: [{path: train.py}]
"""


@workspace("hf-trainer-final")
def hf_trainer_final(ws: Path) -> str:
    hf_checkpoint(ws / "outputs" / "checkpoint-500", 500)
    hf_checkpoint(ws / "outputs" / "checkpoint-1000", 1000)
    hf_folder(ws / "outputs")
    write(ws / "outputs" / "training_args.bin", b"PK\x03\x04" + b"\x00" * 40)
    write(
        ws / "train.py",
        "from transformers import Trainer\ntrainer = Trainer(model, args)\ntrainer.train()\ntrainer.save_model('outputs')\n",
    )
    # The intermediate checkpoints stay out of the kit (the draft's .kitignore), not out of the Kitfile.
    return """
model: {path: outputs, framework: transformers}
code: [{path: train.py}]
unpacked_without: [outputs/checkpoint-500, outputs/checkpoint-1000]
"""


@workspace("hf-trainer-checkpoints-only")
def hf_trainer_checkpoints_only(ws: Path) -> str:
    hf_checkpoint(ws / "results" / "checkpoint-200", 200, best="results/checkpoint-200")
    hf_checkpoint(ws / "results" / "checkpoint-400", 400, best="results/checkpoint-200")
    notebook(
        ws / "finetune.ipynb",
        "from transformers import Trainer, TrainingArguments\nargs = TrainingArguments('results', load_best_model_at_end=True)",
    )
    return """
model: {path: results/checkpoint-200, framework: transformers}
code: [{path: finetune.ipynb}]
"""


@workspace("ultralytics-run")
def ultralytics_run(ws: Path) -> str:
    run = ws / "runs" / "detect" / "train"
    (run / "weights").mkdir(parents=True)
    fm.ultralytics_pt(ws / "yolov8n.pt")
    touch(ws / "yolov8n.pt", 0)
    fm.ultralytics_pt(run / "weights" / "best.pt")
    fm.ultralytics_pt(run / "weights" / "last.pt", epoch=9)
    touch(run / "weights" / "best.pt", 500)
    touch(run / "weights" / "last.pt", 600)
    write(run / "args.yaml", "task: detect\nmode: train\nmodel: yolov8n.pt\ndata: data.yaml\nepochs: 10\n")
    write(run / "results.csv", "epoch,train/box_loss,metrics/mAP50(B)\n1,1.2,0.3\n2,1.0,0.45\n3,0.9,0.61\n")
    for name in ("results.png", "confusion_matrix.png", "labels.jpg"):
        write(run / name, b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    write(
        ws / "data.yaml",
        "path: datasets/parts\ntrain: images/train\nval: images/val\nnames:\n  0: bolt\n  1: nut\n  2: washer\n",
    )
    write(
        ws / "train.py",
        "from ultralytics import YOLO\nmodel = YOLO('yolov8n.pt')\nmodel.train(data='data.yaml', epochs=10)\n",
    )
    return """
model: {path: runs/detect/train/weights/best.pt, framework: Ultralytics}
code: [{path: data.yaml}, {path: train.py}]
"""


@workspace("keras-per-epoch")
def keras_per_epoch(ws: Path) -> str:
    (ws / "checkpoints").mkdir(parents=True)
    for epoch in range(1, 13):
        path = ws / "checkpoints" / f"model_epoch_{epoch}.h5"
        fm.keras_h5(path)
        touch(path, epoch * 60)
    notebook(
        ws / "train.ipynb",
        "import keras\ncb = keras.callbacks.ModelCheckpoint('checkpoints/model_epoch_{epoch}.h5')\nmodel.fit(x, y, callbacks=[cb])",
    )
    return """
model: {path: checkpoints/model_epoch_12.h5, framework: Keras}
code: [{path: train.ipynb}]
"""


@workspace("tf-checkpoints-and-export")
def tf_checkpoints_and_export(ws: Path) -> str:
    for step in (1, 2, 3):
        fm.tf_checkpoint(ws / "training_checkpoints", f"ckpt-{step}")
    fm.saved_model(ws / "export" / "1")
    notebook(
        ws / "train.ipynb",
        "import tensorflow as tf\nckpt = tf.train.Checkpoint(model=model)",
        "tf.saved_model.save(model, 'export/1')",
    )
    return """
model: {path: export/1, framework: TensorFlow}
code: [{path: train.ipynb}]
"""


@workspace("tf-checkpoint-only")
def tf_checkpoint_only(ws: Path) -> str:
    fm.tf_checkpoint(ws / "tf_ckpt", "ckpt-3")
    write(
        ws / "train.py",
        "import tensorflow as tf\nmanager = tf.train.CheckpointManager(ckpt, 'tf_ckpt', max_to_keep=1)\nmanager.save()\n",
    )
    return """
model: {path: tf_ckpt, framework: TensorFlow}
code: [{path: train.py}]
"""


@workspace("fastai-export")
def fastai_export(ws: Path) -> str:
    (ws / "models").mkdir(parents=True)
    fm.fastai_export(ws / "models" / "export.pkl")
    notebook(
        ws / "train.ipynb",
        "from fastai.vision.all import *\nlearn = vision_learner(dls, resnet18)",
        "learn.export('models/export.pkl')",
    )
    return """
model: {path: models/export.pkl, framework: fastai}
code: [{path: train.ipynb}]
"""


@workspace("orbax-flax")
def orbax_flax(ws: Path) -> str:
    for step in (100, 200):
        fm.orbax_checkpoint(ws / "ckpts", step)
    write(
        ws / "train.py",
        "import orbax.checkpoint as ocp\nmngr = ocp.CheckpointManager('ckpts')\nmngr.save(step, args=ocp.args.StandardSave(state))\n",
    )
    return """
model: {path: ckpts/200, framework: Flax}
code: [{path: train.py}]
"""


# ---------------------------------------------------------------------------- several of one kind
@workspace("kfold-loop")
def kfold_loop(ws: Path) -> str:
    for fold in range(5):
        dump(clf("rf", 3 + fold), ws / "models" / f"fold_{fold}.joblib")
    csv(ws / "data" / "train.csv")
    write(
        ws / "train.py",
        "import joblib\nimport pandas as pd\nfrom sklearn.model_selection import KFold\n"
        "df = pd.read_csv('data/train.csv')\nfor fold, (tr, va) in enumerate(KFold(5).split(df)):\n"
        "    model = fit(df.iloc[tr])\n    joblib.dump(model, f'models/fold_{fold}.joblib')\n",
    )
    write(
        ws / "predict.py",
        "import joblib\nmodels = [joblib.load(f'models/fold_{i}.joblib') for i in range(5)]\n",
    )
    return """
model:
  path: models/fold_0.joblib
  framework: scikit-learn
  parts: [{path: models/fold_1.joblib}, {path: models/fold_2.joblib}, {path: models/fold_3.joblib}, {path: models/fold_4.joblib}]
datasets: [{path: data/train.csv}]
code: [{path: predict.py}, {path: train.py}]
"""


@workspace("versions-served-by-app")
def versions_served_by_app(ws: Path) -> str:
    dump(clf("rf", 30), ws / "models" / "model_v1.joblib")
    dump(clf("rf", 5), ws / "models" / "model_v2.joblib")
    dump(clf(), ws / "models" / "model_v3.joblib")
    for i, name in enumerate(("model_v1", "model_v2", "model_v3")):
        touch(ws / "models" / f"{name}.joblib", i * 100)
    write(
        ws / "app.py",
        "import joblib\nfrom fastapi import FastAPI\nmodel = joblib.load('models/model_v2.joblib')\napp = FastAPI()\n",
    )
    requirements(ws, "fastapi==0.115.5", "scikit-learn==1.5.2")
    return """
model: {path: models/model_v2.joblib, framework: scikit-learn}
code: [{path: app.py}, {path: requirements.txt}]
"""


@workspace("best-by-name")
def best_by_name(ws: Path) -> str:
    (ws / "models").mkdir(parents=True)
    fm.torch_save(ws / "models" / "best_model.pt", fm.state_dict((16, 8)))
    fm.torch_save(ws / "models" / "model_epoch3.pt", fm.state_dict((16, 8), (8, 8)))
    fm.torch_save(ws / "models" / "model_epoch7.pt", fm.state_dict((16, 8), (8, 8)))
    touch(ws / "models" / "best_model.pt", 300)
    touch(ws / "models" / "model_epoch3.pt", 100)
    touch(ws / "models" / "model_epoch7.pt", 700)
    notebook(
        ws / "train.ipynb",
        "import torch\nfor epoch in range(10):\n    torch.save(net.state_dict(), f'models/model_epoch{epoch}.pt')",
    )
    return """
model: {path: models/best_model.pt, framework: PyTorch}
code: [{path: train.ipynb}]
"""


@workspace("newest-of-three")
def newest_of_three(ws: Path) -> str:
    (ws / "models").mkdir(parents=True)
    for i, name in enumerate(("xgb_a", "xgb_c", "xgb_b")):
        write(
            ws / "models" / f"{name}.json",
            XGB_JSON.replace('"1"', '"' + str(9 - 3 * i) + '"') + " " * (300 - 100 * i),
        )
        touch(ws / "models" / f"{name}.json", i * 1000)
    write(
        ws / "tune.py",
        "import xgboost as xgb\nfor name, params in grid.items():\n    bst = xgb.train(params, dtrain)\n",
    )
    return """
model: {path: models/xgb_b.json, framework: XGBoost}
code: [{path: tune.py}]
"""


@workspace("per-epoch-torch")
def per_epoch_torch(ws: Path) -> str:
    (ws / "checkpoints").mkdir(parents=True)
    for epoch in range(1, 11):
        path = ws / "checkpoints" / f"epoch_{epoch}.pt"
        fm.torch_save(path, fm.state_dict((16, 8)))
        touch(path, epoch)
    write(
        ws / "train.py",
        "import torch\nfor epoch in range(1, 11):\n    torch.save(model.state_dict(), f'checkpoints/epoch_{epoch}.pt')\n",
    )
    return """
model: {path: checkpoints/epoch_10.pt, framework: PyTorch}
code: [{path: train.py}]
"""


@workspace("lightgbm-folds-by-name")
def lightgbm_folds_by_name(ws: Path) -> str:
    import lightgbm as lgb

    (ws / "models").mkdir(parents=True)
    for fold in range(1, 6):
        booster = lgb.train({"verbose": -1, "num_leaves": 4, "seed": fold}, lgb.Dataset(X, label=Y), 2)
        booster.save_model(str(ws / "models" / f"lgbm_fold{fold}.txt"))
    notebook(ws / "cv.ipynb", "md:# 5-fold LightGBM", "import lightgbm as lgb\nboosters = cv(params, data)")
    return """
model:
  path: models/lgbm_fold1.txt
  framework: LightGBM
  parts: [{path: models/lgbm_fold2.txt}, {path: models/lgbm_fold3.txt}, {path: models/lgbm_fold4.txt}, {path: models/lgbm_fold5.txt}]
code: [{path: cv.ipynb}]
"""


# ---------------------------------------------------------------------- script writes, unpacked kits
class CentroidModel:
    """A user's own model class: its pickle names __main__.CentroidModel and nothing else."""

    def __init__(self) -> None:
        self.centroids = [[0.1, 0.2], [0.8, 0.9]]
        self.labels = ["low", "high"]


@workspace("pickle-custom-class-script")
def pickle_custom_class_script(ws: Path) -> str:
    (ws / "models").mkdir(parents=True)
    model = CentroidModel()
    CentroidModel.__module__ = "__main__"
    import __main__

    __main__.CentroidModel = CentroidModel  # type: ignore[attr-defined]
    try:
        with open(ws / "models" / "model.pkl", "wb") as fh:
            pickle.dump(model, fh)
    finally:
        CentroidModel.__module__ = __name__
        delattr(__main__, "CentroidModel")
    csv(ws / "data" / "points.csv")
    write(
        ws / "train.py",
        "import pickle\nimport pandas as pd\n\nclass CentroidModel:\n    pass\n\n"
        "df = pd.read_csv('data/points.csv')\nmodel = CentroidModel()\n"
        "with open('models/model.pkl', 'wb') as fh:\n    pickle.dump(model, fh)\n",
    )
    return """
model: {path: models/model.pkl}
datasets: [{path: data/points.csv}]
code: [{path: train.py}]
"""


@workspace("torch-with-labels")
def torch_with_labels(ws: Path) -> str:
    ws.mkdir(parents=True, exist_ok=True)
    fm.torch_save(ws / "classifier.pt", fm.state_dict((64, 32), (5, 64)))
    with open(ws / "labels.pkl", "wb") as fh:
        pickle.dump(["cat", "dog", "bird", "fish", "frog"], fh)
    notebook(
        ws / "train.ipynb",
        "md:# Animal classifier",
        "import torch, pickle\ntorch.save(model.state_dict(), 'classifier.pt')\n"
        "with open('labels.pkl', 'wb') as f:\n    pickle.dump(labels, f)",
    )
    return """
model: {path: classifier.pt, framework: PyTorch, parts: [{path: labels.pkl}]}
code: [{path: train.ipynb}]
"""


@workspace("ndarray-tofile")
def ndarray_tofile(ws: Path) -> str:
    ws.mkdir(parents=True, exist_ok=True)
    RNG.random((256, 64)).astype(np.float32).tofile(ws / "model.bin")
    write(
        ws / "export.py", "import json\nimport numpy as np\nweights.astype(np.float32).tofile('model.bin')\n"
    )
    readme(ws, "Raw embedding weights")
    return """
model: {path: model.bin}
code: [{path: export.py}]
docs: [{path: README.md}]
"""


@workspace("unpacked-kit-inside")
def unpacked_kit_inside(ws: Path) -> str:
    kit = ws / "pulled" / "sentiment-base"
    write(
        kit / "Kitfile",
        "manifestVersion: 1.0.0\npackage:\n  name: sentiment-base\nmodel:\n  path: model.joblib\ndatasets:\n- path: data.csv\n",
    )
    dump(clf("rf"), kit / "model.joblib")
    csv(kit / "data.csv")
    dump(clf(), ws / "models" / "finetuned.joblib")
    notebook(
        ws / "finetune.ipynb",
        "import joblib\nbase = joblib.load('pulled/sentiment-base/model.joblib')",
        "joblib.dump(model, 'models/finetuned.joblib')",
    )
    return """
model: {path: models/finetuned.joblib, framework: scikit-learn}
code: [{path: finetune.ipynb}]
"""


@workspace("script-in-src")
def script_in_src(ws: Path) -> str:
    dump(StandardScaler().fit(X), ws / "artifacts" / "scaler.joblib")
    dump(clf("rf"), ws / "artifacts" / "pipeline.joblib")
    write(
        ws / "src" / "train.py",
        "from pathlib import Path\nimport joblib\nimport pandas as pd\n\nMODEL_DIR = Path('artifacts')\n\n"
        "def main():\n    df = pd.read_csv('data/train.csv')\n    joblib.dump(pipe, MODEL_DIR / 'pipeline.joblib')\n"
        "    joblib.dump(scaler, MODEL_DIR / 'scaler.joblib')\n",
    )
    write(ws / "src" / "features.py", "def build(df):\n    return df\n")
    csv(ws / "data" / "train.csv")
    write(ws / "pyproject.toml", "[project]\nname = 'churn'\nversion = '0.1.0'\n")
    readme(ws, "Churn pipeline")
    return """
model: {path: artifacts/pipeline.joblib, framework: scikit-learn, parts: [{path: artifacts/scaler.joblib}]}
datasets: [{path: data/train.csv}]
code: [{path: pyproject.toml}, {path: src}]
docs: [{path: README.md}]
"""


@workspace("joblib-dict-bundle")
def joblib_dict_bundle(ws: Path) -> str:
    dump({"model": clf(), "features": ["tenure", "spend", "calls", "age"]}, ws / "bundle.joblib")
    notebook(
        ws / "train.ipynb", "import joblib\njoblib.dump({'model': model, 'features': cols}, 'bundle.joblib')"
    )
    return """
model: {path: bundle.joblib, framework: scikit-learn}
code: [{path: train.ipynb}]
"""


@workspace("images-and-cnn")
def images_and_cnn(ws: Path) -> str:
    from tests.scan.scanfiles import png_bytes

    for label in ("cats", "dogs"):
        for i in range(8):
            write(ws / "dataset" / label / f"{i}.png", png_bytes(i))
    (ws / "weights").mkdir()
    fm.whole_torch_module(ws / "weights" / "cnn.pth")
    notebook(ws / "train.ipynb", "md:# Cats vs dogs", "import torch\ntorch.save(model, 'weights/cnn.pth')")
    return """
model: {path: weights/cnn.pth, framework: PyTorch}
datasets: [{path: dataset}]
code: [{path: train.ipynb}]
"""


@workspace("pmml-export")
def pmml_export(ws: Path) -> str:
    write(
        ws / "model.pmml",
        '<?xml version="1.0" encoding="UTF-8"?>\n<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">\n'
        '<Header/>\n<DataDictionary/>\n<TreeModel functionName="classification"/>\n</PMML>\n',
    )
    write(ws / "export.py", "from sklearn2pmml import sklearn2pmml\nsklearn2pmml(pipeline, 'model.pmml')\n")
    return """
model: {path: model.pmml, framework: PMML}
code: [{path: export.py}]
"""


@workspace("safetensors-plain")
def safetensors_plain(ws: Path) -> str:
    safetensors(
        ws / "weights" / "unet.safetensors",
        {"down.0.weight": ((32, 16), "F16"), "up.0.weight": ((16, 32), "F16")},
        {"format": "pt"},
    )
    write(ws / "weights" / "unet_config.json", json.dumps({"in_channels": 4, "out_channels": 4}))
    write(
        ws / "sample.py",
        "from safetensors.torch import load_file\nw = load_file('weights/unet.safetensors')\n",
    )
    return """
model: {path: weights/unet.safetensors, framework: PyTorch, parts: [{path: weights/unet_config.json}]}
code: [{path: sample.py}]
"""


@workspace("mlflow-saved-outside-runs")
def mlflow_saved_outside_runs(ws: Path) -> str:
    fm.mlflow_model_folder(ws / "exported_model", clf("rf"))
    write(ws / "export.py", "import mlflow.sklearn\nmlflow.sklearn.save_model(model, 'exported_model')\n")
    noise(ws)
    return """
model: {path: exported_model, framework: scikit-learn}
code: [{path: export.py}]
"""


# ----------------------------------------------------------- held out: written after the fixes above
# These variants were written after the scanner passed the workspaces above, and scored before any
# further change, as a check that the fixes are general (their first figures are in the issue note).
@workspace("mlflow-runs-uri-registry")
def mlflow_runs_uri_registry(ws: Path) -> str:
    runs = ws / "mlruns"
    first = fm.mlflow_run(
        runs,
        "3",
        "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
        clf(),
        {"C": "0.5"},
        {"auc": 0.8},
        end_time=1764200000000,
        artifact="sk_model",
    )
    second = fm.mlflow_run(
        runs,
        "3",
        "1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e",
        clf("rf"),
        {"C": "2"},
        {"auc": 0.85},
        end_time=1764300000000,
        artifact="sk_model",
    )
    fm.mlflow_run(
        runs,
        "4",
        "4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d",
        clf("rf", 7),
        {"C": "9"},
        {"auc": 0.6},
        end_time=1764900000000,
        artifact="sk_model",
    )
    for version, run in ((1, first), (2, second)):
        folder = runs / "models" / "fraud" / f"version-{version}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "meta.yaml").write_text(
            f"name: fraud\nrun_id: {run.name}\nsource: runs:/{run.name}/sk_model\nstatus: READY\nversion: {version}\n"
        )
    write(runs / "models" / "fraud" / "meta.yaml", "name: fraud\n")
    notebook(
        ws / "fraud.ipynb",
        "md:# Fraud model",
        "import mlflow\nmlflow.sklearn.log_model(model, 'sk_model', registered_model_name='fraud')",
    )
    return f"""
model: {{path: {second.relative_to(ws).as_posix()}/artifacts/sk_model, framework: scikit-learn}}
code: [{{path: fraud.ipynb}}]
"""


@workspace("wandb-model-with-pretrained-input")
def wandb_model_with_pretrained_input(ws: Path) -> str:
    (ws / "pretrained").mkdir(parents=True)
    fm.whole_torch_module(ws / "pretrained" / "resnet18.pth", "torchvision.models.resnet.ResNet")
    tmp = ws / "tmp.pt"
    fm.whole_torch_module(tmp, "__main__.FineTuned")
    run = fm.wandb_run(ws / "wandb", "zz9q8w7e", {"model.pt": tmp.read_bytes()})
    tmp.unlink()
    write(
        ws / "train.py",
        "import torch, wandb, os\nbase = torch.load('pretrained/resnet18.pth')\nmodel = finetune(base)\n"
        "torch.save(model, os.path.join(wandb.run.dir, 'model.pt'))\n",
    )
    return f"""
model: {{path: {run.relative_to(ws).as_posix()}/files/model.pt, framework: PyTorch}}
code: [{{path: train.py}}]
"""


@workspace("hf-final-model-subfolder")
def hf_final_model_subfolder(ws: Path) -> str:
    hf_checkpoint(ws / "out" / "checkpoint-100", 100)
    hf_checkpoint(ws / "out" / "checkpoint-200", 200)
    hf_folder(ws / "out" / "final_model")
    for name in ("train", "eval"):
        write(
            ws / "out" / "runs" / "Nov30_10-00-00_host" / f"events.out.tfevents.1764496800.host.{name}",
            b"\x18\x00" + b"\x00" * 30,
        )
    write(
        ws / "train.py",
        "from transformers import Trainer, TrainingArguments\nargs = TrainingArguments(output_dir='out')\ntrainer.train()\nmodel.save_pretrained(final_dir)\n",
    )
    return """
model: {path: out/final_model, framework: transformers}
code: [{path: train.py}]
"""


@workspace("keras-best-and-epochs")
def keras_best_and_epochs(ws: Path) -> str:
    (ws / "checkpoints").mkdir(parents=True)
    for epoch in range(1, 6):
        fm.keras_v3(ws / "checkpoints" / f"epoch_{epoch:02d}.keras")
        touch(ws / "checkpoints" / f"epoch_{epoch:02d}.keras", epoch * 10)
    fm.keras_v3(ws / "best_model.keras")
    touch(ws / "best_model.keras", 25)
    notebook(
        ws / "train.ipynb",
        "import keras\ncbs = [keras.callbacks.ModelCheckpoint('checkpoints/epoch_{epoch:02d}.keras'),\n"
        "       keras.callbacks.ModelCheckpoint('best_model.keras', save_best_only=True)]",
    )
    return """
model: {path: best_model.keras, framework: Keras}
code: [{path: train.ipynb}]
"""


@workspace("sagemaker-pytorch")
def sagemaker_pytorch(ws: Path) -> str:
    tmp = ws / "model.pth"
    ws.mkdir(parents=True, exist_ok=True)
    fm.torch_save(tmp, fm.state_dict((32, 32)))
    fm.tar_gz(
        ws / "model.tar.gz",
        {
            "model.pth": tmp.read_bytes(),
            "code/inference.py": b"def model_fn(d):\n    pass\n",
            "code/requirements.txt": b"torchvision\n",
        },
    )
    tmp.unlink()
    write(
        ws / "deploy.py",
        "from sagemaker.pytorch import PyTorchModel\nPyTorchModel(model_data='model.tar.gz', entry_point='inference.py')\n",
    )
    return """
model: {path: model.tar.gz, framework: PyTorch}
code: [{path: deploy.py}]
"""


@workspace("dvc-outs-folder")
def dvc_outs_folder(ws: Path) -> str:
    from sklearn.preprocessing import OneHotEncoder

    dump(clf("rf"), ws / "models" / "model.joblib")
    dump(OneHotEncoder().fit([["a"], ["b"]]), ws / "models" / "encoder.joblib")
    csv(ws / "data" / "features.csv")
    write(
        ws / "dvc.yaml",
        "stages:\n  train:\n    cmd: python src/train.py\n    deps:\n    - data/features.csv\n    - src/train.py\n    outs:\n    - models\n",
    )
    write(
        ws / "src" / "train.py",
        "import joblib, sys\nout = sys.argv[1]\njoblib.dump(model, f'{out}/model.joblib')\n",
    )
    write(ws / ".dvc" / "config", "[core]\n    autostage = true\n")
    return """
model: {path: models/model.joblib, framework: scikit-learn, parts: [{path: models/encoder.joblib}]}
datasets: [{path: data/features.csv}]
code: [{path: dvc.yaml}, {path: src}]
"""


@workspace("script-deep-outdir")
def script_deep_outdir(ws: Path) -> str:
    dump(clf("rf"), ws / "outputs" / "clf.pkl")
    write(ws / "outputs" / "confusion.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    write(
        ws / "src" / "pipeline" / "train.py",
        "import os\nimport joblib\n\nOUT_DIR = 'outputs'\n\n\ndef run(model):\n"
        "    joblib.dump(model, os.path.join(OUT_DIR, 'clf.pkl'))\n",
    )
    write(ws / "src" / "pipeline" / "__init__.py", "")
    readme(ws, "Classifier pipeline")
    return """
model: {path: outputs/clf.pkl, framework: scikit-learn}
code: [{path: src}]
docs: [{path: README.md}]
"""


@workspace("only-an-unpacked-kit")
def only_an_unpacked_kit(ws: Path) -> str:
    kit = ws / "kits" / "churn-v3"
    write(kit / "Kitfile", "manifestVersion: 1.0.0\nmodel:\n  path: model.joblib\n")
    dump(clf(), kit / "model.joblib")
    csv(kit / "holdout.csv")
    notebook(
        ws / "evaluate.ipynb",
        "import joblib, pandas as pd\nm = joblib.load('kits/churn-v3/model.joblib')\ndf = pd.read_csv('kits/churn-v3/holdout.csv')",
    )
    return """
code: [{path: evaluate.ipynb}]
"""


@workspace("seed-ensemble")
def seed_ensemble(ws: Path) -> str:
    for seed in range(3):
        dump(clf("rf", 4 + seed), ws / "models" / f"rf_seed{seed}.pkl")
    notebook(
        ws / "bagging.ipynb",
        "md:# Seed bagging",
        "import joblib\nfor seed in range(3):\n    joblib.dump(fit(seed), f'models/rf_seed{seed}.pkl')",
    )
    return """
model:
  path: models/rf_seed0.pkl
  framework: scikit-learn
  parts: [{path: models/rf_seed1.pkl}, {path: models/rf_seed2.pkl}]
code: [{path: bagging.ipynb}]
"""


@workspace("fastai-export-and-stages")
def fastai_export_and_stages(ws: Path) -> str:
    (ws / "models").mkdir(parents=True)
    fm.fastai_export(ws / "export.pkl")
    fm.torch_save(ws / "models" / "stage-1.pth", {"model": fm.state_dict((8, 8)), "opt": {"state": {}}})
    fm.torch_save(ws / "models" / "stage-2.pth", {"model": fm.state_dict((8, 8)), "opt": {"state": {}}})
    touch(ws / "export.pkl", 50)
    touch(ws / "models" / "stage-1.pth", 10)
    touch(ws / "models" / "stage-2.pth", 40)
    notebook(
        ws / "pets.ipynb",
        "from fastai.vision.all import *",
        "learn.save('stage-1')",
        "learn.save('stage-2')\nlearn.export()",
    )
    return """
model: {path: export.pkl, framework: fastai}
code: [{path: pets.ipynb}]
"""


@workspace("ultralytics-two-runs")
def ultralytics_two_runs(ws: Path) -> str:
    for offset, name in ((0, "train"), (1000, "train2")):
        run = ws / "runs" / "segment" / name
        (run / "weights").mkdir(parents=True)
        for weights in ("best", "last"):
            fm.ultralytics_pt(run / "weights" / f"{weights}.pt", task="SegmentationModel")
            touch(run / "weights" / f"{weights}.pt", offset + (10 if weights == "last" else 0))
        write(run / "args.yaml", "task: segment\nmodel: yolov8n-seg.pt\ndata: coco8-seg.yaml\nepochs: 3\n")
        write(run / "results.csv", "epoch,metrics/mAP50(M)\n1,0.2\n2,0.3\n")
    write(
        ws / "segment.py",
        "from ultralytics import YOLO\nYOLO('yolov8n-seg.pt').train(data='coco8-seg.yaml', epochs=3)\n",
    )
    return """
model: {path: runs/segment/train2/weights/best.pt, framework: Ultralytics}
code: [{path: segment.py}]
"""


# ------------------------------------------------------- held out, second round (scored before fixes)
@workspace("torch-final-and-epoch-checkpoints")
def torch_final_and_epoch_checkpoints(ws: Path) -> str:
    (ws / "checkpoints").mkdir(parents=True)
    for epoch in (5, 10, 15):
        fm.torch_save(
            ws / "checkpoints" / f"ckpt_epoch{epoch}.pt",
            {
                "epoch": epoch,
                "model_state_dict": fm.state_dict((16, 16)),
                "optimizer_state_dict": {"state": {}},
            },
        )
        touch(ws / "checkpoints" / f"ckpt_epoch{epoch}.pt", epoch * 10)
    fm.torch_save(ws / "model_final.pt", fm.state_dict((16, 16)))
    touch(ws / "model_final.pt", 100)
    write(ws / "src" / "model.py", "import torch.nn as nn\n\nclass Net(nn.Module):\n    pass\n")
    write(
        ws / "train.py",
        "import torch\nfrom src.model import Net\nfor e in range(20):\n    if e % 5 == 0:\n"
        "        torch.save({'epoch': e, 'model_state_dict': net.state_dict(), 'optimizer_state_dict': opt.state_dict()}, f'checkpoints/ckpt_epoch{e}.pt')\n"
        "torch.save(net.state_dict(), 'model_final.pt')\n",
    )
    return """
model: {path: model_final.pt, framework: PyTorch}
code: [{path: src}, {path: train.py}]
"""


@workspace("notebook-in-subfolder-writes-up")
def notebook_in_subfolder_writes_up(ws: Path) -> str:
    dump(clf("rf"), ws / "models" / "clf.pkl")
    csv(ws / "data" / "raw" / "customers.csv")
    notebook(
        ws / "notebooks" / "01-train.ipynb",
        "md:# Customer model",
        "import pandas as pd, pickle\ndf = pd.read_csv('../data/raw/customers.csv')",
        "with open('../models/clf.pkl', 'wb') as f:\n    pickle.dump(clf, f)",
    )
    notebook(
        ws / "notebooks" / "00-explore.ipynb",
        "import pandas as pd\ndf = pd.read_csv('../data/raw/customers.csv')\ndf.describe()",
    )
    return """
model: {path: models/clf.pkl, framework: scikit-learn}
datasets: [{path: data/raw/customers.csv}]
code: [{path: notebooks}]
"""


@workspace("lightgbm-with-feature-names")
def lightgbm_with_feature_names(ws: Path) -> str:
    import lightgbm as lgb

    (ws / "models").mkdir(parents=True)
    booster = lgb.train({"verbose": -1, "num_leaves": 4}, lgb.Dataset(X, label=Y), 3)
    booster.save_model(str(ws / "models" / "model.lgb"))
    write(ws / "models" / "feature_names.json", json.dumps(["tenure", "spend", "calls", "age"]))
    write(ws / "params.yaml", "num_leaves: 4\nlearning_rate: 0.1\n")
    write(
        ws / "train.py",
        "import json\nimport lightgbm as lgb\nbooster.save_model('models/model.lgb')\n"
        "with open('models/feature_names.json', 'w') as f:\n    json.dump(names, f)\n",
    )
    return """
model: {path: models/model.lgb, framework: LightGBM, parts: [{path: models/feature_names.json}]}
code: [{path: params.yaml}, {path: train.py}]
"""


@workspace("peft-trainer-output")
def peft_trainer_output(ws: Path) -> str:
    out = ws / "lora-out"
    for folder in (out, out / "checkpoint-50"):
        write(
            folder / "adapter_config.json",
            json.dumps({"peft_type": "LORA", "base_model_name_or_path": "Qwen/Qwen2.5-0.5B", "r": 16}),
        )
        safetensors(
            folder / "adapter_model.safetensors",
            {"base_model.model.q_proj.lora_A.weight": ((16, 64), "BF16")},
        )
    write(
        out / "checkpoint-50" / "trainer_state.json",
        json.dumps({"global_step": 50, "best_model_checkpoint": None}),
    )
    write(out / "checkpoint-50" / "optimizer.pt", b"PK\x03\x04" + b"\x00" * 30)
    write(
        ws / "sft.py",
        "from trl import SFTTrainer\ntrainer = SFTTrainer(model, args=SFTConfig(output_dir='lora-out'))\ntrainer.train()\ntrainer.save_model()\n",
    )
    return """
model: {path: lora-out, framework: PEFT}
code: [{path: sft.py}]
unpacked_without: [lora-out/checkpoint-50]
"""


@workspace("mlflow-server-artifacts")
def mlflow_server_artifacts(ws: Path) -> str:
    run = ws / "mlartifacts" / "1" / "77aa88bb99cc00dd11ee22ff33aa44bb"
    fm.mlflow_model_folder(run / "artifacts" / "model", clf("rf"), run_id=run.name)
    write(run / "artifacts" / "feature_importance.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    write(ws / "mlruns.db", b"SQLite format 3\x00" + b"\x00" * 84)
    write(
        ws / "train.py",
        "import mlflow\nmlflow.set_tracking_uri('sqlite:///mlruns.db')\nmlflow.sklearn.log_model(model, 'model')\n",
    )
    return f"""
model: {{path: {run.relative_to(ws).as_posix()}/artifacts/model, framework: scikit-learn}}
code: [{{path: train.py}}]
"""


@workspace("keras-weights-and-architecture")
def keras_weights_and_architecture(ws: Path) -> str:
    import h5py

    (ws / "model").mkdir(parents=True)
    with h5py.File(ws / "model" / "weights.h5", "w") as f:
        f.attrs["layer_names"] = [b"dense", b"dense_1"]
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = "2.15.0"
        for name in ("dense", "dense_1"):
            group = f.create_group(name)
            group.attrs["weight_names"] = [f"{name}/kernel:0".encode()]
            group.create_dataset(f"{name}/kernel:0", data=np.ones((4, 4), np.float32))
    write(
        ws / "model" / "model.json",
        json.dumps({"class_name": "Sequential", "config": {"layers": []}, "keras_version": "2.15.0"}),
    )
    notebook(
        ws / "train.ipynb",
        "model.save_weights('model/weights.h5')\nwith open('model/model.json', 'w') as f:\n    f.write(model.to_json())",
    )
    return """
model: {path: model/weights.h5, framework: Keras, parts: [{path: model/model.json}]}
code: [{path: train.ipynb}]
"""


@workspace("lightning-topk-only")
def lightning_topk_only(ws: Path) -> str:
    (ws / "checkpoints").mkdir(parents=True)
    for epoch in (2, 5):
        path = ws / "checkpoints" / f"epoch={epoch}-step={epoch * 100}.ckpt"
        fm.lightning_ckpt(path, epoch, epoch * 100)
        touch(path, epoch)
    write(
        ws / "train.py",
        "import lightning as L\ncb = ModelCheckpoint(dirpath='checkpoints', save_top_k=2, monitor='val_loss')\n",
    )
    return """
model: {path: checkpoints/epoch=5-step=500.ckpt, framework: PyTorch Lightning}
code: [{path: train.py}]
"""


@workspace("torchscript")
def torchscript(ws: Path) -> str:
    ws.mkdir(parents=True, exist_ok=True)
    fm.torch_save(ws / "model_scripted.pt", fm.foreign_object("__torch__.Net", training=False))
    notebook(
        ws / "export.ipynb",
        "import torch\nscripted = torch.jit.script(model)\nscripted.save('model_scripted.pt')",
    )
    return """
model: {path: model_scripted.pt, framework: PyTorch}
code: [{path: export.ipynb}]
"""


# -------------------------------------------------------- held out, third round (scored before fixes)
@workspace("backup-copies")
def backup_copies(ws: Path) -> str:
    model = clf("rf")
    dump(model, ws / "model.joblib")
    dump(clf(), ws / "model_old.joblib")
    dump(model, ws / "backup" / "model.joblib")
    touch(ws / "backup" / "model.joblib", 0)
    touch(ws / "model_old.joblib", 10)
    touch(ws / "model.joblib", 20)
    notebook(ws / "train.ipynb", "import joblib\njoblib.dump(model, 'model.joblib')")
    return """
model: {path: model.joblib, framework: scikit-learn}
code: [{path: train.ipynb}]
"""


@workspace("hf-cache-and-finetuned")
def hf_cache_and_finetuned(ws: Path) -> str:
    hf_folder(
        ws
        / "hf_cache"
        / "models--distilbert-base-uncased"
        / "snapshots"
        / "12040accade4e8a0f71eabdb258fecc2e7e948be"
    )
    write(
        ws / "hf_cache" / "models--distilbert-base-uncased" / "refs" / "main",
        "12040accade4e8a0f71eabdb258fecc2e7e948be",
    )
    hf_folder(ws / "finetuned")
    notebook(
        ws / "finetune.ipynb",
        "import os\nos.environ['HF_HOME'] = 'hf_cache'\nfrom transformers import AutoModel\n"
        "model = AutoModel.from_pretrained('distilbert-base-uncased', cache_dir='hf_cache')",
        "model.save_pretrained('finetuned')",
    )
    return """
model: {path: finetuned, framework: transformers}
code: [{path: finetune.ipynb}]
"""


@workspace("catboost-binary")
def catboost_binary(ws: Path) -> str:
    # CatBoost's model file: the "CBM1" magic, a little-endian size, then the flatbuffers model core.
    core = b"\x0c\x00\x00\x00\x08\x00\x0c\x00\x04\x00\x08\x00" + b"\x00" * 52
    write(ws / "catboost_model.cbm", b"CBM1" + struct.pack("<I", len(core)) + core)
    csv(ws / "data" / "train.csv")
    write(
        ws / "train.py",
        "from catboost import CatBoostClassifier\nimport pandas as pd\ndf = pd.read_csv('data/train.csv')\nm.save_model('catboost_model.cbm')\n",
    )
    return """
model: {path: catboost_model.cbm, framework: CatBoost}
datasets: [{path: data/train.csv}]
code: [{path: train.py}]
"""


@workspace("fastapi-service")
def fastapi_service(ws: Path) -> str:
    ws.mkdir(parents=True, exist_ok=True)
    joblib.dump(clf("rf"), ws / "model.joblib", compress=3)
    write(
        ws / "app" / "main.py",
        "import joblib\nfrom fastapi import FastAPI\nmodel = joblib.load('model.joblib')\napp = FastAPI()\n",
    )
    write(ws / "app" / "__init__.py", "")
    write(ws / "tests" / "test_app.py", "def test_predict():\n    assert True\n")
    write(ws / "Dockerfile", "FROM python:3.11-slim\nCOPY . /srv\nCMD uvicorn app.main:app\n")
    requirements(ws, "fastapi==0.115.5", "scikit-learn==1.5.2", "joblib==1.4.2")
    return """
model: {path: model.joblib, framework: scikit-learn}
code: [{path: Dockerfile}, {path: app}, {path: requirements.txt}, {path: tests}]
"""


@workspace("path-constant-in-another-cell")
def path_constant_in_another_cell(ws: Path) -> str:
    (ws / "weights").mkdir(parents=True)
    fm.torch_save(ws / "weights" / "net.pt", fm.state_dict((12, 6), (3, 12)))
    notebook(
        ws / "train.ipynb",
        "MODEL_PATH = 'weights/net.pt'\nEPOCHS = 5",
        "import torch\nfor epoch in range(EPOCHS):\n    train_one(epoch)",
        "torch.save(net.state_dict(), MODEL_PATH)",
    )
    return """
model: {path: weights/net.pt, framework: PyTorch}
code: [{path: train.ipynb}]
"""


@workspace("keras-checkpoints-and-export")
def keras_checkpoints_and_export(ws: Path) -> str:
    (ws / "tmp" / "checkpoints").mkdir(parents=True)
    for epoch in range(1, 4):
        fm.keras_h5(ws / "tmp" / "checkpoints" / f"weights.{epoch:02d}.h5")
    fm.saved_model(ws / "saved_model")
    notebook(
        ws / "train.ipynb",
        "cb = keras.callbacks.ModelCheckpoint('tmp/checkpoints/weights.{epoch:02d}.h5')",
        "model.export('saved_model')",
    )
    return """
model: {path: saved_model, framework: TensorFlow}
code: [{path: train.ipynb}]
"""


@workspace("xgboost-ubj")
def xgboost_ubj(ws: Path) -> str:
    # UBJSON (XGBoost >= 2 default): '{', then length-prefixed keys ('i' + int8 length) and values.
    def key(text: str) -> bytes:
        return b"i" + bytes([len(text)]) + text.encode()

    body = (
        b"{"
        + key("learner")
        + b"{"
        + key("attributes")
        + b"{}"
        + key("gradient_booster")
        + b"{"
        + key("name")
        + b"S"
        + key("gbtree")
        + b"}"
        + key("objective")
        + b"{"
        + key("name")
        + b"S"
        + key("binary:logistic")
        + b"}}"
        + key("version")
        + b"[$i#i\x03\x02\x01\x03"
        + b"}"
    )
    write(ws / "model.ubj", body)
    notebook(ws / "train.ipynb", "import xgboost as xgb\nbst.save_model('model.ubj')")
    return """
model: {path: model.ubj, framework: XGBoost}
code: [{path: train.ipynb}]
"""


@workspace("pickled-frame-and-model")
def pickled_frame_and_model(ws: Path) -> str:
    ws.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(X, columns=list("abcd")).to_pickle(ws / "features.pkl")
    with open(ws / "model.pkl", "wb") as fh:
        pickle.dump(clf(), fh)
    write(
        ws / "train.py",
        "import pickle\nimport pandas as pd\nX = pd.read_pickle('features.pkl')\nwith open('model.pkl', 'wb') as fh:\n    pickle.dump(model, fh)\n",
    )
    return """
model: {path: model.pkl, framework: scikit-learn}
datasets: [{path: features.pkl}]
code: [{path: train.py}]
"""


@workspace("wandb-artifact-download")
def wandb_artifact_download(ws: Path) -> str:
    dump(clf("rf"), ws / "artifacts" / "churn-model:v3" / "model.joblib")
    dump(clf(), ws / "artifacts" / "churn-model:v1" / "model.joblib")
    touch(ws / "artifacts" / "churn-model:v1" / "model.joblib", 0)
    touch(ws / "artifacts" / "churn-model:v3" / "model.joblib", 100)
    write(ws / "artifacts" / "churn-model:v3" / "metadata.json", json.dumps({"features": 4}))
    notebook(
        ws / "evaluate.ipynb",
        "import wandb, joblib\nart = wandb.Api().artifact('team/churn/churn-model:latest')\npath = art.download()",
    )
    return """
model: {path: "artifacts/churn-model:v3/model.joblib", framework: scikit-learn}
code: [{path: evaluate.ipynb}]
"""


@workspace("wandb-artifact-hf-folder")
def wandb_artifact_hf_folder(ws: Path) -> str:
    hf_folder(ws / "artifacts" / "sentiment:v2")
    notebook(ws / "serve.ipynb", "import wandb\nart = run.use_artifact('sentiment:v2')\nart.download()")
    return """
model: {path: "artifacts/sentiment:v2/", framework: transformers}
code: [{path: serve.ipynb}]
"""


@workspace("dvc-add-pointers")
def dvc_add_pointers(ws: Path) -> str:
    dump(clf("rf"), ws / "models" / "model.pkl")
    dump(clf("rf", 30), ws / "models" / "baseline.pkl")  # bigger: size alone would pick it
    touch(ws / "models" / "model.pkl", 0)
    touch(ws / "models" / "baseline.pkl", 0)
    write(
        ws / "models" / "model.pkl.dvc",
        "outs:\n- md5: 9f2c4b1e8a7d6c5b4a3f2e1d0c9b8a7f\n  size: 4096\n  hash: md5\n  path: model.pkl\n",
    )
    csv(ws / "data" / "train.csv")
    write(
        ws / "data" / "train.csv.dvc",
        "outs:\n- md5: 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d\n  size: 2048\n  hash: md5\n  path: train.csv\n",
    )
    write(ws / ".dvc" / "config", "[core]\n    remote = origin\n")
    write(
        ws / "train.py",
        "import pickle, sys\nmodel = fit(sys.argv[1])\npickle.dump(model, open(sys.argv[2], 'wb'))\n",
    )
    return """
model: {path: models/model.pkl, framework: scikit-learn}
datasets: [{path: data/train.csv}]
code: [{path: train.py}]
"""


# -------------------------------------------------------- held out, fourth round (scored before fixes)
@workspace("baseline-then-final-in-one-notebook")
def baseline_then_final_in_one_notebook(ws: Path) -> str:
    from sklearn.ensemble import GradientBoostingClassifier

    dump(clf(), ws / "models" / "baseline.joblib")
    dump(GradientBoostingClassifier(n_estimators=5).fit(X, Y), ws / "models" / "gbm.joblib")
    touch(ws / "models" / "baseline.joblib", 0)
    touch(ws / "models" / "gbm.joblib", 600)
    csv(ws / "data" / "train.csv")
    notebook(
        ws / "modeling.ipynb",
        "md:# Churn: baseline, then boosting",
        "import joblib, pandas as pd\ndf = pd.read_csv('data/train.csv')",
        "joblib.dump(baseline, 'models/baseline.joblib')",
        "joblib.dump(gbm, 'models/gbm.joblib')",
    )
    return """
model: {path: models/gbm.joblib, framework: scikit-learn}
datasets: [{path: data/train.csv}]
code: [{path: modeling.ipynb}]
"""


@workspace("tflite-with-labels")
def tflite_with_labels(ws: Path) -> str:
    # A TFLite flatbuffer: the root table offset, then the "TFL3" file identifier.
    write(ws / "export" / "model.tflite", struct.pack("<I", 28) + b"TFL3" + b"\x00" * 120)
    write(ws / "export" / "labels.txt", "cat\ndog\nbird\n")
    notebook(
        ws / "convert.ipynb",
        "import tensorflow as tf\nconverter = tf.lite.TFLiteConverter.from_saved_model('sm')\ntflite = converter.convert()",
        "open('export/model.tflite', 'wb').write(tflite)\nopen('export/labels.txt', 'w').write('\\n'.join(labels))",
    )
    return """
model: {path: export/model.tflite, framework: TensorFlow Lite, parts: [{path: export/labels.txt}]}
code: [{path: convert.ipynb}]
"""


@workspace("sentence-transformers-folder")
def sentence_transformers_folder(ws: Path) -> str:
    folder = ws / "st_model"
    write(folder / "config.json", json.dumps({"architectures": ["BertModel"], "model_type": "bert"}))
    safetensors(folder / "model.safetensors", {"embeddings.word_embeddings.weight": ((64, 8), "F32")})
    write(
        folder / "modules.json",
        json.dumps([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}]),
    )
    write(
        folder / "config_sentence_transformers.json",
        json.dumps({"__version__": {"sentence_transformers": "3.3.1"}}),
    )
    write(
        folder / "1_Pooling" / "config.json",
        json.dumps({"word_embedding_dimension": 8, "pooling_mode_mean_tokens": True}),
    )
    write(folder / "tokenizer.json", json.dumps({"version": "1.0"}))
    write(
        ws / "encode.py",
        "from sentence_transformers import SentenceTransformer\nm = SentenceTransformer('st_model')\nm.encode(['hi'])\n",
    )
    return """
model: {path: st_model, framework: sentence-transformers}
code: [{path: encode.py}]
"""


@workspace("coreml-export-from-torch")
def coreml_export_from_torch(ws: Path) -> str:
    ws.mkdir(parents=True, exist_ok=True)
    fm.torch_save(ws / "model.pt", fm.state_dict((8, 8)))
    package = ws / "Classifier.mlpackage"
    write(package / "Manifest.json", json.dumps({"fileFormatVersion": "1.0.0", "itemInfoEntries": {}}))
    write(package / "Data" / "com.apple.CoreML" / "model.mlmodel", b"\x08\x07\x12\x00")
    write(package / "Data" / "com.apple.CoreML" / "weights" / "weight.bin", b"\x00" * 64)
    write(
        ws / "export_coreml.py",
        "import torch, coremltools as ct\nnet = torch.load('model.pt')\nmlmodel = ct.convert(traced)\nmlmodel.save('Classifier.mlpackage')\n",
    )
    return """
model: {path: Classifier.mlpackage, framework: Core ML}
code: [{path: export_coreml.py}]
"""


@workspace("diffusers-lora-pipeline")
def diffusers_lora_pipeline(ws: Path) -> str:
    out = ws / "sd-out"
    write(
        out / "model_index.json",
        json.dumps({"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.31.0"}),
    )
    write(out / "unet" / "config.json", json.dumps({"_class_name": "UNet2DConditionModel"}))
    safetensors(out / "unet" / "diffusion_pytorch_model.safetensors", {"conv_in.weight": ((8, 4), "F16")})
    write(out / "scheduler" / "scheduler_config.json", json.dumps({"_class_name": "PNDMScheduler"}))
    for i in range(3):
        write(ws / "samples" / f"sample_{i}.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    write(
        ws / "train_dreambooth.py",
        "pipe = StableDiffusionPipeline.from_pretrained(base)\npipe.save_pretrained('sd-out')\n",
    )
    return """
model: {path: sd-out, framework: diffusers}
code: [{path: train_dreambooth.py}]
"""


@workspace("plain-pickle-script")
def plain_pickle_script(ws: Path) -> str:
    """issue 20: ``pickle.dump(model, open(...))`` with the open() inline, in a script."""
    csv(ws / "data" / "train.csv")
    (ws / "models").mkdir()
    with open(ws / "models" / "model.pkl", "wb") as fh:
        pickle.dump(clf("rf"), fh)
    write(
        ws / "train.py",
        "import pickle\nimport pandas as pd\nfrom sklearn.ensemble import RandomForestClassifier\n\n"
        "df = pd.read_csv('data/train.csv')\nmodel = RandomForestClassifier().fit(df, df.label)\n"
        "pickle.dump(model, open('models/model.pkl', 'wb'))\n",
    )
    return """
model: {path: models/model.pkl, framework: scikit-learn}
datasets: [{path: data/train.csv}]
code: [{path: train.py}]
"""


@workspace("plain-pickle-notebook")
def plain_pickle_notebook(ws: Path) -> str:
    """issue 20: ``with open(...) as f: pickle.dump(m, f)`` in a notebook."""
    csv(ws / "data" / "train.csv")
    (ws / "out").mkdir()
    with open(ws / "out" / "clf.pkl", "wb") as fh:
        pickle.dump(clf(), fh)
    notebook(
        ws / "train.ipynb",
        "md:# Train",
        "import pickle\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression",
        "df = pd.read_csv('data/train.csv')\nm = LogisticRegression().fit(df, df.label)",
        "with open('out/clf.pkl', 'wb') as f:\n    pickle.dump(m, f)",
    )
    return """
model: {path: out/clf.pkl, framework: scikit-learn}
datasets: [{path: data/train.csv}]
code: [{path: train.ipynb}]
"""
