"""Durable background jobs: pack, push, pull and unpack run here, never on the server's event loop.

A job is a resource (as in jupyter-scheduler): created by POST, read by GET, cancelled by POST
``/cancel`` (or DELETE while it runs), forgotten by DELETE once it has ended. Its parameters are
checked before it is queued (a ``JobValidator``), so a job that would fail on its input never starts.
The ``JobManager`` runs at most ``max_concurrent`` jobs on worker threads and queues the rest in
order. Each job kind is a plain callable ``run(params, reporter) -> result``; the reporter carries
progress and the cancel token, so this module knows nothing about ModelKits and the library knows
nothing about jobs.

State lives in one JSON file per job under the Jupyter data directory, rewritten atomically on every
state change (not on every progress tick), so a reloaded page sees every job and a restarted server
marks jobs that were running as ``interrupted``. History is bounded (``max_history`` finished jobs,
none older than ``max_age`` seconds), and so is each record (log lines, log length), so listing the
jobs stays small whatever was asked of the server (docs/hardening.md).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kitlab.apijson import to_api
from kitlab.atomicfile import write_atomically
from kitlab.errors import Cancelled, Conflict, InvalidInput, KitlabError, NotFound
from kitlab.progress import CancelToken, ProgressEvent

log = logging.getLogger(__name__)

QUEUED, RUNNING, CANCELLING = "queued", "running", "cancelling"
SUCCEEDED, FAILED, CANCELLED, INTERRUPTED = "succeeded", "failed", "cancelled", "interrupted"
ACTIVE_STATES = frozenset({QUEUED, RUNNING, CANCELLING})

# Progress events reach the browser at most this often per job (the final state is always sent).
EMIT_INTERVAL_S = 0.25
LOG_LIMIT = 200
LOG_LINE_CHARS = 1000
# A job's result (warnings, layers, findings) above this size keeps the first RESULT_LIST_ITEMS of each
# list and says so (``truncated``): a result is part of every listing of the jobs.
MAX_RESULT_BYTES = 256 << 10
RESULT_LIST_ITEMS = 100
# Jobs queued or running at once; beyond, a new job is refused (409) rather than queued without end.
MAX_ACTIVE_JOBS = 100
# A record bigger than this was written before records were bounded: it is dropped, not read.
MAX_RECORD_BYTES = 1 << 20


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

    def view(self) -> JobView:
        """The REST shape, with throughput and ETA derived from the byte counters."""
        done, total = self.bytes_done_total()
        elapsed = (self.finished_at or time.time()) - self.started_at if self.started_at else 0.0
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 and self.state == RUNNING else None
        return JobView(
            id=self.id,
            kind=self.kind,
            params=self.params,
            state=self.state,
            created_at=self.created_at,
            started_at=self.started_at,
            finished_at=self.finished_at,
            stage=self.stage,
            progress=JobProgress(done, total, rate, eta),
            items=list(self.items),
            log=self.log,
            result=self.result,
            error=self.error,
        )

    def to_dict(self) -> dict[str, Any]:
        """The job as the API shows it and as its state file holds it."""
        data: dict[str, Any] = to_api(self.view())
        return data

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


@dataclass
class JobProgress:
    done: int
    total: int
    bytes_per_second: float
    eta_seconds: float | None


@dataclass
class JobView:
    """A job as GET /kitlab/jobs/{id} answers (the ``Job`` schema of ``openapi.yaml``)."""

    id: str
    kind: str
    params: dict[str, Any]
    state: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    stage: str
    progress: JobProgress
    items: list[ItemProgress]
    log: list[str]
    result: dict[str, Any] | None
    error: dict[str, Any] | None


def bounded_result(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """``result``, or a shortened copy marked ``truncated: true`` when its JSON exceeds
    ``MAX_RESULT_BYTES`` (lists cut to ``RESULT_LIST_ITEMS``; if still too large, scalars only)."""
    if result is None or len(json.dumps(result, default=str)) <= MAX_RESULT_BYTES:
        return result
    out = {k: v[:RESULT_LIST_ITEMS] if isinstance(v, list) else v for k, v in result.items()}
    out["truncated"] = True
    if len(json.dumps(out, default=str)) > MAX_RESULT_BYTES:
        out = {k: v for k, v in out.items() if not isinstance(v, (list, dict))}
    return out


class Reporter:
    """Handed to a running job: progress in, cancellation out."""

    def __init__(self, job: Job, cancel: CancelToken, changed: Callable[[Job, bool], None]) -> None:
        self._job = job
        self.cancel = cancel
        self._changed = changed
        # Where each (stage, item) sits in job.items: a kit of thousands of layers reports each one
        # many times, and a scan of the list per report made that quadratic. Progress may come from
        # several transfer threads at once.
        self._positions: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def stage(self, name: str) -> None:
        self._job.stage = name
        self._changed(self._job, False)

    def log(self, line: str) -> None:
        if len(line) > LOG_LINE_CHARS:
            line = line[:LOG_LINE_CHARS] + "…"
        self._job.log = [*self._job.log, line][-LOG_LIMIT:]
        self._changed(self._job, False)

    def progress(self, event: ProgressEvent) -> None:
        """A ``ProgressFn``: keeps one entry per (stage, item), so a layer hashed then uploaded shows both."""
        entry = ItemProgress(**asdict(event))
        with self._lock:
            items = self._job.items
            position = self._positions.get((event.stage, event.item))
            if position is None:
                self._positions[(event.stage, event.item)] = len(items)
                items.append(entry)
            else:
                items[position] = entry
            self._job.stage = event.stage
        self._changed(self._job, False)


JobRunner = Callable[[dict[str, Any], Reporter], dict[str, Any]]
# Checks a job's kind and params before it is queued (raising ``KitlabError``), with no side effect.
JobValidator = Callable[[str, dict[str, Any]], None]


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
        validate: JobValidator | None = None,
        max_history: int = 100,
        max_age: float = 30 * 86400,
        max_active: int = MAX_ACTIVE_JOBS,
    ) -> None:
        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True)
        self._runners = runners
        self._validate = validate
        self._max_history = max_history
        self._max_age = max_age
        self._max_active = max_active
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
            raise InvalidInput(f"unknown job kind {kind[:100]!r}; expected one of {sorted(self._runners)}")
        if self._validate is not None:
            self._validate(kind, params)
        job = Job(id=uuid.uuid4().hex[:12], kind=kind, params=params)
        token = CancelToken()
        with self._lock:
            if sum(j.state in ACTIVE_STATES for j in self._jobs.values()) >= self._max_active:
                raise Conflict(
                    f"{self._max_active} jobs are already queued or running; "
                    "wait for some to finish or cancel them"
                )
            self._jobs[job.id] = job
            self._tokens[job.id] = token
        self._persist(job)
        self.prune()
        self._notify(job, force=True)
        self._pool.submit(self._run, job, token)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id[:100]!r}")
        return job

    def list(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created_at, reverse=True)

    def page(self, offset: int, limit: int) -> tuple[Sequence[Job], int]:
        """Jobs ``offset`` to ``offset + limit`` (newest first) and how many there are."""
        jobs = self.list()
        return jobs[offset : offset + limit], len(jobs)

    def remove(self, job_id: str) -> None:
        """Forget a job that has ended (its record too); a running one must be cancelled first."""
        job = self.get(job_id)
        with self._lock:
            if job.state in ACTIVE_STATES:
                raise Conflict(
                    f"job {job_id} is {job.state}; cancel it first (POST /kitlab/jobs/{job_id}/cancel)"
                )
            self._forget(job_id)

    def prune(self) -> None:
        """Forget ended jobs beyond the newest ``max_history`` and those ended over ``max_age`` ago."""
        with self._lock:
            self._prune_locked()

    def _prune_locked(self) -> None:
        cutoff = time.time() - self._max_age
        ended = sorted(
            (j for j in self._jobs.values() if j.state not in ACTIVE_STATES),
            key=lambda j: j.created_at,
            reverse=True,
        )
        for index, job in enumerate(ended):
            if index >= self._max_history or (job.finished_at or job.created_at) < cutoff:
                self._forget(job.id)

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
            # What the user asked could not be done (a registry said no, a file is missing): one line.
            log.warning("job %s (%s) failed: %s: %s", job.id, job.kind, exc.code, exc.message[:300])
            self._end(job, FAILED, error={"code": exc.code, "message": exc.message, "details": exc.details})
        except Exception as exc:  # the job fails, the server does not; a bug: its traceback goes to the log
            log.exception("job %s (%s) failed unexpectedly", job.id, job.kind)
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
            job.result = bounded_result(result)
            job.error = error
            self._finish(job, state)
            # In the same step as the state change: whoever sees the job ended sees the history bounded.
            self._prune_locked()
        self._persist(job)
        self._notify(job, force=True)

    def _finish(self, job: Job, state: str) -> None:
        job.state = state
        job.finished_at = time.time()
        self._tokens.pop(job.id, None)

    def _forget(self, job_id: str) -> None:
        """Drop an ended job and its state file (the caller holds ``_lock``)."""
        self._jobs.pop(job_id, None)
        self._last_emit.pop(job_id, None)
        with self._persist_lock:
            (self._dir / f"{job_id}.json").unlink(missing_ok=True)

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
            if job.id not in self._jobs:  # removed meanwhile (pruned or deleted): no record comes back
                return
            # Not fsynced: a record lost in a power cut only loses a finished job's history line.
            write_atomically(path, json.dumps(job.to_dict()), durable=False)

    def _load(self) -> None:
        for path in self._dir.glob("*.json"):
            try:
                if path.stat().st_size > MAX_RECORD_BYTES:
                    log.warning("dropping job record %s: %d bytes", path.name, path.stat().st_size)
                    path.unlink()
                    continue
                job = Job.from_dict(json.loads(path.read_text()))
            except (ValueError, KeyError, TypeError, OSError, RecursionError):
                continue  # a file from an older version or a torn write: not ours to interpret
            self._jobs[job.id] = job
            if job.state in ACTIVE_STATES:
                job.state = INTERRUPTED
                job.finished_at = job.finished_at or time.time()
                job.error = {"code": "interrupted", "message": "the server stopped while this job ran"}
                self._persist(job)
        self.prune()
