"""The corpus is built and scanned once per test session; HOME points at a temp dir so no draft picks up
the developer's git identity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.scan_corpus.scorer import build_corpus, scan_drafts


@pytest.fixture(scope="session")
def corpus_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scan-corpus")


@pytest.fixture(scope="session")
def corpus(corpus_root: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    return build_corpus(corpus_root / "workspaces")


@pytest.fixture(scope="session")
def drafts(
    corpus: dict[str, tuple[Path, dict[str, Any]]], corpus_root: Path
) -> dict[str, tuple[dict[str, Any], str]]:
    with pytest.MonkeyPatch.context() as mp:
        home = corpus_root / "home"
        home.mkdir()
        mp.setenv("HOME", str(home))
        mp.delenv("GIT_CONFIG_GLOBAL", raising=False)
        return scan_drafts(corpus, corpus_root)
