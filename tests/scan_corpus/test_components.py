"""The pieces behind the corpus figures, each on its own: run-log carving, loop globs, bounded archive
reads, and the walk's treatment of log folders and unpacked kits."""

from __future__ import annotations

import ast
import io
import tarfile
from pathlib import Path

from kitlab.scan.notebooks import IOEvent
from kitlab.scan.pathexpr import const_pattern
from kitlab.scan.resolve import resolve_all
from kitlab.scan.runs import carve
from kitlab.scan.sniff import sniff_file
from kitlab.scan.sniff.tarballs import MAX_MEMBERS
from kitlab.scan.types import ScanLimits
from kitlab.scan.walk import DirListing, walk


def test_carve_leaves_out_everything_but_the_way_down_to_the_kept_model() -> None:
    dirs = {
        "mlruns": DirListing(files=[], subdirs=["0", "models"]),
        "mlruns/0": DirListing(files=["meta.yaml"], subdirs=["a", "b"]),
        "mlruns/0/a": DirListing(files=["meta.yaml"], subdirs=["artifacts", "metrics"]),
        "mlruns/0/a/artifacts": DirListing(files=["plot.png"], subdirs=["model"]),
        "mlruns/0/a/artifacts/model": DirListing(files=["MLmodel", "model.pkl"]),
        "mlruns/0/a/metrics": DirListing(files=["acc"]),
        "mlruns/0/b": DirListing(files=["meta.yaml"]),
        "mlruns/models": DirListing(),
    }
    assert carve(dirs, "mlruns", ["mlruns/0/a/artifacts/model"]) == [
        "mlruns/0/a/artifacts/plot.png",
        "mlruns/0/a/meta.yaml",
        "mlruns/0/a/metrics",
        "mlruns/0/b",
        "mlruns/0/meta.yaml",
        "mlruns/models",
    ]
    assert carve(dirs, "mlruns", []) == ["mlruns"]


def _arg(code: str) -> ast.AST:
    call = ast.parse(code).body[0].value  # type: ignore[attr-defined]
    return call.args[1]


def test_loop_paths_become_globs_only_when_a_file_name_is_left() -> None:
    assert const_pattern(_arg("joblib.dump(m, f'models/fold_{k}.joblib')"), {}) == "models/fold_*.joblib"
    assert const_pattern(_arg("torch.save(m, f'ckpt/epoch_{e:02d}.pt')"), {}) == "ckpt/epoch_*.pt"
    assert const_pattern(_arg("joblib.dump(m, OUT + f'/m_{k}.pkl')"), {"OUT": "out"}) == "out/m_*.pkl"
    assert const_pattern(_arg("joblib.dump(m, f'{name}')"), {}) is None  # nothing constant
    assert const_pattern(_arg("joblib.dump(m, f'{run}/model.pkl')"), {}) is None  # folder unknown
    assert const_pattern(_arg("joblib.dump(m, 'models/a.pkl')"), {}) is None  # constant: no glob


def test_a_glob_resolves_to_the_files_of_its_own_folder_only() -> None:
    event = IOEvent(
        "write", "joblib.dump", "models/fold_*.joblib", "src/train.py", None, 4, "…", pattern=True
    )
    files = {"models/fold_0.joblib", "models/fold_1.joblib", "models/other.joblib", "old/fold_9.joblib"}
    listings = {
        "models": ["fold_0.joblib", "fold_1.joblib", "other.joblib"],
        "old": ["fold_9.joblib"],
        "src": ["train.py"],
    }
    found = resolve_all(event, files, listings, "/ws")
    assert [(r.rel, r.exists, r.event.glob) for r in found] == [
        ("models/fold_0.joblib", True, "models/fold_*.joblib"),
        ("models/fold_1.joblib", True, "models/fold_*.joblib"),
    ]


def test_tar_archives_are_read_boundedly(tmp_path: Path) -> None:
    def tar_with(path: Path, names: list[str]) -> None:
        with tarfile.open(path, "w:gz") as tar:
            for name in names:
                data = b"tree\nversion=v4\n" if name.endswith("model.txt") else b"x"
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))

    near = tmp_path / "near.tar.gz"
    tar_with(near, [f"notes/{i}.md" for i in range(10)] + ["model.txt"])
    found = sniff_file(str(near), near.stat().st_size)
    assert found is not None
    assert (found.role, found.framework) == ("model", "LightGBM")
    far = tmp_path / "far.tar.gz"
    tar_with(far, [f"notes/{i}.md" for i in range(MAX_MEMBERS + 5)] + ["model.txt"])
    found = sniff_file(str(far), far.stat().st_size)
    assert found is None or found.role != "model"  # past the member bound: not read


def test_walk_keeps_log_folders_with_subfolders_and_leaves_unpacked_kits_out(tmp_path: Path) -> None:
    for rel in (
        "lightning_logs/version_0/events.out.tfevents.1.host",
        "lightning_logs/version_0/hparams.yaml",
        "lightning_logs/version_0/checkpoints/last.ckpt",
        "tb/events.out.tfevents.2.host",
        "pulled/kit/Kitfile",
        "pulled/kit/model.joblib",
        "train.py",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    result = walk(tmp_path, ScanLimits())
    assert sorted(f.rel for f in result.files) == [
        "lightning_logs/version_0/checkpoints/last.ckpt",
        "lightning_logs/version_0/hparams.yaml",
        "train.py",
    ]
    reasons = {e["path"]: e["reason"] for e in result.excluded}
    assert reasons["lightning_logs/version_0/events.out.tfevents.1.host"].startswith("run logs (TensorBoard")
    assert reasons["tb"].startswith("run logs (TensorBoard")
    assert reasons["pulled/kit"].startswith("an unpacked ModelKit")


def test_run_params_that_hold_or_name_a_credential_never_reach_the_draft(tmp_path: Path) -> None:
    from sklearn.dummy import DummyClassifier

    from kitlab.scan.types import ScanLimits as Limits
    from kitlab.scan.workspace import scan_workspace
    from tests.scan_corpus import formats

    model = DummyClassifier().fit([[0], [1]], [0, 1])
    token = "hf_" + "Zq9" * 12
    formats.mlflow_run(
        tmp_path / "ws" / "mlruns",
        "0",
        "abcdabcdabcdabcdabcdabcdabcdabcd",
        model,
        {"lr": "0.1", "hub_token": "not-shown", "note": f"pushed with {token}"},
        {"acc": 0.5},
    )
    report = scan_workspace(tmp_path / "ws", tmp_path, limits=Limits(pinned_requirements=False)).to_dict()
    model_entry = report["kitfile"]["model"]
    assert model_entry["parameters"]["run"]["params"] == {"lr": "0.1"}
    text = str(report["kitfile"]) + str(report["entries"])
    assert token not in text
    assert "not-shown" not in text


def test_a_tracker_with_hundreds_of_runs_costs_no_file_reads_for_its_logs(tmp_path: Path) -> None:
    from sklearn.dummy import DummyClassifier

    from kitlab.scan.types import ScanLimits as Limits
    from kitlab.scan.workspace import scan_workspace
    from tests.scan_corpus import formats

    model = DummyClassifier().fit([[0], [1]], [0, 1])
    for i in range(300):
        formats.mlflow_run(
            tmp_path / "ws" / "mlruns",
            str(i % 3),
            f"{i:032x}",
            model if i % 2 == 0 else None,
            {"a": str(i)},
            {"acc": i / 300},
            end_time=1764000000000 + i * 1000,
        )
    report = scan_workspace(tmp_path / "ws", tmp_path, limits=Limits(pinned_requirements=False))
    # The newest run with a model (run 298) is chosen; its params/metrics/tags files and those of the
    # 299 other runs are logs: none is opened to be recognised (MLmodel folders are read by name).
    assert report.kitfile["model"]["path"] == f"mlruns/1/{298:032x}/artifacts/model"
    assert report.stats["sniffed"] == 0
    assert not report.stopped_early


def test_the_wandb_latest_run_link_is_part_of_the_logs_not_a_warning(tmp_path: Path) -> None:
    from kitlab.scan.types import ScanLimits as Limits
    from kitlab.scan.workspace import scan_workspace
    from tests.scan_corpus import formats

    run = formats.wandb_run(tmp_path / "ws" / "wandb", "abc123", {})
    assert (tmp_path / "ws" / "wandb" / "latest-run").resolve() == run.resolve()
    (tmp_path / "ws" / "elsewhere").symlink_to(run)
    report = scan_workspace(tmp_path / "ws", tmp_path, limits=Limits(pinned_requirements=False))
    links = [w for w in report.warnings if w.startswith("symlink")]
    assert links == ["symlink elsewhere is not packed by kit (symlinks are skipped)"]
