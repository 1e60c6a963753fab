"""Create the demo workspace: a churn dataset (generated, not downloaded) and a notebook that trains a
scikit-learn model on it and saves it with joblib. The notebook is executed once so the model exists.

Usage: python scripts/demo_workspace.py DEST   (does nothing if DEST already holds the workspace)
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

README = """# Customer churn

A small scikit-learn project used to try kitlab: `train.ipynb` reads `data/churn.csv`, fits a scaler and a
logistic regression, and saves both under `models/`. Open the **ModelKit** panel on the left to package it.
"""

CELLS = [
    (
        "markdown",
        "# Churn model\n\nPredict which customers will leave, from tenure, charges and support calls.",
    ),
    (
        "code",
        "import joblib\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
        "from sklearn.preprocessing import StandardScaler",
    ),
    (
        "code",
        "df = pd.read_csv('data/churn.csv')\n"
        "features = ['tenure_months', 'monthly_charges', 'support_calls']\n"
        "df.head()",
    ),
    (
        "code",
        "scaler = StandardScaler().fit(df[features])\n"
        "model = LogisticRegression().fit(scaler.transform(df[features]), df['churned'])\n"
        "print(f'training accuracy: {model.score(scaler.transform(df[features]), df[\"churned\"]):.3f}')",
    ),
    ("code", "joblib.dump(scaler, 'models/scaler.joblib')\njoblib.dump(model, 'models/churn.joblib')"),
]


def write_dataset(path: Path, rows: int = 500) -> None:
    rng = random.Random(42)  # fixed seed: the demo is the same on every machine
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["customer_id", "tenure_months", "monthly_charges", "support_calls", "churned"])
        for i in range(rows):
            tenure = rng.randint(1, 72)
            charges = round(rng.uniform(20, 120), 2)
            calls = rng.randint(0, 9)
            risk = 0.04 * calls + 0.004 * charges - 0.02 * tenure + rng.gauss(0, 0.2)
            writer.writerow([f"C{i:05d}", tenure, charges, calls, int(risk > 0)])


def create(dest: Path) -> None:
    notebook_path = dest / "train.ipynb"
    if notebook_path.exists():
        return
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "README.md").write_text(README)
    write_dataset(dest / "data" / "churn.csv")
    (dest / "models").mkdir(exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
        for kind, src in CELLS
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(dest)}}).execute()
    nbformat.write(nb, notebook_path)


if __name__ == "__main__":
    # `--help` is not a folder to create (it once made one named so).
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    create(Path(sys.argv[1]))
