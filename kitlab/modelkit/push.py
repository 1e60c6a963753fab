"""``kit push SRC [DST]``: copy a ModelKit from the local store to a registry.

Every blob (layers and config) is checked with ``HEAD`` and skipped when the registry has it; else it
is mounted from another repository of the same registry where it is known to be (the source
repository when pushing to a different one, or where kitlab pushed it before); else it is streamed
from its file in the store, up to ``concurrency`` blobs at a time. The manifest goes last, as the exact
bytes in the store, so its digest does not change.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from kitlab.errors import InvalidInput
from kitlab.modelkit.manifest import Descriptor, parse_manifest
from kitlab.modelkit.mediatypes import OCI_MANIFEST
from kitlab.modelkit.reference import Reference, validate_tag
from kitlab.modelkit.registry import RegistryClient, Remote
from kitlab.modelkit.registry.client import OpenFn
from kitlab.modelkit.store import LocalStore, require_tag_or_digest
from kitlab.modelkit.transfer import (
    DEFAULT_CONCURRENCY,
    MOUNTED,
    SKIPPED,
    UPLOADED,
    BlobLocations,
    PushResult,
    as_reference,
    require_remote,
    run_parallel,
    upload_one,
)
from kitlab.progress import CancelToken, ProgressEvent, ProgressFn, no_progress


@dataclass(frozen=True)
class _BlobJob:
    desc: Descriptor
    index: int
    count: int
    mount_from: tuple[str, ...]


def push(
    ref: Reference | str,
    destination: Reference | str | None = None,
    *,
    store: LocalStore | None = None,
    remote: Remote | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    also_tags: Sequence[str] = (),
) -> PushResult:
    """Push the local kit ``ref`` to ``destination`` (default: ``ref`` itself, which then must name a
    registry). A digest destination must be the kit's own digest; the manifest is then pushed untagged.
    ``also_tags`` are further tags of the destination repository the manifest is put under (one upload
    of the blobs for several tags; kit's own push takes one).

    ``progress`` may be called from several worker threads.
    """
    store = store or LocalStore()
    src = as_reference(ref)
    require_tag_or_digest(src)
    dst = as_reference(destination) if destination is not None else src
    require_tag_or_digest(dst)
    for tag in also_tags:
        validate_tag(tag)
    require_remote(dst, "push")
    remote = remote or Remote()
    remote.check_allowed(dst.registry)  # before the store is read
    budget = remote.budget()  # one retry budget for the whole push

    desc = store.resolve(src)
    manifest_bytes = store.get_manifest_bytes(desc)
    manifest = parse_manifest(manifest_bytes)
    if dst.digest and dst.digest != desc.digest:
        raise InvalidInput(f"{src.display()} is {desc.digest}, not {dst.digest}")

    blobs: dict[str, Descriptor] = {}
    for blob in [*manifest.layers, manifest.config]:
        if not store.has_blob(blob.digest):
            raise InvalidInput(
                f"{src.display()} is incomplete in the local store: blob {blob.digest} is missing"
            )
        blobs.setdefault(blob.digest, blob)

    locations = BlobLocations.for_home(store.home)
    same_registry_source = (src.repository,) if src.registry == dst.registry else ()
    jobs = [
        _BlobJob(
            blob,
            i,
            len(blobs),
            tuple(dict.fromkeys([*same_registry_source, *locations.candidates(dst.registry, blob.digest)])),
        )
        for i, blob in enumerate(blobs.values())
    ]

    for job in jobs:  # every blob's bar (and so the job's total) from the start
        progress(ProgressEvent("upload", job.desc.digest, job.index, job.count, 0, job.desc.size))

    def open_at(digest: str) -> OpenFn:
        def open_fn(offset: int) -> BinaryIO:
            fh = store.open_blob(digest)
            fh.seek(offset, io.SEEK_SET)
            return fh  # type: ignore[return-value]

        return open_fn

    def work(job: _BlobJob, client: RegistryClient, token: CancelToken) -> str:
        return upload_one(
            client,
            digest=job.desc.digest,
            size=job.desc.size,
            open_fn=open_at(job.desc.digest),
            mount_from=job.mount_from,
            progress=progress,
            cancel=token,
            item=job.desc.digest,
            index=job.index,
            count=job.count,
        )

    outcomes = run_parallel(
        jobs,
        work,
        lambda token: remote.client(dst, budget=budget, cancel=token),
        concurrency=concurrency,
        cancel=cancel,
    )
    if cancel is not None:
        cancel.check()
    with remote.client(dst, budget=budget, cancel=cancel) as client:
        for name in [dst.reference or desc.digest, *also_tags]:
            client.put_manifest(name, manifest_bytes, desc.media_type or OCI_MANIFEST)
    locations.record(dst.registry, dst.repository, blobs)
    return PushResult(
        reference=str(dst),
        digest=desc.digest,
        kit_size=sum(layer.size for layer in manifest.layers),
        uploaded_bytes=sum(j.desc.size for j, o in zip(jobs, outcomes, strict=True) if o == UPLOADED),
        skipped_blobs=outcomes.count(SKIPPED),
        mounted_blobs=outcomes.count(MOUNTED),
    )
