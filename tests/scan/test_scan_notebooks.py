"""Reading notebooks and scripts for what they write and read (nbformat-written notebooks, ast)."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from kitlab.scan.notebooks import read_notebook, read_script, strip_magics


def notebook(path, *cells, kernel="python3", authors=None):
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    if authors:
        nb.metadata["authors"] = [{"name": a} for a in authors]
    nb.cells = [new_markdown_cell(c[3:]) if c.startswith("md:") else new_code_cell(c) for c in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def test_magics_and_shell_lines_are_blanked_keeping_line_numbers():
    src = "%matplotlib inline\n!pip install x\nfiles = !ls\nmodel?\nx = 1"
    assert strip_magics(src) == "pass\npass\nfiles = None\npass\nx = 1"
    assert strip_magics("%%bash\nrm -rf /") == ""
    assert strip_magics("%%time\njoblib.dump(m, 'a')") == "\njoblib.dump(m, 'a')"


def test_writes_and_reads_with_constant_paths(tmp_path):
    path = notebook(
        tmp_path / "nb" / "train.ipynb",
        "md:# Churn model\n\nPredicts churn from usage.\n\n## Details",
        "%matplotlib inline\n!pip install lightgbm\nimport os\nimport pandas as pd\n"
        "import joblib, pickle, json\n"
        "from pathlib import Path\nimport numpy as np\nDATA = 'data'\nOUT = Path('..') / 'models'\n"
        "df = pd.read_csv(f'{DATA}/churn.csv')\nfeats = pd.read_parquet(os.path.join(DATA, 'feats.parquet'))",
        "joblib.dump(model, OUT / 'churn.joblib')\nwith open('../models/labels.pkl', 'wb') as fh:\n"
        "    pickle.dump(label_map, fh)\nnp.save('emb.npy', emb)\nmodel.save_pretrained('hf_out')\n"
        "preds.to_csv(str(OUT) + '/preds.csv', index=False)\nremote = pd.read_csv('https://example.org/x.csv')",
        "for epoch in range(3):\n    torch.save(net.state_dict(), f'ckpt_{epoch}.pt')",
        kernel="churn-env",
        authors=["Ada Lovelace"],
    )
    info = read_notebook(path, "nb/train.ipynb")
    assert (info.title, info.summary) == ("Churn model", "Predicts churn from usage.")
    assert (info.kernel, info.authors) == ("churn-env", ["Ada Lovelace"])
    assert {"os", "pandas", "joblib", "pickle", "json", "pathlib", "numpy"} <= info.imports
    got = [(e.op, e.func, e.raw, e.cell, e.obj) for e in info.events]
    # Cells count as the notebook numbers its code cells ([1], [2] …): the markdown title is no cell.
    assert got == [
        ("read", "pd.read_csv", "data/churn.csv", 1, ""),
        ("read", "pd.read_parquet", "data/feats.parquet", 1, ""),
        ("write", "joblib.dump", "../models/churn.joblib", 2, "model"),
        ("write", "pickle.dump", "../models/labels.pkl", 2, "label_map"),
        ("write", "np.save", "emb.npy", 2, "emb"),
        ("write", "model.save_pretrained", "hf_out", 2, "model"),
        ("write", "preds.to_csv", "../models/preds.csv", 2, "preds"),
        ("read", "pd.read_csv", "https://example.org/x.csv", 2, ""),
        # A loop's f-string path is a glob of the files it writes (issue 15: per-epoch files, folds).
        ("write", "torch.save", "ckpt_*.pt", 3, ""),
    ]
    assert [e.pattern for e in info.events] == [False] * 8 + [True]
    labels = info.events[3]
    assert labels.snippet == "open('../models/labels.pkl', 'wb') … pickle.dump(label_map, fh)"
    assert labels.where() == "nb/train.ipynb cell 2"
    assert info.unresolved == []


def test_pickle_dump_into_an_inline_open_is_a_model_write(tmp_path):
    """issue 20: pickle.dump(model, open(path, 'wb')) in a script names the path like the with-form."""
    script = tmp_path / "train.py"
    script.write_text(
        "import pickle\nmodel = fit()\npickle.dump(model, open('models/model.pkl', 'wb'))\n"
        "with open('models/scaler.pkl', 'wb') as f:\n    pickle.dump(scaler, f)\n"
    )
    info = read_script(script, "train.py")
    got = [(e.op, e.func, e.raw, e.what, e.obj, e.line) for e in info.events]
    assert got == [
        ("write", "pickle.dump", "models/model.pkl", "model", "model", 3),
        ("write", "pickle.dump", "models/scaler.pkl", "model", "scaler", 4),
    ]
    assert info.events[0].snippet == "pickle.dump(model, open('models/model.pkl', 'wb'))"
    assert info.unresolved == []
    assert info.unresolved_model_writes == 0


def test_syntax_errors_do_not_stop_the_other_cells(tmp_path):
    path = notebook(tmp_path / "a.ipynb", "def broken(:", "import pandas as pd\npd.read_csv('x.csv')")
    info = read_notebook(path, "a.ipynb")
    assert info.syntax_errors == 1
    assert [e.raw for e in info.events] == ["x.csv"]


def test_hub_loads_and_builtin_dataset_loaders(tmp_path):
    script = tmp_path / "s.py"
    script.write_text(
        "from datasets import load_dataset\nfrom transformers import AutoModel\n"
        "a = load_dataset('csv', data_files={'train': 'data/train.csv', 'test': 'data/test.csv'})\n"
        "b = load_dataset('imdb')\nm = AutoModel.from_pretrained('bert-base-uncased')\n"
        "open('out.txt', 'w').write('x')\nPath('notes.md').write_text('y')\n"
    )
    info = read_script(script, "s.py")
    got = [(e.op, e.raw, e.hub, e.cell, e.line) for e in info.events]
    assert got == [
        ("read", "data/train.csv", False, None, 3),
        ("read", "data/test.csv", False, None, 3),
        ("read", "imdb", True, None, 4),
        ("read", "bert-base-uncased", True, None, 5),
        ("write", "out.txt", False, None, 6),
        ("write", "notes.md", False, None, 7),
    ]
