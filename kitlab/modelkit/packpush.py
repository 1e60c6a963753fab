"""``kit pack --push`` (kit ≥ 1.16) in one pass over the files, with nothing written locally.

For each layer (up to ``concurrency`` at a time): pass 1 writes the deterministic layer (tar, then
compression) into a hashing null sink, which gives digest and size; ``HEAD`` skips it when the registry
has it, a cross-repository mount links it when we pushed it elsewhere on that registry; otherwise pass
2 generates the same bytes again straight into the upload (``LayerStream``): no temp file, no copy in
the local store, flat memory. Pass 2 must hash to pass 1's digest — a file changed in between fails
the push with a clear error before the registry could store the blob. Config and manifest go last.

The local store is only read (for a parent ModelKit named in ``model.path``); nothing is written to it.
Layer digests are remembered in pack's stat cache (``cache/kitlab`` in kit's home, not the store), so
an unchanged layer skips pass 1 next time — and is not read at all when the registry already has it.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Mapping
from typing import BinaryIO

from kitlab.errors import InvalidInput
from kitlab.modelkit.layers import LayerPlan
from kitlab.modelkit.layerstream import LayerStream
from kitlab.modelkit.mediatypes import OCI_MANIFEST
from kitlab.modelkit.modelpack import ModelFacts
from kitlab.modelkit.pack import (
    DEFAULT_CLI_VERSION,
    build_kit,
    plan_to_write,
    record_layer,
    stream_layer,
)
from kitlab.modelkit.reference import Reference, validate_tag
from kitlab.modelkit.registry import RegistryClient, Remote
from kitlab.modelkit.statcache import CachedLayer, StatCache
from kitlab.modelkit.store import LocalStore
from kitlab.modelkit.tarwriter import Sink
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


class _HashSink:
    """Pass 1's null sink: only counts and hashes."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        self.hash.update(data)
        self.size += len(data)
        return len(data)


def pack_and_push(
    context_dir: str | os.PathLike[str],
    ref: Reference | str,
    *,
    kitfile_path: str | os.PathLike[str] | None = None,
    kitfile_text: str | None = None,
    compression: str = "none",
    store: LocalStore | None = None,
    cli_version: str = DEFAULT_CLI_VERSION,
    annotations: Mapping[str, str] | None = None,
    remote: Remote | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    stat_cache: StatCache | None = None,
    allow_secrets: bool = False,
    allow_kitlab_only_names: bool = False,
    use_model_pack: bool = False,
    model_facts: ModelFacts | None = None,
) -> PushResult:
    """Pack ``context_dir`` (Kitfile options as in ``pack``) and push it as ``ref``
    (``registry/repo:tag[,tag2…]``); see the module docstring. Progress stages: "hash" (pass 1) and
    "upload"; ``progress`` may be called from several worker threads. Files that look like secrets
    stop it before anything is sent, unless ``allow_secrets`` (as ``pack``). ``use_model_pack`` and
    ``model_facts`` push a CNCF ModelPack, as in ``pack``."""
    target = as_reference(ref)
    if target.digest or not target.tag:
        raise InvalidInput(f"pack and push needs a tag to push to, e.g. {target.repo_key}:latest")
    for tag in target.extra_tags:
        validate_tag(tag)
    require_remote(target, "push")
    remote = remote or Remote()
    remote.check_allowed(target.registry)  # before any file is read
    store = store or LocalStore()
    cache = stat_cache or StatCache.for_home(store.home)
    planned, warnings = plan_to_write(  # secrets refused before anything is sent
        context_dir,
        kitfile_path=kitfile_path,
        kitfile_text=kitfile_text,
        compression=compression,
        store=store,
        stat_cache=cache,
        allow_secrets=allow_secrets,
        allow_kitlab_only_names=allow_kitlab_only_names,
        use_model_pack=use_model_pack,
    )
    kf, plan, keys = planned.kitfile, planned.layers, planned.cache_keys
    budget = remote.budget()  # one retry budget for the whole pack-and-push
    locations = BlobLocations.for_home(store.home)
    count = len(plan.layers)
    # Read in this thread (the cache is not thread-safe): files unchanged since a pack or push of
    # these layers need no first pass; the second pass still verifies the cached digest. (The plan's
    # own hits also require the blob in the local store, which a push straight to a registry does not.)
    hits = [cache.get(key) for key in keys]

    def work(
        job: tuple[int, LayerPlan, CachedLayer | None], client: RegistryClient, token: CancelToken
    ) -> tuple[CachedLayer, str]:
        index, layer, hit = job
        done = 0

        def hashed(n: int) -> None:
            nonlocal done
            done += n
            progress(ProgressEvent("hash", layer.path, index, count, done, layer.size))

        if hit is None:
            sink = _HashSink()
            diff_id = stream_layer(layer, sink, compression, cancel=token, on_bytes=hashed)
            digest, size = "sha256:" + sink.hash.hexdigest(), sink.size
        else:
            digest, size, diff_id = hit.digest, hit.size, hit.diff_id

        def produce(out: Sink) -> None:
            stream_layer(layer, out, compression, cancel=token)

        def open_fn(offset: int) -> BinaryIO:
            stream = LayerStream(
                produce, digest=digest, size=size, offset=offset, label=layer.field_path, cancel=token
            )
            return stream  # type: ignore[return-value]

        outcome = upload_one(
            client,
            digest=digest,
            size=size,
            open_fn=open_fn,
            mount_from=locations.candidates(target.registry, digest),
            progress=progress,
            cancel=token,
            item=layer.path,
            index=index,
            count=count,
        )
        return CachedLayer(digest, size, diff_id or digest), outcome

    results = run_parallel(
        [(i, layer, hit) for i, (layer, hit) in enumerate(zip(plan.layers, hits, strict=True))],
        work,
        lambda token: remote.client(target, budget=budget, cancel=token),
        concurrency=concurrency,
        cancel=cancel,
    )
    packed = [
        record_layer(kf, layer, compression, res, artifact_format="modelpack" if use_model_pack else "kit")
        for layer, (res, _) in zip(plan.layers, results, strict=True)
    ]
    for key, hit, (layer_result, _) in zip(keys, hits, results, strict=True):
        if hit is None:
            cache.put(key, layer_result)
    cache.save()
    artifact = build_kit(
        kf, packed, cli_version, annotations, use_model_pack=use_model_pack, model_facts=model_facts
    )
    config_bytes, config, manifest_bytes = artifact.config_bytes, artifact.config, artifact.manifest_bytes

    def open_config(offset: int) -> BinaryIO:
        return io.BytesIO(config_bytes[offset:])

    with remote.client(target, budget=budget, cancel=cancel) as client:
        config_outcome = upload_one(
            client,
            digest=config.digest,
            size=config.size,
            open_fn=open_config,
            mount_from=(),
            progress=progress,
            cancel=cancel or CancelToken(),
            item="config",
            index=0,
            count=1,
        )
        if cancel is not None:
            cancel.check()
        digest = ""
        for tag in target.tags:
            digest = client.put_manifest(tag, manifest_bytes, OCI_MANIFEST)
    locations.record(target.registry, target.repository, [p.digest for p in packed] + [config.digest])
    outcomes = [o for _, o in results] + [config_outcome]
    sizes = [p.size for p in packed] + [config.size]
    return PushResult(
        reference=str(target),
        digest=digest,
        kit_size=sum(p.size for p in packed),
        uploaded_bytes=sum(s for s, o in zip(sizes, outcomes, strict=True) if o == UPLOADED),
        skipped_blobs=outcomes.count(SKIPPED),
        mounted_blobs=outcomes.count(MOUNTED),
        warnings=warnings,
    )
