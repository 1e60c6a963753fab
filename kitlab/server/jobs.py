"""Durable background jobs: pack, push, pull and unpack run here, never on the server's event loop.

A job is a resource (as in jupyter-scheduler): created by POST, read by GET, cancelled by DELETE. The
``JobManager`` runs at most ``max_concurrent`` jobs on worker threads and queues the rest in order. Each
job kind is a plain callable ``run(params, reporter) -> result``; the reporter carries progress and the
cancel token, so this module knows nothing about ModelKits and the library knows nothing about jobs.

State lives in one JSON file per job under the Jupyter data directory, rewritten atomically on every
state change (not on every progress tick), so a reloaded page sees every job and a restarted server
marks jobs that were running as ``interrupted``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kitlab.atomicfile import write_atomically
from kitlab.errors import Cancelled, Conflict, InvalidInput, KitlabError, NotFound
from kitlab.progress import CancelToken, ProgressEvent

QUEUED, RUNNING, CANCELLING = "queued", "running", "cancelling"
SUCCEEDED, FAILED, CANCELLED, INTERRUPTED = "succeeded", "failed", "cancelled", "interrupted"
ACTIVE_STATES = frozenset({QUEUED, RUNNING, CANCELLING})

# Progress events reach the browser at most this often per job (the final state is always sent).
EMIT_INTERVAL_S = 0.25
LOG_LIMIT = 200


@dataclass
class ItemProgress:
    """Bytes done for one item of a job (a layer, a blob)."""

    item: str
    index: int
    count: int
    stage: str
    done: int
    total: int


@dataclass
class Job:
    id: str
    kind: str
    params: dict[str, Any]
    state: str = QUEUED
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    stage: str = ""
    items: list[ItemProgress] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    def bytes_done_total(self) -> tuple[int, int]:
        return sum(i.done for i in self.items), sum(i.total for i in self.items)

    def to_dict(self) -> dict[str, Any]:
        """The REST shape, with throughput and ETA derived from the byte counters."""
        done, total = self.bytes_done_total()
        elapsed = (self.finished_at or time.time()) - self.started_at if self.started_at else 0.0
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 and self.state == RUNNING else None
        return {
            "id": self.id,
            "kind": self.kind,
            "params": self.params,
            "state": self.state,
            "createdAt": self.created_at,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "stage": self.stage,
            "progress": {"done": done, "total": total, "bytesPerSecond": rate, "etaSeconds": eta},
            "items": [asdict(i) for i in self.items],
            "log": self.log,
            "result": self.result,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Job:
        return cls(
            id=d["id"],
            kind=d["kind"],
            params=d["params"],
            state=d["state"],
            created_at=d["createdAt"],
            started_at=d.get("startedAt"),
            finished_at=d.get("finishedAt"),
            stage=d.get("stage", ""),
            items=[ItemProgress(**i) for i in d.get("items", [])],
            log=d.get("log", []),
            result=d.get("result"),
            error=d.get("error"),
        )


class Reporter:
    """Handed to a running job: progress in, cancellation out."""

    def __init__(self, job: Job, cancel: CancelToken, changed: Callable[[Job, bool], None]) -> None:
        self._job = job
        self.cancel = cancel
        self._changed = changed

    def stage(self, name: str) -> None:
        self._job.stage = name
        self._changed(self._job, False)

    def log(self, line: str) -> None:
        self._job.log = [*self._job.log, line][-LOG_LIMIT:]
        self._changed(self._job, False)

    def progress(self, event: ProgressEvent) -> None:
        """A ``ProgressFn``: keeps one entry per (stage, item), so a layer hashed then uploaded shows both."""
        items = self._job.items
        for i, existing in enumerate(items):
            if existing.item == event.item and existing.stage == event.stage:
                items[i] = ItemProgress(**asdict(event))
                break
        else:
            items.append(ItemProgress(**asdict(event)))
        self._job.stage = event.stage
        self._changed(self._job, False)


JobRunner = Callable[[dict[str, Any], Reporter], dict[str, Any]]


def _lower_thread_priority(niceness: int) -> None:
    """Make the calling thread ``niceness`` steps nicer. On Linux the nice value belongs to the thread,
    not the process, and threads it starts inherit it: a pack's read-ahead and hashing helpers yield
    the CPU to the server's event loop (and, on the same machine, to the browser), never the reverse.
    Elsewhere it would renice the whole server, so it is skipped."""
    if niceness > 0 and sys.platform == "linux":
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + niceness))


class JobManager:
    """Runs jobs on threads, persists them, and tells ``on_change`` (throttled) whenever one moves."""

    def __init__(
        self,
        directory: Path,
        runners: dict[str, JobRunner],
        *,
        max_concurrent: int = 2,
        niceness: int = 0,
        on_change: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True)
        self._runners = runners
        self._on_change = on_change
        self._lock = threading.Lock()
        # Separate from _lock: state files are written by the worker and by cancel() concurrently.
        self._persist_lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._tokens: dict[str, CancelToken] = {}
        self._last_emit: dict[str, float] = {}
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, max_concurrent),
            thread_name_prefix="kitlab-job",
            initializer=_lower_thread_priority,
            initargs=(niceness,),
        )
        self._load()

    # ------------------------------------------------------------------------------------ public API
    def create(self, kind: str, params: dict[str, Any]) -> Job:
        if kind not in self._runners:
            raise InvalidInput(f"unknown job kind {kind!r}; expected one of {sorted(self._runners)}")
        job = Job(id=uuid.uuid4().hex[:12], kind=kind, params=params)
        token = CancelToken()
        with self._lock:
            self._jobs[job.id] = job
            self._tokens[job.id] = token
        self._persist(job)
        self._notify(job, force=True)
        self._pool.submit(self._run, job, token)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id!r}")
        return job

    def list(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created_at, reverse=True)

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        with self._lock:
            token = self._tokens.get(job_id)
            if job.state not in ACTIVE_STATES or token is None:
                raise Conflict(f"job {job_id} has already ended ({job.state})")
            token.cancel()
            if job.state == QUEUED:
                # Never started: nothing to roll back, so it is cancelled at once.
                self._finish(job, CANCELLED)
            else:
                job.state = CANCELLING
        self._persist(job)
        self._notify(job, force=True)
        return job

    def shutdown(self) -> None:
        """Cancel everything and wait for the workers (server stop)."""
        with self._lock:
            tokens = list(self._tokens.values())
        for token in tokens:
            token.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------------------------------ internals
    def _run(self, job: Job, token: CancelToken) -> None:
        with self._lock:
            if token.cancelled:
                return
            job.state = RUNNING
            job.started_at = time.time()
        self._persist(job)
        self._notify(job, force=True)
        reporter = Reporter(job, token, lambda j, force: self._notify(j, force=force))
        try:
            result = self._runners[job.kind](job.params, reporter)
            token.check()  # a cancel that landed after the last chunk still wins
        except Cancelled:
            self._end(job, CANCELLED)
        except KitlabError as exc:
            self._end(job, FAILED, error={"code": exc.code, "message": exc.message, "details": exc.details})
        except Exception as exc:  # the job fails, the server does not; the type is enough to report
            self._end(job, FAILED, error={"code": "internal", "message": f"{type(exc).__name__}: {exc}"})
        else:
            self._end(job, SUCCEEDED, result=result)

    def _end(
        self,
        job: Job,
        state: str,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        with self._lock:
            job.result = result
            job.error = error
            self._finish(job, state)
        self._persist(job)
        self._notify(job, force=True)

    def _finish(self, job: Job, state: str) -> None:
        job.state = state
        job.finished_at = time.time()
        self._tokens.pop(job.id, None)

    def _notify(self, job: Job, *, force: bool) -> None:
        if self._on_change is None:
            return
        now = time.monotonic()
        if not force and now - self._last_emit.get(job.id, 0.0) < EMIT_INTERVAL_S:
            return
        self._last_emit[job.id] = now
        self._on_change(job.to_dict())

    def _persist(self, job: Job) -> None:
        path = self._dir / f"{job.id}.json"
        with self._persist_lock:
            # Not fsynced: a record lost in a power cut only loses a finished job's history line.
            write_atomically(path, json.dumps(job.to_dict()), durable=False)

    def _load(self) -> None:
        for path in self._dir.glob("*.json"):
            try:
                job = Job.from_dict(json.loads(path.read_text()))
            except (ValueError, KeyError, TypeError):
                continue  # a file from an older version or a torn write: not ours to interpret
            if job.state in ACTIVE_STATES:
                job.state = INTERRUPTED
                job.finished_at = job.finished_at or time.time()
                job.error = {"code": "interrupted", "message": "the server stopped while this job ran"}
                self._persist(job)
            self._jobs[job.id] = job
