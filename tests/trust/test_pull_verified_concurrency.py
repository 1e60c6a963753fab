"""A verified pull moves its blobs with the concurrency asked for (issue 16): ``pull --verify`` and the
server's signature-checked pulls pass ``--concurrency`` / ``transfer_concurrency`` down to the pull."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from kitlab.modelkit.registry import Remote
from kitlab.modelkit.store import LocalStore
from kitlab.progress import ProgressEvent
from kitlab.trust import load_public_key
from kitlab.trust.pull import pull_verified
from tests.support.cli import kitlab
from tests.support.registry import RunningRegistry
from tests.trust._helpers import PASSWORD

LAYERS = 4


def _workers(ref: str, pub: Path, store: LocalStore, concurrency: int) -> tuple[set[str], set[str]]:
    """The transfer threads a verified pull used, and the blobs they finished."""
    threads: set[str] = set()
    finished: set[str] = set()
    lock = threading.Lock()

    def record(event: ProgressEvent) -> None:
        name = threading.current_thread().name
        if name.startswith("kitlab-xfer"):
            with lock:
                threads.add(name)
                if event.done == event.total:
                    finished.add(event.item)

    pull_verified(
        ref,
        load_public_key(pub),
        store=store,
        remote=Remote(plain_http=True),
        progress=record,
        concurrency=concurrency,
    )
    return threads, finished


def test_a_verified_pull_uses_the_concurrency_asked_for(
    plain_registry: RunningRegistry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COSIGN_PASSWORD", PASSWORD)
    assert kitlab(capsys, "keygen")[0] == 0
    keys = Path(os.environ["KITOPS_HOME"]) / "kitlab" / "keys"
    project = tmp_path / "project"
    project.mkdir()
    kitfile = (
        "manifestVersion: 1.0.0\npackage:\n  name: many\nmodel:\n  name: m\n  path: model.bin\ndatasets:\n"
    )
    (project / "model.bin").write_bytes(os.urandom(1 << 20))
    for i in range(1, LAYERS):
        (project / f"d{i}").mkdir()
        (project / f"d{i}" / "part.bin").write_bytes(os.urandom(1 << 20))
        kitfile += f"  - name: d{i}\n    path: d{i}\n"
    (project / "Kitfile").write_text(kitfile)
    ref = f"{plain_registry.host}/trust/concurrency:v1"
    code, _, err = kitlab(capsys, "pack", str(project), "-t", ref, "--push", "--plain-http")
    assert code == 0, err
    code, _, err = kitlab(capsys, "sign", ref, "--key", str(keys / "cosign.key"), "--plain-http")
    assert code == 0, err

    threads, finished = _workers(ref, keys / "cosign.pub", LocalStore(tmp_path / "one"), 1)
    assert len(threads) == 1  # the default (5) would start a thread per blob here
    assert len(finished) == LAYERS + 1  # and the config

    threads, finished = _workers(ref, keys / "cosign.pub", LocalStore(tmp_path / "many"), LAYERS + 1)
    assert len(threads) > 1
    assert len(finished) == LAYERS + 1
