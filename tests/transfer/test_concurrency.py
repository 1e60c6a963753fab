"""Layers moved in parallel (issue 16): a 6-layer kit pushed and pulled several blobs at a time against a
real registry, one progress bar per blob known from the start, and a cancel mid-way that leaves the store
as it was."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from kitlab.errors import Cancelled
from kitlab.modelkit.pack import pack
from kitlab.modelkit.pull import pull
from kitlab.modelkit.push import push
from kitlab.modelkit.store import LocalStore
from kitlab.modelkit.unpack import unpack
from kitlab.progress import CancelToken, ProgressEvent
from tests.support.registry import RunningRegistry
from tests.support.workspace import tree
from tests.transfer._helpers import MiB, remote_kw, temp_files

LAYERS = 6
KITFILE = (
    "manifestVersion: 1.0.0\npackage:\n  name: six\nmodel:\n  name: m\n  path: model.bin\ndatasets:\n"
    + "".join(f"  - name: d{i}\n    path: d{i}\n" for i in range(1, LAYERS))
)
WAIT = 60  # a guard only: a correct run never waits this long


def _six_layer_kit(tmp_path: Path, ref: str) -> LocalStore:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Kitfile").write_text(KITFILE)
    (ctx / "model.bin").write_bytes(os.urandom(3 * MiB))
    for i in range(1, LAYERS):
        (ctx / f"d{i}").mkdir()
        (ctx / f"d{i}" / "part.bin").write_bytes(os.urandom(3 * MiB))
    store = LocalStore(tmp_path / "home")
    pack(ctx, tags=[ref], store=store)
    return store


def _pushed_six_layer_kit(tmp_path: Path, reg: RunningRegistry, ref: str) -> None:
    push(ref, store=_six_layer_kit(tmp_path, ref), **remote_kw(reg))


class _Recorder:
    """Progress from the transfer threads. ``hold`` makes each blob's first event wait until ``hold``
    blobs have started, which only happens when that many really move at once."""

    def __init__(self, stage: str, hold: int = 0) -> None:
        self.stage = stage
        self.hold = hold
        self.events: list[tuple[str, ProgressEvent]] = []
        self.started: set[str] = set()
        self.finished: set[str] = set()
        self.most_in_flight = 0
        self.waited_out = False
        self._cond = threading.Condition()

    def __call__(self, event: ProgressEvent) -> None:
        assert event.stage == self.stage
        thread = threading.current_thread().name
        with self._cond:
            self.events.append((thread, event))
            if not thread.startswith("kitlab-xfer"):
                return  # the bars announced up front by the calling thread
            if event.item not in self.started:
                self.started.add(event.item)
                self.most_in_flight = max(self.most_in_flight, len(self.started - self.finished))
                self._cond.notify_all()
                enough = self._cond.wait_for(lambda: len(self.started) >= self.hold, timeout=WAIT)
                self.waited_out = self.waited_out or not enough
            if event.done == event.total:
                self.finished.add(event.item)

    def announced(self) -> dict[str, int]:
        """The bars the job announced before any blob moved: item -> total."""
        first: dict[str, int] = {}
        for thread, event in self.events:
            if thread.startswith("kitlab-xfer"):
                break
            assert event.done == 0
            first[event.item] = event.total
        return first


def _blobs_verify(store: LocalStore) -> None:
    folder = store.home / "storage" / "blobs" / "sha256"
    for path in folder.iterdir():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name


def test_six_layer_kit_pushes_and_pulls_several_blobs_at_once(
    plain_registry: RunningRegistry, tmp_path: Path
) -> None:
    reg = plain_registry
    ref = f"{reg.host}/concurrency/six:v1"
    store = _six_layer_kit(tmp_path, ref)
    manifest = store.get_manifest(store.resolve(ref))
    sizes = {d.digest: d.size for d in [manifest.config, *manifest.layers]}
    assert len(manifest.layers) == LAYERS

    pushed = _Recorder("upload", hold=3)
    push(ref, store=store, progress=pushed, concurrency=3, **remote_kw(reg))
    assert not pushed.waited_out
    assert pushed.most_in_flight == 3
    assert pushed.announced() == sizes  # one bar per blob, and the whole job's total, from the start
    assert pushed.finished == set(sizes)

    fresh = LocalStore(tmp_path / "fresh")
    pulled = _Recorder("download", hold=2)
    result = pull(ref, store=fresh, progress=pulled, concurrency=5, **remote_kw(reg))
    assert not pulled.waited_out
    assert 2 <= pulled.most_in_flight <= 5
    assert pulled.announced() == sizes
    assert pulled.finished == set(sizes)
    assert result.downloaded_bytes == sum(sizes.values())
    _blobs_verify(fresh)
    assert temp_files(fresh.home) == []
    unpack(ref, tmp_path / "a", store=store)
    unpack(ref, tmp_path / "b", store=fresh)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_one_at_a_time_never_overlaps(plain_registry: RunningRegistry, tmp_path: Path) -> None:
    reg = plain_registry
    ref = f"{reg.host}/concurrency/serial:v1"
    _pushed_six_layer_kit(tmp_path, reg, ref)
    pulled = _Recorder("download")
    pull(ref, store=LocalStore(tmp_path / "fresh"), progress=pulled, concurrency=1, **remote_kw(reg))
    assert pulled.most_in_flight == 1
    assert len(pulled.finished) == LAYERS + 1  # and the config


def test_cancel_during_a_parallel_pull_leaves_the_store_consistent(
    plain_registry: RunningRegistry, tmp_path: Path
) -> None:
    reg = plain_registry
    ref = f"{reg.host}/concurrency/cancel:v1"
    _pushed_six_layer_kit(tmp_path, reg, ref)
    fresh = LocalStore(tmp_path / "fresh")
    token = CancelToken()
    seen = _Recorder("download", hold=2)

    def cancel_when_two_move(event: ProgressEvent) -> None:
        seen(event)
        if len(seen.started) >= 2:
            token.cancel()

    with pytest.raises(Cancelled):
        pull(ref, store=fresh, progress=cancel_when_two_move, cancel=token, concurrency=5, **remote_kw(reg))
    assert not seen.waited_out
    assert fresh.repositories() == []  # no kit listed: its blobs were not all there
    assert temp_files(fresh.home) == []
    _blobs_verify(fresh)  # whatever blob made it into the store is whole
    # The next pull completes the kit from where the store is.
    pull(ref, store=fresh, concurrency=5, **remote_kw(reg))
    unpack(ref, tmp_path / "out", store=fresh)
    assert (tmp_path / "out" / "model.bin").stat().st_size == 3 * MiB
