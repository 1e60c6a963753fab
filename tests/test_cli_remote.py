"""The kitlab CLI against a real registry: login, push, pack --push, pull into a notebook."""

import json
import os
import pickle

import joblib
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from tests.support.cli import kitlab
from tests.support.registry import run_registry


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    df = pd.DataFrame(
        {"tenure": [1, 40, 3, 60], "charges": [20.0, 99.0, 35.0, 80.0], "churned": [1, 0, 1, 0]}
    )
    df.to_csv(root / "data" / "train.csv", index=False)
    model = LogisticRegression().fit(df[["tenure", "charges"]], df["churned"])
    joblib.dump(model, root / "models" / "churn.joblib")
    (root / "Kitfile").write_text(
        "manifestVersion: 1.0.0\npackage:\n  name: churn\n"
        "model:\n  name: churn\n  path: models/churn.joblib\n  framework: scikit-learn\n"
        "datasets:\n  - name: train\n    path: data/train.csv\n"
    )
    return root


def test_push_then_pull_into_a_fresh_store_with_a_notebook(capsys, project, tmp_path, kit, monkeypatch):
    with run_registry("none", tmp_path / "reg") as registry:
        ref = f"{registry.host}/team/churn:v1"
        assert kitlab(capsys, "pack", str(project), "-t", ref)[0] == 0
        code, out, _ = kitlab(capsys, "push", ref, "--plain-http")
        assert code == 0, out
        code, out, _ = kitlab(
            capsys, "list", f"{registry.host}/team/churn", "--plain-http", "--format", "json"
        )
        assert [row["tags"] for row in json.loads(out)] == [["v1"]]

        fresh = tmp_path / "fresh-home"
        monkeypatch.setenv("KITOPS_HOME", str(fresh))
        dest = tmp_path / "pulled"
        code, out, err = kitlab(capsys, "pull", ref, "--plain-http", "-d", str(dest), "--notebook")
        assert code == 0, err
        assert (dest / "models" / "churn.joblib").read_bytes() == (
            project / "models" / "churn.joblib"
        ).read_bytes()
        notebook = json.loads((dest / "churn.ipynb").read_text())
        source = "".join("".join(c["source"]) for c in notebook["cells"])
        assert "joblib.load" in source
        assert notebook["metadata"]["kitlab"]["reference"] == ref
        assert ref in source.replace("<wbr>", "")  # the header marks where a long reference may wrap
        # What kitlab pulled, kit lists from the same (fresh) store.
        assert json.loads(kit.run("list", "--format", "json").stdout)[0]["tags"] == ["v1"]


def test_pack_push_streams_without_a_local_copy(capsys, project, tmp_path, kitops_home):
    with run_registry("none", tmp_path / "reg") as registry:
        ref = f"{registry.host}/team/churn:v2"
        code, out, err = kitlab(capsys, "pack", str(project), "-t", ref, "--push", "--plain-http")
        assert code == 0, err
        assert out.startswith(f"Pushed {ref}")
        assert not (kitops_home / "storage" / "blobs").exists()
        assert kitlab(capsys, "pull", ref, "--plain-http")[0] == 0


def test_login_verifies_before_saving(capsys, tmp_path, kitops_home, monkeypatch):
    with run_registry("htpasswd", tmp_path / "reg") as registry:
        login = ("login", registry.host, "-u", registry.username, "--password-stdin", "--plain-http")
        code, _, err = kitlab(capsys, *login, stdin="wrong\n", monkeypatch=monkeypatch)
        assert code == 1
        assert "wrong" not in err.replace("wrong username", "")
        assert not (kitops_home / "credentials.json").exists()
        code, _out, _ = kitlab(capsys, *login, stdin=registry.password + "\n", monkeypatch=monkeypatch)
        assert code == 0
        saved = json.loads((kitops_home / "credentials.json").read_text())
        assert registry.host in saved["auths"]
        assert kitlab(capsys, "logout", registry.host)[0] == 0
        assert registry.host not in json.loads((kitops_home / "credentials.json").read_text()).get(
            "auths", {}
        )


def test_scan_pickle_flags_a_dangerous_file(capsys, tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(Evil()))
    code, out, _ = kitlab(capsys, "scan-pickle", str(tmp_path / "evil.pkl"))
    assert code == 2
    assert "os.system" in out or "posix.system" in out
