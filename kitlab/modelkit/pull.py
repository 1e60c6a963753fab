"""``kit pull REF``: copy a ModelKit (classic or CNCF ModelPack) and its parent chain into the store.

Two phases, so a refused pull changes nothing a user can see:

1. resolve the chain: each manifest (must be an OCI image manifest of a ModelKit or ModelPack, else
   "not a ModelKit") and the Kitfile (config blob, or ModelPack annotation); a ``model.path`` that is a
   ModelKit reference names the parent — at most 10 parents, cycles refused, as kit does;
2. from the root parent down to the kit asked for: download every blob the store lacks, verified,
   through ``fetch_blob`` into the store's temp dir, rename it into ``blobs/``, then list the manifest
   (``add_manifest``) with its tag.

A pull stopped by the network keeps its downloads' ``.part`` files in the store's temp dir and the next
pull resumes them; any other failure (cancel, full disk, corrupt data) deletes them. Nothing unverified
ever reaches ``blobs/``, and no index entry is written before all of a kit's blobs are in place.

Two pulls of the same content into one store (two terminals, two server jobs) may run at once: each
blob is downloaded under an exclusive ``flock`` on ``pull-<hex>.lock`` in the temp dir, so one process
downloads it while the other waits (cancellably) and then finds it in ``blobs/``. Configs read while
resolving the chain are held in memory (≤ 16 MiB), never in a shared temp file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kitlab.errors import Cancelled, InvalidInput, KitlabError
from kitlab.kitfile import from_config_json
from kitlab.kitfile.model import Kitfile
from kitlab.modelkit.inspect import MAX_MODEL_REF_CHAIN
from kitlab.modelkit.manifest import (
    FORMAT_KIT,
    FORMAT_MODELPACK,
    Descriptor,
    Manifest,
    NotAModelKit,
    modelpack_warning,
    parse_manifest,
)
from kitlab.modelkit.mediatypes import KIT_CONFIG, KITFILE_ANNOTATION, OCI_MANIFEST
from kitlab.modelkit.reference import Reference, is_modelkit_reference, parse_reference
from kitlab.modelkit.registry import (
    RegistryClient,
    RegistryUnavailable,
    RegistryUnreachable,
    Remote,
    RetryBudget,
)
from kitlab.modelkit.store import LocalStore, require_tag_or_digest
from kitlab.modelkit.transfer import DEFAULT_CONCURRENCY, as_reference, require_remote, run_parallel
from kitlab.progress import CancelToken, ProgressEvent, ProgressFn, no_progress

MAX_CONFIG_BYTES = 16 << 20
_TMP_PREFIX = "pull-"  # not the store's "blob-<pid>-" prefix: these files outlive the process to resume
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class StorageFull(KitlabError):
    """The local store's filesystem ran out of space (or a file size limit was hit)."""

    code = "storage_full"


@dataclass
class PullResult:
    reference: str
    digest: str
    downloaded_bytes: int = 0
    skipped_blobs: int = 0
    parents: list[str] = field(default_factory=list)  # parent references pulled, nearest first
    warnings: list[str] = field(default_factory=list)  # said before downloading (ModelPack and kit < 1.10)


@dataclass
class RemoteKit:
    """A remote kit's manifest as read (and checked to be a ModelKit), before anything is pulled."""

    ref: Reference
    manifest_bytes: bytes
    digest: str
    manifest: Manifest


def _tmp_path(store: LocalStore, digest: str) -> Path:
    return store.tmp_dir / f"{_TMP_PREFIX}{digest.removeprefix('sha256:')}"


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".part").unlink(missing_ok=True)


def _lock_fd(path: Path, cancel: CancelToken, wait: bool) -> int | None:
    """An fd holding an exclusive flock on ``path``, or None (busy and not ``wait``)."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not wait:
                        os.close(fd)
                        return None
                    cancel.check()
                    time.sleep(0.05)
            # The previous holder unlinks the file when done: lock only what the name still names.
            try:
                st, now = os.fstat(fd), os.stat(path)
                current = (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino)
            except FileNotFoundError:
                current = False
        except BaseException:
            os.close(fd)
            raise
        if current:
            return fd
        os.close(fd)


@contextlib.contextmanager
def _blob_lock(store: LocalStore, digest: str, cancel: CancelToken, *, wait: bool = True) -> Iterator[bool]:
    """Hold ``pull-<hex>.lock`` exclusively, waiting (cancellably) for another puller of the same
    blob; with ``wait=False`` yields False at once when another process holds it."""
    path = store.tmp_dir / f"{_TMP_PREFIX}{digest.removeprefix('sha256:')}.lock"
    fd = _lock_fd(path, cancel, wait)
    if fd is None:
        yield False
        return
    try:
        yield True
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


def _adopt(store: LocalStore, path: Path, digest: str) -> None:
    """Move a verified download into ``blobs/`` (same filesystem: a rename), durably."""
    final = store.blob_path(digest)
    if final.exists():
        path.unlink(missing_ok=True)
        return
    with path.open("rb") as fh:
        os.fsync(fh.fileno())
    path.chmod(0o600)  # kit chmods pulled blobs 0600
    os.replace(path, final)
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fetch(
    client: RegistryClient,
    store: LocalStore,
    desc: Descriptor,
    *,
    progress: ProgressFn,
    cancel: CancelToken,
    index: int,
    count: int,
    dest: Path | None = None,
) -> Path:
    """Download one blob into the store's temp dir (verified); translate local write failures."""
    dest = dest or _tmp_path(store, desc.digest)
    try:
        return client.fetch_blob(
            desc.digest,
            dest,
            size=desc.size,
            progress=progress,
            cancel=cancel,
            item=desc.digest,
            index=index,
            count=count,
        )
    except OSError as exc:
        _discard(dest)
        if exc.errno in _DISK_FULL:
            raise StorageFull(
                f"no space left for blob {desc.digest} ({desc.size} bytes) in {store.storage}; "
                "free some space (e.g. remove unused kits) and pull again"
            ) from exc
        raise KitlabError(f"cannot write blob {desc.digest} into {store.storage}: {exc.strerror}") from exc


def _fetch_into_store(
    client: RegistryClient,
    store: LocalStore,
    desc: Descriptor,
    *,
    progress: ProgressFn,
    cancel: CancelToken,
    index: int,
    count: int,
) -> int:
    """Download one blob and move it into ``blobs/``, under the blob's lock; the bytes downloaded
    (0 when a concurrent pull stored it first). A network failure keeps the ``.part`` to resume;
    any other failure removes it, while the lock still makes it ours."""
    with _blob_lock(store, desc.digest, cancel):
        if store.has_blob(desc.digest):
            return 0
        try:
            path = _fetch(client, store, desc, progress=progress, cancel=cancel, index=index, count=count)
            _adopt(store, path, desc.digest)
        except (RegistryUnreachable, RegistryUnavailable):
            raise
        except Cancelled:
            raise  # pull() decides: kept when the network failed a sibling, else removed
        except BaseException:
            _discard(_tmp_path(store, desc.digest))
            raise
    return desc.size


def _kitfile_of(
    client: RegistryClient,
    store: LocalStore,
    kit: RemoteKit,
    prefetched: dict[str, bytes],
    cancel: CancelToken,
) -> Kitfile | None:
    """The Kitfile, to find a parent reference: config blob (classic) or annotation (ModelPack)."""
    manifest = kit.manifest
    if manifest.format != FORMAT_KIT:
        annotation = manifest.annotations.get(KITFILE_ANNOTATION)
        return from_config_json(annotation.encode("utf-8")) if annotation else None
    config = manifest.config
    if config.media_type != KIT_CONFIG:
        raise NotAModelKit(f"{kit.ref.display()} is not a ModelKit: its config is {config.media_type!r}")
    if config.size > MAX_CONFIG_BYTES:
        raise InvalidInput(f"{kit.ref.display()}: config of {config.size} bytes is implausibly large")
    if store.has_blob(config.digest):
        return from_config_json(store.read_blob(config))
    data = prefetched.get(config.digest)
    if data is None:
        # A private name in the store's "blob-<pid>-" pattern, so a killed process's file is swept.
        tmp = store.tmp_dir / f"blob-{os.getpid()}-{secrets.token_hex(8)}"
        try:
            path = _fetch(
                client, store, config, progress=no_progress, cancel=cancel, index=0, count=1, dest=tmp
            )
            data = path.read_bytes()
        finally:
            _discard(tmp)
        prefetched[config.digest] = data
    return from_config_json(data)


def get_remote_manifest(client: RegistryClient, ref: Reference) -> RemoteKit:
    data, media_type, digest = client.get_manifest(ref.reference)
    if media_type and media_type != OCI_MANIFEST:
        raise NotAModelKit(
            f"{ref.display()} is not a ModelKit: it is a {media_type} (a ModelKit is an OCI image "
            "manifest with a Kitfile or ModelPack config)"
        )
    try:
        manifest = parse_manifest(data)
    except NotAModelKit as exc:
        raise NotAModelKit(f"{ref.display()} is not a ModelKit: {exc.message}") from None
    return RemoteKit(ref, data, digest, manifest)


def _resolve_chain(
    top: Reference,
    remote: Remote,
    budget: RetryBudget,
    store: LocalStore,
    prefetched: dict[str, bytes],
    cancel: CancelToken,
) -> list[RemoteKit]:
    """The kit and its parents, child first."""
    chain: list[RemoteKit] = []
    seen_refs = [str(top)]
    names = [top.display()]
    ref = top
    while True:
        cancel.check()
        # Each parent's registry is checked against the allow-list when its client is made.
        with remote.client(ref, budget=budget, cancel=cancel) as client:
            kit = get_remote_manifest(client, ref)
            if any(k.digest == kit.digest for k in chain):
                raise InvalidInput(f"found cycle in modelkit references: [{'=>'.join(names)}]")
            chain.append(kit)
            kitfile = _kitfile_of(client, store, kit, prefetched, cancel)
        parent = kitfile.model.path if kitfile is not None and kitfile.model is not None else ""
        if not is_modelkit_reference(parent):
            return chain
        parent_ref = parse_reference(parent)
        names.append(parent)
        if str(parent_ref) in seen_refs:
            raise InvalidInput(f"found cycle in modelkit references: [{'=>'.join(names)}]")
        if len(seen_refs) > MAX_MODEL_REF_CHAIN:
            raise InvalidInput(f"reached maximum number of model references: [{'=>'.join(names[:-1])}]")
        require_tag_or_digest(parent_ref)
        require_remote(parent_ref, f"pull the parent ModelKit of {ref.display()}:")
        seen_refs.append(str(parent_ref))
        ref = parent_ref


def pull(
    ref: Reference | str,
    *,
    store: LocalStore | None = None,
    remote: Remote | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    warn: Callable[[str], None] | None = None,
) -> PullResult:
    """Pull ``ref`` (and its parent chain) into ``store``; see the module docstring.

    ``progress`` may be called from several worker threads.
    """
    top = as_reference(ref)
    require_tag_or_digest(top)
    require_remote(top, "pull")
    store = store or LocalStore()
    store.ensure_layout()
    remote = remote or Remote()
    budget = remote.budget()  # one retry budget for the whole pull, parents included
    token = cancel or CancelToken()
    prefetched: dict[str, bytes] = {}
    result = PullResult(reference=str(top), digest="")
    chain: list[RemoteKit] = []
    try:
        chain = _resolve_chain(top, remote, budget, store, prefetched, token)
        for kit in chain:  # before any download: a ModelPack makes kit < 1.10 fail on the store
            if kit.manifest.format == FORMAT_MODELPACK and not store.has_blob(kit.digest):
                result.warnings.append(modelpack_warning(kit.ref.display()))
                if warn is not None:
                    warn(result.warnings[-1])
        for kit in reversed(chain):  # parents first: a child is never listed before its parents
            _pull_one(kit, remote, budget, store, prefetched, result, progress, token, concurrency)
    except (RegistryUnreachable, RegistryUnavailable):
        raise  # the network failed: keep the partial downloads for the next pull to resume
    except BaseException:
        # Cancelled, disk full, corrupt data, refused chain …: leave no temp file behind — but not
        # one a concurrent pull of the same blob is writing (it holds the blob's lock).
        for kit in chain:
            for desc in [kit.manifest.config, *kit.manifest.layers]:
                with _blob_lock(store, desc.digest, token, wait=False) as mine:
                    if mine:
                        _discard(_tmp_path(store, desc.digest))
        raise
    result.digest = chain[0].digest
    result.parents = [str(k.ref) for k in chain[1:]]
    return result


def _pull_one(
    kit: RemoteKit,
    remote: Remote,
    budget: RetryBudget,
    store: LocalStore,
    prefetched: dict[str, bytes],
    result: PullResult,
    progress: ProgressFn,
    cancel: CancelToken,
    concurrency: int,
) -> None:
    blobs: dict[str, Descriptor] = {}
    for desc in [kit.manifest.config, *kit.manifest.layers]:
        blobs.setdefault(desc.digest, desc)
    missing = [d for d in blobs.values() if not store.has_blob(d.digest)]
    result.skipped_blobs += len(blobs) - len(missing)
    count = len(missing)
    for index, desc in enumerate(missing):  # every blob's bar (and so the job's total) from the start
        progress(ProgressEvent("download", desc.digest, index, count, 0, desc.size))

    def work(job: tuple[int, Descriptor], client: RegistryClient, token: CancelToken) -> int:
        index, desc = job
        data = prefetched.pop(desc.digest, None)
        if data is None:
            moved = _fetch_into_store(
                client, store, desc, progress=progress, cancel=token, index=index, count=count
            )
        else:
            store.put_blob_stream([data], expected_digest=desc.digest, expected_size=desc.size, cancel=token)
            moved = desc.size
        # Also when the bytes came another way (held in memory, stored by a concurrent pull).
        progress(ProgressEvent("download", desc.digest, index, count, desc.size, desc.size))
        return moved

    sizes = run_parallel(
        list(enumerate(missing)),
        work,
        lambda stop: remote.client(kit.ref, budget=budget, cancel=stop),
        concurrency=concurrency,
        cancel=cancel,
    )
    result.downloaded_bytes += sum(sizes)
    cancel.check()
    store.add_manifest(kit.ref.repo_key, kit.manifest_bytes, [kit.ref.tag] if kit.ref.tag else [])
