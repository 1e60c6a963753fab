"""The draft's author: the nearest repository's ``[user]`` inside the root, else what real ``git config``
answers (the user's global identity)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kitlab.scan.metadata import git_author


@pytest.fixture
def global_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "gitconfig"
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    return config


def test_the_global_identity_through_git_config(tmp_path: Path, global_identity: Path) -> None:
    folder = tmp_path / "root" / "project"
    folder.mkdir(parents=True)
    global_identity.write_text("[user]\n\tname = Ada Lovelace\n\temail = ada@example.org\n")
    assert git_author(folder, tmp_path / "root") == "Ada Lovelace <ada@example.org>"
    global_identity.write_text("[user]\n\tname = Ada Lovelace\n")
    assert git_author(folder, tmp_path / "root") == "Ada Lovelace"
    global_identity.write_text("")
    assert git_author(folder, tmp_path / "root") == ""


def test_the_repository_identity_comes_first(tmp_path: Path, global_identity: Path) -> None:
    root = tmp_path / "root"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text("[user]\n\tname = Grace Hopper\n\temail = grace@example.org\n")
    (root / "project").mkdir()
    global_identity.write_text("[user]\n\tname = Ada Lovelace\n")
    assert git_author(root / "project", root) == "Grace Hopper <grace@example.org>"
