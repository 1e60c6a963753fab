"""The walk: noise left out by name and by content, .kitignore honoured, symlinks never followed, limits."""

from __future__ import annotations

import os

from kitlab.modelkit.kitignore import KitIgnore
from kitlab.scan.types import ScanLimits
from kitlab.scan.walk import walk


def make(root, *paths):
    for rel in paths:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x")


def test_noise_is_excluded_by_name_and_by_content(tmp_path):
    make(
        tmp_path,
        "train.py",
        ".git/HEAD",
        "nb/.ipynb_checkpoints/a-checkpoint.ipynb",
        "pkg/__pycache__/a.pyc",
        "env/pyvenv.cfg",
        "env/lib/python3.11/site-packages/x.py",
        "conda/conda-meta/history",
        "node_modules/x/index.js",
        "runs/exp1/events.out.tfevents.123.host",
        ".DS_Store",
        "wandb/run-1/log",
    )
    result = walk(tmp_path, ScanLimits())
    # Run-tracker folders are walked: a run's model lives there (issue 15); kitlab.scan.runs keeps the
    # logs out after the draft.
    assert [f.rel for f in result.files] == ["train.py", "wandb/run-1/log"]
    reasons = {e["path"]: e["reason"] for e in result.excluded}
    assert reasons["env"] == "virtual environment (pyvenv.cfg)"
    assert reasons["conda"] == "virtual environment (conda-meta)"
    assert reasons["runs/exp1"] == "run logs (TensorBoard event files)"
    assert reasons["nb/.ipynb_checkpoints"] == "notebook autosave checkpoints"
    assert {".git", "pkg/__pycache__", "node_modules", ".DS_Store"} <= set(reasons)


def test_noise_is_walked_when_the_user_asks(tmp_path):
    make(tmp_path, "env/pyvenv.cfg", "a/__pycache__/b.pyc")
    result = walk(tmp_path, ScanLimits(include_noise=True))
    assert sorted(f.rel for f in result.files) == ["a/__pycache__/b.pyc", "env/pyvenv.cfg"]


def test_kitignore_is_honoured_like_kit(tmp_path):
    make(
        tmp_path,
        "keep.py",
        "scratch/a.csv",
        "data/raw/big.csv",
        "data/raw/keep.md",
        "notes.md",
        "x/y/notes.md",
        "Kitfile",
    )
    (tmp_path / ".kitignore").write_text("scratch\n**/*.md\n!data/raw/keep.md\ndata/raw/*.csv\n")
    result = walk(tmp_path, ScanLimits(), KitIgnore.from_context(tmp_path))
    assert sorted(f.rel for f in result.files) == ["data/raw/keep.md", "keep.py"]
    assert result.ignored_by_kitignore >= 5


def test_symlinks_are_never_followed(tmp_path):
    outside = tmp_path / "outside"
    make(outside, "secret.txt", "deep/file.txt")
    work = tmp_path / "work"
    make(work, "a.py")
    os.symlink(outside, work / "link_dir")
    os.symlink(outside / "secret.txt", work / "link_file")
    os.symlink(work / "a.py", work / "inner_link")
    result = walk(work, ScanLimits())
    assert [f.rel for f in result.files] == ["a.py"]
    links = {s["path"]: s["outside"] for s in result.symlinks}
    assert links == {"link_dir": True, "link_file": True, "inner_link": False}


def test_file_limit_stops_early_and_says_so(tmp_path):
    make(tmp_path, *(f"d{i}/f{j}.txt" for i in range(5) for j in range(20)))
    result = walk(tmp_path, ScanLimits(max_files=30))
    assert result.stopped_early
    assert "max_files" in result.stop_reason
    assert len(result.files) < 30


def test_time_limit_stops_early(tmp_path):
    make(tmp_path, *(f"d{i}/f{j}.txt" for i in range(3) for j in range(600)))
    result = walk(tmp_path, ScanLimits(max_seconds=0.0))
    assert result.stopped_early
    assert "max_seconds" in result.stop_reason
