"""The pickle gate's corpus, generated once per test session (nothing binary is committed)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import corpus

from kitlab.scan.pickles import PickleReport, scan_pickle_file


@pytest.fixture(scope="session")
def corpus_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pickle-corpus")


@pytest.fixture(scope="session")
def malicious(corpus_root: Path) -> list[corpus.Sample]:
    return corpus.malicious(corpus_root)


@pytest.fixture(scope="session")
def benign(corpus_root: Path) -> list[corpus.Sample]:
    return corpus.benign(corpus_root)


@pytest.fixture(scope="session")
def reports(malicious: list[corpus.Sample], benign: list[corpus.Sample]) -> dict[str, PickleReport]:
    return {str(s.path): scan_pickle_file(s.path) for s in malicious + benign}
