"""What push, pack-and-push and pull share: the remote-only rule, where blobs were
pushed before (for cross-repository mounts), one blob's upload decision, and a runner that moves blobs
on a few threads, each with its own ``RegistryClient``.

The registry protocol itself lives in ``kitlab.modelkit.registry``; this module only orchestrates.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from kitlab.atomicfile import write_atomically
from kitlab.errors import Cancelled, InvalidInput
from kitlab.modelkit.reference import DEFAULT_REGISTRY, Reference, parse_reference
from kitlab.modelkit.registry import (
    AccessDenied,
    AuthenticationRequired,
    RegistryClient,
    RegistryNotFound,
)
from kitlab.modelkit.registry.client import OpenFn
from kitlab.progress import CancelToken, ProgressEvent, ProgressFn

T = TypeVar("T")
R = TypeVar("R")

# Blobs moved at once by push, pack --push and pull: kit's own default (its --concurrency flag). Each
# transfer holds at most a few 8 MiB pieces, so memory stays bounded (docs/registries.md).
DEFAULT_CONCURRENCY = 5

SKIPPED = "skipped"
MOUNTED = "mounted"
UPLOADED = "uploaded"


@dataclass
class PushResult:
    """``uploaded_bytes`` counts blob bytes actually sent (layers and config); blobs the registry had
    are ``skipped_blobs``, blobs linked from another repository of the registry ``mounted_blobs``.
    ``kit_size`` is the kit's size as ``kit list`` shows it (the sum of its layers): the number the UI
    shows for the kit, whatever was sent."""

    reference: str
    digest: str
    kit_size: int = 0
    uploaded_bytes: int = 0
    skipped_blobs: int = 0
    mounted_blobs: int = 0
    warnings: list[str] = field(default_factory=list)


def require_remote(ref: Reference, verb: str) -> None:
    """kit's push/pull refuse registry ``localhost``: it is the name of the local store
    (docs/kit-format.md, "References")."""
    if ref.registry == DEFAULT_REGISTRY:
        raise InvalidInput(
            f"cannot {verb} {ref.display()}: the reference names no registry, and 'localhost' is kit's "
            f"name for the local store. Give the registry host, e.g. registry.example.com/{ref.repository}"
            f"{':' + ref.tag if ref.tag else ''} (a local registry needs a port: localhost:5000/…)",
            details={"reference": str(ref)},
        )


def as_reference(ref: Reference | str) -> Reference:
    return parse_reference(ref) if isinstance(ref, str) else ref


class LinkedCancel(CancelToken):
    """Cancelled when its parent is, or when cancelled itself (one failing transfer stops its siblings
    without cancelling the caller's token)."""

    def __init__(self, parent: CancelToken | None) -> None:
        super().__init__()
        self._parent = parent

    @property
    def cancelled(self) -> bool:
        return super().cancelled or (self._parent is not None and self._parent.cancelled)

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled("operation cancelled")


def run_parallel(
    jobs: Sequence[T],
    work: Callable[[T, RegistryClient, CancelToken], R],
    make_client: Callable[[CancelToken], RegistryClient],
    *,
    concurrency: int,
    cancel: CancelToken | None,
) -> list[R]:
    """Run ``work`` over ``jobs`` on up to ``concurrency`` threads, one client per thread; results in
    job order. The first failure stops the others and is raised (not the ``Cancelled`` it causes in
    its siblings). ``make_client(token)`` should abort its connections when ``token`` fires, so a
    sibling's failure or the caller's cancel also ends transfers stuck on the network. ``work`` may
    report progress from any of these threads."""
    if not jobs:
        return []
    stop = LinkedCancel(cancel)
    local = threading.local()
    clients: list[RegistryClient] = []
    lock = threading.Lock()

    def run(job: T) -> R:
        stop.check()
        client: RegistryClient | None = getattr(local, "client", None)
        if client is None:
            client = make_client(stop)
            local.client = client
            with lock:
                clients.append(client)
        try:
            return work(job, client, stop)
        except BaseException:
            stop.cancel()
            raise

    workers = max(1, min(concurrency, len(jobs)))
    try:
        with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="kitlab-xfer") as pool:
            futures = [pool.submit(run, job) for job in jobs]
            try:
                concurrent.futures.wait(futures)
            except BaseException:
                # Ctrl-C in the CLI: stop the workers (their clients shut their sockets down) so
                # leaving the pool does not wait for a stalled registry's read timeout.
                stop.cancel()
                raise
    finally:
        for client in clients:
            client.close()
    failures = [exc for f in futures if (exc := f.exception()) is not None]
    if failures:
        raise next((e for e in failures if not isinstance(e, Cancelled)), failures[0])
    return [f.result() for f in futures]


def upload_one(
    client: RegistryClient,
    *,
    digest: str,
    size: int,
    open_fn: OpenFn,
    mount_from: Iterable[str],
    progress: ProgressFn,
    cancel: CancelToken,
    item: str,
    index: int,
    count: int,
) -> str:
    """HEAD → skip; else try a cross-repository mount from each candidate; else stream the upload.
    Returns ``SKIPPED``, ``MOUNTED`` or ``UPLOADED``."""
    cancel.check()
    if client.blob_exists(digest):
        progress(ProgressEvent("upload", item, index, count, size, size))
        return SKIPPED
    for repo in mount_from:
        if repo == client.repository:
            continue
        try:
            mounted = client.mount_blob(digest, repo)
        except (AccessDenied, AuthenticationRequired, RegistryNotFound):
            mounted = False  # no read access to that repository: just upload
        if mounted:
            progress(ProgressEvent("upload", item, index, count, size, size))
            return MOUNTED
    client.upload_blob(
        digest,
        size,
        open_fn,
        progress=progress,
        cancel=cancel,
        item=item,
        index=index,
        count=count,
        check_exists=False,
    )
    return UPLOADED


class BlobLocations:
    """Which repositories of which registry we pushed each blob to, so a push to another repository
    can mount instead of upload. A small JSON file in kit's cache dir (``kit cache clear`` removes
    it); losing it, or a lost update from a concurrent process, only costs a mount attempt."""

    MAX_DIGESTS_PER_REGISTRY = 5000
    MAX_REPOS_PER_DIGEST = 4

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_home(cls, home: Path) -> BlobLocations:
        return cls(home / "cache" / "kitlab" / "blob-locations.json")

    def _load(self) -> dict[str, dict[str, list[str]]]:
        try:
            doc = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        registries = doc.get("registries") if isinstance(doc, dict) else None
        return registries if isinstance(registries, dict) else {}

    def candidates(self, registry: str, digest: str) -> list[str]:
        found = self._load().get(registry, {}).get(digest, [])
        return [r for r in found if isinstance(r, str)] if isinstance(found, list) else []

    def record(self, registry: str, repository: str, digests: Iterable[str]) -> None:
        """Best effort: an unwritable cache never fails a push."""
        registries = self._load()
        known = registries.setdefault(registry, {})
        for digest in digests:
            repos = [r for r in known.pop(digest, []) if r != repository]
            known[digest] = [repository, *repos][: self.MAX_REPOS_PER_DIGEST]  # re-inserted: newest last
        while len(known) > self.MAX_DIGESTS_PER_REGISTRY:
            del known[next(iter(known))]
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, json.dumps({"version": 1, "registries": registries}), durable=False)
