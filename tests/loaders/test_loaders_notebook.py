"""Notebooks built from unpacked-kit folders: valid nbformat v4, the right loader per framework, pickles
gated by the safety scan — and the scikit-learn + CSV notebook really runs in a kernel."""

from __future__ import annotations

import html
import json
import pickle
import re
import textwrap
from pathlib import Path

import joblib
import loaderfiles as lf
import nbformat
import numpy as np
import pandas as pd
import pytest
from nbclient import NotebookClient
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from kitlab.errors import InvalidInput, NotFound
from kitlab.loaders.artifacts import describe
from kitlab.loaders.notebook import build_notebook, write_notebook
from kitlab.loaders.pickle_safety import scan_tree


def make_kit(root: Path, kitfile: str, files: dict[str, bytes | str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    lf.write_kitfile(root, textwrap.dedent(kitfile))
    return root


def cells(nb: nbformat.NotebookNode, role: str) -> list[str]:
    return [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("kitlab", {}).get("role") == role
    ]


def build(kit: Path) -> nbformat.NotebookNode:
    nb = build_notebook(
        kit, reference="registry.local/acme/demo:v1", digest="sha256:" + "ab" * 32, safety=scan_tree(kit)
    )
    nbformat.validate(nb)
    return nb


def execute(nb: nbformat.NotebookNode, kit: Path) -> nbformat.NotebookNode:
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(kit)}}
    )
    client.execute()
    return nb


def visible(markdown: str) -> str:
    """Markdown's text as the notebook shows it: no markup, escapes or break opportunities (<wbr>)."""
    text = re.sub(r"</?code>|<wbr>|`|\*\*", "", markdown)
    return html.unescape(re.sub(r"\\(.)", r"\1", text))


def outputs_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def training_frame(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"age": rng.normal(40, 10, n), "income": rng.normal(50, 15, n)})
    frame["bought"] = (frame.income > 50).astype(int)
    return frame


SKLEARN_KITFILE = """\
manifestVersion: "1.0"
package:
  name: churn-demo
  version: 1.2.0
  description: Predicts who buys.
  authors: [Ada Lovelace, Grace Hopper]
  license: Apache-2.0
model:
  name: buyer-classifier
  path: model/model.joblib
  framework: scikit-learn
  format: joblib
  description: A random forest.
datasets:
  - name: train
    path: data/train.csv
    description: Training rows with the label column "bought".
    license: CC-BY-4.0
code:
  - path: src
docs:
  - path: README.md
    description: How the model was trained
"""


@pytest.fixture
def sklearn_kit(tmp_path: Path) -> Path:
    frame = training_frame()
    kit = make_kit(
        tmp_path / "kit",
        SKLEARN_KITFILE,
        {
            "data/train.csv": frame.to_csv(index=False),
            "src/requirements.txt": "scikit-learn\npandas\n",
            "README.md": "# Churn\n",
        },
    )
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(frame[["age", "income"]], frame.bought)
    (kit / "model").mkdir()
    joblib.dump(model, kit / "model" / "model.joblib")
    return kit


def test_sklearn_csv_notebook_content(sklearn_kit: Path):
    nb = build(sklearn_kit)
    header = visible(nb.cells[0].source)
    for expected in (
        "# churn-demo 1.2.0",
        "ModelKit: registry.local/acme/demo:v1",
        "Digest: sha256:" + "ab" * 32,
        "Predicts who buys.",
        "Authors: Ada Lovelace, Grace Hopper",
        "License: Apache-2.0",
        "Model: buyer-classifier — scikit-learn, joblib",
        "model/model.joblib — joblib of sklearn.ensemble._forest.RandomForestClassifier",
        "train: data/train.csv — Training rows",
        "(license: CC-BY-4.0)",
        "model/model.joblib (joblib): safe",
    ):
        assert expected in header, expected
    (model,) = cells(nb, "model")
    assert "model = joblib.load('model/model.joblib')" in model
    assert "safe" in model
    (dataset,) = cells(nb, "dataset")
    assert "df_train = pd.read_csv('data/train.csv')" in dataset
    (requirements,) = cells(nb, "requirements")
    assert "# %pip install -r src/requirements.txt" in requirements
    assert all(line.startswith("#") for line in requirements.splitlines())
    (try_it,) = cells(nb, "try-it")
    assert "model.feature_names_in_" in try_it
    assert "[README.md](README.md)" in nb.cells[-1].source
    assert not any("/" + str(sklearn_kit) in c.source for c in nb.cells), "paths must be relative"


def test_header_reads_at_any_width(sklearn_kit: Path):
    """The header's facts are lists, not tables (whose columns overflow a narrow main area), and its long
    words (reference, digest, paths) can break at least every 17 characters, so it wraps in a notebook of
    any width. The Galata pull spec measures the rendered cell at a narrow width."""
    reference = "registry.example.com:5000/a_team/a-rather-long-repository-name*v2:release-candidate-1"
    digest = "sha256:" + "0123456789abcdef" * 4
    nb = build_notebook(sklearn_kit, reference=reference, digest=digest, safety=scan_tree(sklearn_kit))
    source = nb.cells[0].source
    assert [line for line in source.splitlines() if line.lstrip().startswith("|")] == []
    text = visible(source)
    assert f"ModelKit: {reference}" in text
    assert f"Digest: {digest}" in text
    spans = re.findall(r"<code>(.*?)</code>|`([^`]*)`", source)
    assert len(spans) >= 5
    for span in ("".join(groups) for groups in spans):
        assert max(len(visible(piece)) for piece in span.split("<wbr>")) <= 17, span
    # Prose too: the model's class name may break after its dots.
    assert "sklearn.<wbr>ensemble.<wbr>_forest.<wbr>RandomForestClassifier" in source
    words = visible(source.replace("<wbr>", " ")).split()
    assert max(len(word) for word in words) <= 24, max(words, key=len)
    # A reference's markup characters stay literal: the escaped '*' and '_' start no emphasis.
    assert "a\\_team" in source
    assert "name\\*v2" in source


def test_a_description_that_repeats_the_detection_is_shown_once(tmp_path: Path):
    """A Kitfile kitlab drafted describes each entry by what the scan found (and more); the notebook
    shows that description in place of its own detection, not the same words twice."""
    kit = make_kit(
        tmp_path / "kit", "package: {name: d}\n", {"rows.csv": training_frame().to_csv(index=False)}
    )
    summary = describe(kit.resolve(), "dataset", "rows", "rows.csv", {}).summary
    assert summary
    dataset = f"{{name: rows, path: rows.csv, description: '{summary} (drafted)'}}"
    lf.write_kitfile(kit, f"package: {{name: d}}\ndatasets: [{dataset}]\n")
    heading = next(c.source for c in build(kit).cells if c.source.startswith("## Dataset: rows"))
    assert visible(heading).count(summary) == 1, heading
    assert f"rows.csv — {summary} (drafted)" in visible(heading)


def test_sklearn_csv_notebook_executes_and_predicts(sklearn_kit: Path):
    path = write_notebook(sklearn_kit, reference="registry.local/acme/demo:v1", digest="sha256:" + "ab" * 32)
    nb = execute(nbformat.read(path, as_version=4), sklearn_kit)
    try_it = next(c for c in nb.cells if c.metadata.get("kitlab", {}).get("role") == "try-it")
    printed = outputs_text(try_it)
    assert printed.startswith("[")
    assert len(printed.strip("[]\n").split()) == 5  # one prediction per row
    assert set(printed.strip("[]\n").split()) <= {"0", "1"}


def test_scaler_part_is_loaded_and_chained_into_try_it(tmp_path: Path):
    frame = training_frame()
    kit = make_kit(
        tmp_path / "kit",
        """\
        manifestVersion: "1.0"
        package: {name: scaled}
        model:
          name: clf
          path: clf.joblib
          parts:
            - name: scaler
              path: scaler.joblib
              type: scaler
        datasets:
          - name: rows
            path: rows.csv
        """,
        {"rows.csv": frame.to_csv(index=False)},
    )
    scaler = StandardScaler().fit(frame[["age", "income"]])
    # Trained on the scaler's numpy output: the estimator has no feature names, the scaler does.
    model = LogisticRegression().fit(scaler.transform(frame[["age", "income"]]), frame.bought)
    joblib.dump(scaler, kit / "scaler.joblib")
    joblib.dump(model, kit / "clf.joblib")
    nb = build(kit)
    (part,) = cells(nb, "part")
    assert "scaler = joblib.load('scaler.joblib')" in part
    (try_it,) = cells(nb, "try-it")
    assert "features = list(scaler.feature_names_in_)" in try_it
    assert "model.predict(scaler.transform(rows[features]))" in try_it
    executed = execute(nb, kit)
    cell = next(c for c in executed.cells if c.metadata.get("kitlab", {}).get("role") == "try-it")
    assert len(outputs_text(cell).strip("[]\n").split()) == 5


def test_no_try_it_without_feature_names(tmp_path: Path):
    frame = training_frame()
    kit = make_kit(
        tmp_path / "kit",
        """\
        package: {name: plain}
        model: {name: clf, path: clf.joblib}
        datasets: [{name: rows, path: rows.csv}]
        """,
        {"rows.csv": frame.to_csv(index=False)},
    )
    joblib.dump(
        LogisticRegression().fit(frame[["age", "income"]].to_numpy(), frame.bought), kit / "clf.joblib"
    )
    assert cells(build(kit), "try-it") == []


def test_dangerous_pickle_is_commented_out_and_names_globals(tmp_path: Path):
    kit = make_kit(
        tmp_path / "kit",
        """\
        package: {name: evil}
        model: {name: trojan, path: model.joblib, framework: scikit-learn}
        datasets: [{name: rows, path: rows.csv}]
        """,
        {"rows.csv": training_frame().to_csv(index=False)},
    )
    joblib.dump(lf.SystemCall(), kit / "model.joblib")
    nb = build(kit)
    (model,) = cells(nb, "model")
    assert "DANGER" in model
    assert "system" in model
    assert all(line.startswith("#") for line in model.splitlines()), model
    assert "# model = joblib.load('model.joblib')" in model
    assert cells(nb, "try-it") == []
    assert "**dangerous**" in nb.cells[0].source
    # Running the notebook must not run the payload: the cell is only comments.
    compile(model, "cell", "exec")


def test_global_names_cannot_inject_code_into_comments(tmp_path: Path):
    evil_name = "x\nimport os; os.system('echo injected')\n"
    data = (
        lf.proto(4)
        + lf.ustr("posix")
        + lf.ustr("system")
        + lf.STACK_GLOBAL
        + lf.ustr("mod\r")
        + lf.ustr(evil_name)
    )
    data += lf.STACK_GLOBAL + lf.TUPLE2 + lf.STOP
    kit = make_kit(tmp_path / "kit", "package: {name: inj}\nmodel: {name: m, path: m.pkl}\n", {"m.pkl": data})
    (model,) = cells(build(kit), "model")
    assert all(line.startswith("#") for line in model.splitlines()), model


def test_unknown_pickle_gets_its_loader_commented_out(tmp_path: Path):
    # Issue 13: "unknown" is not "safe": the loader is disabled, the global named, the way out given.
    data = lf.proto(2) + lf.glob("mylib.models", "Custom") + lf.EMPTY_TUPLE + lf.NEWOBJ + lf.STOP
    kit = make_kit(tmp_path / "kit", "package: {name: odd}\nmodel: {name: m, path: m.pkl}\n", {"m.pkl": data})
    (model,) = cells(build(kit), "model")
    assert "UNKNOWN" in model
    assert "mylib.models.Custom" in model
    assert "\n# model = joblib.load('m.pkl')" in model
    assert "\nmodel = joblib.load" not in model
    assert "kitlab scan-pickle" in model


def test_pytorch_checkpoint_loads_with_weights_only(tmp_path: Path):
    kit = make_kit(
        tmp_path / "kit", "package: {name: t}\nmodel: {name: net, path: weights.pt, framework: PyTorch}\n"
    )
    lf.write_torch_zip(kit / "weights.pt", lf.torch_state_dict_pickle())
    (model,) = cells(build(kit), "model")
    assert "torch.load('weights.pt', map_location='cpu', weights_only=True)" in model


def test_safetensors_gguf_onnx_by_content(tmp_path: Path):
    for name, writer, expected in (
        ("m.safetensors", lf.write_safetensors, ["from safetensors.torch import load_file", "safe_open("]),
        ("m.gguf", lf.write_gguf, ["from llama_cpp import Llama", "Llama(model_path='m.gguf'"]),
        (
            "m.onnx",
            lambda p: p.write_bytes(lf.onnx_bytes()),
            ["ort.InferenceSession('m.onnx', providers=['CPUExecutionProvider'])"],
        ),
    ):
        kit = make_kit(tmp_path / name, f"package: {{name: x}}\nmodel: {{name: m, path: {name}}}\n")
        writer(kit / name)
        (model,) = cells(build(kit), "model")
        for snippet in expected:
            assert snippet in model, (name, model)


def test_huggingface_folders(tmp_path: Path):
    config = {"architectures": ["BertForSequenceClassification"], "model_type": "bert"}
    hf = {
        "model/config.json": json.dumps(config),
        "model/tokenizer.json": "{}",
        "model/model.safetensors": b"",
    }
    lf_safetensors = lf.write_safetensors
    kit = make_kit(
        tmp_path / "tr", "package: {name: b}\nmodel: {name: bert, path: model, framework: transformers}\n", hf
    )
    lf_safetensors(kit / "model" / "model.safetensors")
    (model,) = cells(build(kit), "model")
    assert "AutoModelForSequenceClassification.from_pretrained('model', local_files_only=True)" in model
    assert "AutoTokenizer.from_pretrained('model', local_files_only=True)" in model

    st = dict(hf, **{"model/modules.json": "[]"})
    kit = make_kit(tmp_path / "st", "package: {name: s}\nmodel: {name: emb, path: model}\n", st)
    lf_safetensors(kit / "model" / "model.safetensors")
    (model,) = cells(build(kit), "model")
    assert "SentenceTransformer('model', local_files_only=True)" in model

    diff = {"pipe/model_index.json": json.dumps({"_class_name": "StableDiffusionPipeline"})}
    kit = make_kit(tmp_path / "df", "package: {name: d}\nmodel: {name: sd, path: pipe}\n", diff)
    (model,) = cells(build(kit), "model")
    assert "DiffusionPipeline.from_pretrained('pipe', local_files_only=True)" in model


def test_huggingface_folder_with_malicious_pickled_weights_is_disabled(tmp_path: Path):
    config = {"architectures": ["GPT2LMHeadModel", "GPT2ForCausalLM"], "model_type": "gpt2"}
    kit = make_kit(
        tmp_path / "kit",
        "package: {name: g}\nmodel: {name: gpt, path: model}\n",
        {"model/config.json": json.dumps(config)},
    )
    lf.write_torch_zip(kit / "model" / "pytorch_model.bin", lf.torch_state_dict_pickle(lf.system_call()))
    for safety in (scan_tree(kit), []):  # given a scan, or scanning the folder itself
        (model,) = cells(build_notebook(kit, reference="r", digest="d", safety=safety), "model")
        assert "AutoModelForCausalLM" in model
        assert "DANGER" in model
        assert all(line.startswith("#") for line in model.splitlines())


@pytest.mark.parametrize(
    ("framework", "path", "content", "snippet"),
    [
        ("xgboost", "model.json", "{}", "xgb.Booster()\nmodel.load_model('model.json')"),
        ("LightGBM", "model.txt", "placeholder", "lgb.Booster(model_file='model.txt')"),
        ("CatBoost", "model.cbm", b"CBM1\x00\x00", "model.load_model('model.cbm')"),
        ("keras", "model.keras", b"placeholder", "keras.models.load_model('model.keras', safe_mode=True)"),
        ("tensorflow", "saved", None, "tf.saved_model.load('saved')"),
        ("tflite", "model.tflite", b"\x1c\x00\x00\x00TFL3", "tf.lite.Interpreter(model_path='model.tflite')"),
        ("spacy", "pipeline", None, "spacy.load('pipeline')"),
        ("mlflow", "mlmodel", None, "mlflow.pyfunc.load_model('mlmodel')"),
        ("gguf", "m.bin", b"placeholder", "Llama(model_path='m.bin'"),
    ],
)
def test_kitfile_framework_chooses_the_loader(
    tmp_path: Path, framework: str, path: str, content: object, snippet: str
):
    files: dict[str, bytes | str] = {}
    if content is not None:
        files[path] = content  # type: ignore[assignment]
    elif framework == "tensorflow":
        files[f"{path}/saved_model.pb"] = b"\x08\x01"
    elif framework == "spacy":
        files[f"{path}/meta.json"] = json.dumps({"lang": "en", "pipeline": ["ner"]})
        files[f"{path}/config.cfg"] = "[nlp]\n"
    else:
        files[f"{path}/MLmodel"] = "flavors:\n  python_function: {}\n"
    kit = make_kit(
        tmp_path / "kit",
        f"package: {{name: k}}\nmodel: {{name: m, path: {path}, framework: {framework}}}\n",
        files,
    )
    (model,) = cells(build(kit), "model")
    assert snippet in model


def test_datasets_by_format(tmp_path: Path):
    frame = training_frame(5)
    kit = make_kit(
        tmp_path / "kit",
        """\
        package: {name: data}
        datasets:
          - {name: a, path: d/a.tsv}
          - {name: b, path: d/b.parquet}
          - {name: c, path: d/c.feather}
          - {name: d, path: d/d.jsonl}
          - {name: e, path: d/e.npy}
          - {name: f, path: d/f.npz}
          - {name: g, path: shards}
          - {name: h, path: s3only, remotePath: "s3://bucket/x"}
        """,
        {
            "d/a.tsv": frame.to_csv(sep="\t", index=False),
            "d/d.jsonl": frame.to_json(orient="records", lines=True),
        },
    )
    frame.to_parquet(kit / "d/b.parquet")
    frame.to_feather(kit / "d/c.feather")
    np.save(kit / "d/e.npy", np.arange(3))
    np.savez(kit / "d/f.npz", x=np.arange(3))
    (kit / "shards").mkdir()
    for i in range(2):
        frame.to_parquet(kit / "shards" / f"part-{i}.parquet")
    nb = build(kit)
    sources = "\n".join(cells(nb, "dataset"))
    for snippet in (
        "df_a = pd.read_csv('d/a.tsv', sep='\\t')",
        "df_b = pd.read_parquet('d/b.parquet')",
        "df_c = pd.read_feather('d/c.feather')",
        "df_d = pd.read_json('d/d.jsonl', lines=True)",
        "e = np.load('d/e.npy')",
        "f = np.load('d/f.npz')",
        "df_g = pd.read_parquet('shards')",
    ):
        assert snippet in sources, snippet
    executed = execute(nb, kit)
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert "s3://bucket/x" in nb.cells[0].source


def test_model_folder_without_framework_loads_each_recognisable_file(tmp_path: Path):
    frame = training_frame()
    kit = make_kit(
        tmp_path / "kit",
        """\
        package: {name: folder}
        model:
          name: bundle
          path: bundle
          parts: [{name: scaler, path: bundle/scaler.joblib}]
        """,
    )
    (kit / "bundle").mkdir()
    joblib.dump(StandardScaler().fit(frame[["age", "income"]]), kit / "bundle" / "scaler.joblib")
    joblib.dump(
        LogisticRegression().fit(frame[["age", "income"]], frame.bought), kit / "bundle" / "model.joblib"
    )
    nb = build(kit)
    assert "model = joblib.load('bundle/model.joblib')" in "\n".join(cells(nb, "model"))
    (part,) = cells(nb, "part")  # listed in the Kitfile: loaded once, not again from the folder
    assert "scaler = joblib.load('bundle/scaler.joblib')" in part


def test_write_notebook_never_overwrites(sklearn_kit: Path):
    first = write_notebook(sklearn_kit)
    first.write_text("precious", encoding="utf-8")
    second = write_notebook(sklearn_kit)
    third = write_notebook(sklearn_kit, name="mine.ipynb")
    assert first.name == "churn-demo.ipynb"
    assert second.name == "churn-demo-1.ipynb"
    assert third.name == "mine.ipynb"
    assert first.read_text(encoding="utf-8") == "precious"
    nbformat.validate(nbformat.read(second, as_version=4))
    with pytest.raises(InvalidInput):
        write_notebook(sklearn_kit, name="../escape.ipynb")


def test_unscanned_pickles_are_scanned_before_a_loader_is_written(tmp_path: Path):
    kit = make_kit(tmp_path / "kit", "package: {name: u}\nmodel: {name: m, path: m.pkl}\n")
    (kit / "m.pkl").write_bytes(pickle.dumps(lf.EvalCall(), protocol=4))
    nb = build_notebook(kit, reference="r", digest="d", safety=[])  # the caller passed no scan
    (model,) = cells(nb, "model")
    assert all(line.startswith("#") for line in model.splitlines())
    assert "builtins.eval" in nb.cells[0].source


def test_code_layer_with_pyproject(tmp_path: Path):
    kit = make_kit(
        tmp_path / "kit",
        "package: {name: c}\ncode: [{path: pkg}, {path: requirements-dev.txt}]\n",
        {
            "pkg/pyproject.toml": "[project]\nname='x'\n",
            "pkg/requirements.txt": "numpy\n",
            "requirements-dev.txt": "pytest\n",
        },
    )
    (requirements,) = cells(build(kit), "requirements")
    for line in (
        "# %pip install -r pkg/requirements.txt",
        "# %pip install ./pkg",
        "# %pip install -r requirements-dev.txt",
    ):
        assert line in requirements


def test_paths_outside_the_kit_are_not_loaded(tmp_path: Path):
    outside = tmp_path / "secret.pkl"
    outside.write_bytes(pickle.dumps([1], protocol=2))
    kit = make_kit(tmp_path / "kit", "package: {name: o}\nmodel: {name: m, path: ../secret.pkl}\n")
    nb = build(kit)
    assert cells(nb, "model") == []
    assert "outside the kit folder" in nb.cells[0].source


def test_missing_kitfile_is_not_found(tmp_path: Path):
    with pytest.raises(NotFound):
        build_notebook(tmp_path, reference="", digest="", safety=[])
