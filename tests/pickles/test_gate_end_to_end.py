"""End to end (issue 13): a real registry serves a kit whose model pickle is malicious. Packing and pushing
it warns before it leaves; the unpack job (``notebook: true``) reports it, and the notebook it writes runs
top to bottom in a real kernel without running the payload, and says why."""

from __future__ import annotations

import shlex
from pathlib import Path

import corpus
import nbformat
import pytest
from nbclient import NotebookClient

from tests.support.jobs import run_job
from tests.support.registry import run_registry

KITFILE = """\
manifestVersion: 1.0.0
package:
  name: churn
  description: A churn model from a stranger
model:
  name: churn
  path: models/churn.joblib
  framework: scikit-learn
datasets:
  - name: train
    path: data/train.csv
"""


@pytest.fixture
def home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Kernels write connection files under HOME: keep them in a temp folder."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (("HOME", ""), ("JUPYTER_RUNTIME_DIR", "rt"), ("IPYTHONDIR", "ipy")):
        monkeypatch.setenv(var, str(home / sub))
    return home


async def test_a_malicious_kit_from_a_registry_never_runs_its_payload(jp_fetch, jp_root_dir, tmp_path, home):
    marker = tmp_path / "marker"
    marker.mkdir()
    project = jp_root_dir / "project"
    (project / "models").mkdir(parents=True)
    (project / "data").mkdir()
    (project / "Kitfile").write_text(KITFILE)
    (project / "data" / "train.csv").write_text("tenure,charges\n1,20.5\n5,70.1\n")
    payload = corpus.C(corpus.G("os", "system"), (f"touch {shlex.quote(str(marker / 'hit'))}",))
    (project / "models" / "churn.joblib").write_bytes(corpus.assemble(payload, 4))

    with run_registry("none", tmp_path / "registry") as registry:
        ref = f"{registry.host}/stranger/churn:v1"
        params = {"path": "project", "reference": ref, "plainHttp": True}
        pushed = await run_job(jp_fetch, "pack-push", params, timeout=60)
        assert pushed["state"] == "succeeded", pushed.get("error")
        # pack & push warned before the pickle left the machine
        (finding,) = pushed["result"]["safety"]
        assert finding["verdict"] == "dangerous"
        assert "os.system" in finding["globals"]
        assert any("dangerous pickle" in w for w in pushed["result"]["warnings"])
        # pack & push streams to the registry without keeping the kit: the unpack job pulls it.
        params = {"reference": ref, "path": "pulled", "notebook": True, "plainHttp": True}
        done = await run_job(jp_fetch, "unpack", params, timeout=60)
    assert done["state"] == "succeeded", done.get("error")
    (finding,) = done["result"]["safety"]
    assert finding == {"path": "pulled/models/churn.joblib", "verdict": "dangerous", "globals": ["os.system"]}

    notebook_path = jp_root_dir / done["result"]["notebook"]
    nb = nbformat.read(notebook_path, as_version=4)
    header = nb.cells[0].source
    assert "## Pickle safety" in header
    assert "**dangerous**" in header
    assert "`os.system`" in header
    (model,) = [c.source for c in nb.cells if c.get("metadata", {}).get("kitlab", {}).get("role") == "model"]
    assert "DANGER" in model
    assert "os.system" in model
    assert "\n# model = joblib.load('models/churn.joblib')" in model
    assert not any(line.startswith("model = ") for line in model.splitlines())

    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(notebook_path.parent)}}
    )
    await client.async_execute()  # raises CellExecutionError if any cell fails
    assert not (marker / "hit").exists()
    assert not any(marker.iterdir())
    data_cell = next(c for c in nb.cells if c.get("metadata", {}).get("kitlab", {}).get("role") == "dataset")
    assert data_cell["outputs"], "the dataset cell ran"
