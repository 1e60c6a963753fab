"""``kit pack`` in Python: Kitfile → layer tars → config → manifest → local store, streaming.

Each layer is produced in one pass: ``TarWriter`` → (gzip/zstd compressor) → hashing ``BlobWriter``,
so memory stays flat and the data is read exactly once. With compression ``none`` (kit's default) the
layer bytes, digests, config and manifest equal ``kit pack``'s for the same tree and CLI version.

Failure semantics: the Kitfile and the layer plan (missing or unreadable paths) are checked before
anything is written. On cancel or error no temp file remains and no index or tag changes; layer blobs
finished before that point stay in ``blobs/`` — content-addressed and harmless, reused by the next pack,
collectable by ``kit``/kitlab ``remove`` only once a manifest references them (they are not yet GC'd).
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple, cast

from kitlab._version import __version__
from kitlab.errors import InvalidInput, NotFound
from kitlab.kitfile import (
    KitfileError,
    find_kitfile,
    load_kitfile,
    load_kitfile_file,
    to_config_json,
    validate_kitfile,
)
from kitlab.kitfile.model import Kitfile, LayerInfo
from kitlab.modelkit.inspect import MAX_MODEL_REF_CHAIN, load_parent_kit
from kitlab.modelkit.layers import LayerPlan, PackPlan, open_planned, plan_layers, write_layer_tar
from kitlab.modelkit.manifest import Descriptor, build_manifest
from kitlab.modelkit.mediatypes import (
    KIT_CONFIG,
    LAYER_SUBTYPE_ANNOTATION,
    LAYER_SUBTYPE_PROMPT,
    OCI_MANIFEST,
    ArtifactFormat,
    layer_media_type,
)
from kitlab.modelkit.modelpack import KitArtifact, ModelFacts, build_modelpack, check_modelpack
from kitlab.modelkit.reference import (
    DEFAULT_REGISTRY,
    DEFAULT_REPOSITORY,
    Reference,
    is_modelkit_reference,
    parse_reference,
    validate_tag,
)
from kitlab.modelkit.secrets import SecretFinding, find_layer_secrets, refuse_secrets
from kitlab.modelkit.statcache import CachedLayer, LayerKey, StatCache, layer_key
from kitlab.modelkit.store import LocalStore
from kitlab.modelkit.tarwriter import FileChangedWhilePacking, Sink
from kitlab.progress import CancelToken, ProgressEvent, ProgressFn, no_progress

DEFAULT_CLI_VERSION = f"kitlab-{__version__}"
UNTAGGED_REPO = f"{DEFAULT_REGISTRY}/{DEFAULT_REPOSITORY}"
# Bump when the tar bytes for the same inputs could change (writer fix), to invalidate the stat cache.
TAR_POLICY = "kit-v1.7-tar/1"
CHUNK = 1 << 20
_GZIP_LEVELS = {"gzip": 6, "gzip-fastest": 1}  # Go's DefaultCompression is level 6


class PackedLayer(NamedTuple):
    media_type: str
    digest: str
    size: int
    path: str
    kind: str
    diff_id: str
    cached: bool


@dataclass
class PlannedLayer:
    """What ``plan_pack`` reports per layer: files (context-relative names), bytes, and whether the
    stat cache says it is unchanged since the last pack (its blob is still in the store)."""

    kind: str
    path: str
    files: list[str]
    size: int
    unchanged: bool
    digest: str = ""


@dataclass
class PackResult:
    reference: str | None
    manifest_digest: str
    config_digest: str
    layers: list[PackedLayer]
    warnings: list[str]
    plan: list[PlannedLayer] = field(default_factory=list)
    manifest_size: int = 0
    repositories: list[str] = field(default_factory=list)


def _entry_for(kf: Kitfile, layer: LayerPlan) -> Any:
    """The Kitfile entry a planned layer belongs to (where its LayerInfo goes)."""
    kind, i = layer.kind, layer.entry_index
    if kind == "model":
        return kf.model
    if kind == "modelpart":
        assert kf.model is not None
        return kf.model.parts[i]
    table: dict[str, list[Any]] = {
        "code": kf.code,
        "dataset": kf.datasets,
        "docs": kf.docs,
        "prompt": kf.prompts,
        "mcpb": kf.mcp_servers,
    }
    return table[kind][i]


def _as_file(sink: Sink) -> IO[bytes]:
    """A sink where the compressors' stubs ask for a binary file: gzip and zstandard only call
    ``write`` on it (neither flushes or closes an object it did not open)."""
    return cast("IO[bytes]", sink)


class _LayerSink:
    """Receives the uncompressed tar: hashes it (diffId) and forwards it, compressed or not, to the blob."""

    def __init__(self, blob: Sink, compression: str) -> None:
        # Uncompressed: diffId == digest, which the blob sink already computes; don't hash twice.
        self.diff_hash = hashlib.sha256() if compression != "none" else None
        self._blob = blob
        self._compressor: Any = None
        if compression in _GZIP_LEVELS:
            # mtime 0, no name, OS 255 — Go's header; the deflate bytes differ from Go's (docs/kit-format.md).
            self._compressor = gzip.GzipFile(
                filename="",
                fileobj=_as_file(blob),
                mode="wb",
                compresslevel=_GZIP_LEVELS[compression],
                mtime=0,
            )
        elif compression == "zstd":
            import zstandard  # only when asked for: most kits are uncompressed, and it loads slowly

            self._compressor = zstandard.ZstdCompressor(level=3).stream_writer(_as_file(blob), closefd=False)
        elif compression != "none":
            raise InvalidInput(f"unsupported compression {compression!r} (none, gzip, gzip-fastest, zstd)")

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self.diff_hash is not None:
            self.diff_hash.update(data)
        if self._compressor is not None:
            self._compressor.write(data)
        else:
            self._blob.write(data)
        return len(data)

    def finish(self) -> None:
        if self._compressor is not None:
            self._compressor.close()


def stream_layer(
    layer: LayerPlan,
    out: Sink,
    compression: str,
    *,
    cancel: CancelToken | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> str:
    """Write ``layer``'s blob bytes (tar, compressed as asked; raw layers verbatim) into ``out``.

    Returns the diffId, or "" when it equals the blob digest (uncompressed and raw layers), which
    ``out`` is in a position to compute. Deterministic: the same files give the same bytes.
    """
    if layer.kind == "mcpb":
        # Raw layer: the single file verbatim, never compressed; digest == diffId.
        entry = next(e for e in layer.entries if not e.is_dir)
        written = 0
        with open_planned(entry) as src:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                if cancel is not None:
                    cancel.check()
                out.write(chunk)
                written += len(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
        if written != entry.size:
            raise FileChangedWhilePacking(f"{entry.name} changed size while packing")
        return ""
    sink = _LayerSink(out, compression)
    write_layer_tar(layer, sink, on_bytes=on_bytes, cancel=cancel)
    sink.finish()
    return "sha256:" + sink.diff_hash.hexdigest() if sink.diff_hash is not None else ""


def _write_layer(
    store: LocalStore,
    layer: LayerPlan,
    compression: str,
    cancel: CancelToken | None,
    report: Callable[[int], None],
) -> CachedLayer:
    done = 0

    def on_bytes(n: int) -> None:
        nonlocal done
        done += n
        report(done)

    with store.blob_writer(cancel=cancel) as blob:
        diff_id = stream_layer(layer, blob, compression, cancel=cancel, on_bytes=on_bytes)
    return CachedLayer(blob.digest, blob.size, diff_id or blob.digest)


def layer_cache_key(layer: LayerPlan, compression: str) -> LayerKey:
    """The stat-cache key of a layer: its files' identities plus everything that shapes its bytes."""
    return layer_key(f"{TAR_POLICY}|{'raw' if layer.kind == 'mcpb' else compression}", layer.entries)


def record_layer(
    kf: Kitfile,
    layer: LayerPlan,
    compression: str,
    result: CachedLayer,
    *,
    cached: bool = False,
    artifact_format: ArtifactFormat = "kit",
) -> PackedLayer:
    """Note a finished layer's digest/diffId in its Kitfile entry (the config) and describe it, with the
    media type of the artifact being written (a ModelPack's layers are the same bytes under the
    model-spec's types; ``check_modelpack`` has refused the MCP bundles it has no type for)."""
    if layer.kind == "mcpb":
        media_type = layer_media_type("mcpb", "none", raw=True, artifact_format=artifact_format)
    else:
        media_type = layer_media_type(layer.kind, compression, artifact_format=artifact_format)
    _entry_for(kf, layer).layer = LayerInfo(digest=result.digest, diff_id=result.diff_id)
    return PackedLayer(media_type, result.digest, result.size, layer.path, layer.kind, result.diff_id, cached)


def layer_descriptors(packed: Sequence[PackedLayer]) -> list[Descriptor]:
    """Manifest descriptors of packed layers; kit ≥ 1.15 marks prompt layers (code media type) with a
    layer-subtype annotation."""
    return [
        Descriptor(
            p.media_type,
            p.digest,
            p.size,
            {LAYER_SUBTYPE_ANNOTATION: LAYER_SUBTYPE_PROMPT} if p.kind == "prompt" else None,
        )
        for p in packed
    ]


def build_kit(
    kf: Kitfile,
    packed: Sequence[PackedLayer],
    cli_version: str,
    annotations: Mapping[str, str] | None,
    *,
    use_model_pack: bool,
    model_facts: ModelFacts | None,
) -> KitArtifact:
    """The config and manifest of a kit whose layers (``packed``) are recorded in ``kf``, as ``pack``
    and ``pack_and_push`` both write it: a classic ModelKit, or a CNCF ModelPack whose config carries
    ``model_facts``."""
    if use_model_pack:
        return build_modelpack(kf, packed, model_facts or ModelFacts(), cli_version, annotations)
    config_bytes = to_config_json(kf)
    config = Descriptor(KIT_CONFIG, "sha256:" + hashlib.sha256(config_bytes).hexdigest(), len(config_bytes))
    return KitArtifact(
        config_bytes, config, build_manifest(config, layer_descriptors(packed), cli_version, annotations)
    )


def _parent_layer_paths(store: LocalStore, kf: Kitfile) -> list[str]:
    """Model and part paths of the parent kit chain named by ``model.path`` (local store only).

    kit excludes them from the child's layers; chains are limited to 10 and cycles refused, like kit.
    """
    paths: list[str] = []
    seen: list[str] = []
    current = kf
    child: Reference | None = None  # where kit files the parents it pulls (load_parent_kit)
    while current.model is not None and is_modelkit_reference(current.model.path):
        ref_text = current.model.path
        if ref_text in seen:
            raise InvalidInput(f"found cycle in modelkit references: [{'=>'.join([*seen, ref_text])}]")
        if len(seen) >= MAX_MODEL_REF_CHAIN:
            raise InvalidInput(f"reached maximum number of model references: [{'=>'.join(seen)}]")
        seen.append(ref_text)
        try:
            parent = parse_reference(ref_text)
            _desc, _manifest, current = load_parent_kit(store, parent, child)
            child = parent
        except NotFound as exc:
            raise NotFound(
                f"parent ModelKit {ref_text} (model.path) is not in the local store; pull it first"
            ) from exc
        if current.model is not None:
            if current.model.path and not is_modelkit_reference(current.model.path):
                paths.append(current.model.path)
            paths.extend(part.path for part in current.model.parts)
    return paths


def _load(
    context: Path, kitfile_path: str | os.PathLike[str] | None, kitfile_text: str | None
) -> tuple[Kitfile, list[str]]:
    """Read and validate the Kitfile; errors raise before anything is written, warnings are returned.

    A relative ``kitfile_path`` is resolved against the context directory: kit chdirs there first.
    """
    if kitfile_text is not None:
        source = "<kitfile text>"
        kf = load_kitfile(kitfile_text, source=source)
    else:
        path = context / kitfile_path if kitfile_path is not None else find_kitfile(context)
        if path is None:
            raise NotFound(f"no Kitfile found in {context} (Kitfile, kitfile or .kitfile)")
        source = str(path)
        kf = load_kitfile_file(path)
    problems = validate_kitfile(kf, context)
    if any(p.severity == "error" for p in problems):
        raise KitfileError(problems, source=source)
    return kf, [str(p) for p in problems]


@dataclass
class Plan:
    """What packing would do, with nothing written: the validated Kitfile, the layer walk, the
    warnings, each layer's files and whether it is unchanged since the last pack, and every file the
    layers would carry that looks like a secret (``docs/kit-format.md`` describes the layers)."""

    kitfile: Kitfile
    layers: PackPlan
    warnings: list[str]
    planned: list[PlannedLayer]
    secrets: list[SecretFinding]
    cache_keys: list[LayerKey]
    cache_hits: list[CachedLayer | None]  # stat-cache hits (pack re-checks that the blob is stored)


def plan_pack(
    context_dir: str | os.PathLike[str],
    *,
    kitfile_path: str | os.PathLike[str] | None = None,
    kitfile_text: str | None = None,
    compression: str = "none",
    store: LocalStore | None = None,
    stat_cache: StatCache | None = None,
    allow_kitlab_only_names: bool = False,
) -> Plan:
    """The one plan: check the options, load and validate the Kitfile, walk its layers, look up the
    stat cache and look for secrets; nothing is written. Errors raise; warnings are returned.

    ``store`` is only read: for the parent chain named by ``model.path`` and for whether an
    unchanged layer's blob is still there. ``allow_kitlab_only_names`` packs names containing ``..``,
    which kit cannot unpack (``plan_layers``).
    """
    context = Path(context_dir)
    if not context.is_dir():
        raise NotFound(f"context directory {context} does not exist")
    if compression not in ("none", "zstd", *_GZIP_LEVELS):
        raise InvalidInput(f"unsupported compression {compression!r} (none, gzip, gzip-fastest, zstd)")
    store = store or LocalStore()
    cache = stat_cache or StatCache.for_home(store.home)
    kf, warnings = _load(context, kitfile_path, kitfile_text)
    # A parent-kit reference in model.path yields no model layer; the parents' paths are excluded.
    plan = plan_layers(
        kf,
        context,
        extra_layer_paths=_parent_layer_paths(store, kf),
        allow_kitlab_only_names=allow_kitlab_only_names,
    )
    plan.raise_for_errors()
    warnings += [f"{w.field}: {w.message}" for w in plan.warnings]
    if compression == "zstd":
        warnings.append("compression: zstd layers need kit 1.15 or later; kit 1.7 to 1.14 cannot unpack them")
    keys = [layer_cache_key(layer, compression) for layer in plan.layers]
    hits: list[CachedLayer | None] = []
    for key in keys:
        hit = cache.get(key)
        hits.append(hit if hit is not None and store.has_blob(hit.digest) else None)
    planned = [
        PlannedLayer(
            kind=layer.kind,
            path=layer.path,
            files=[e.name for e in layer.entries if not e.is_dir],
            size=layer.size,
            unchanged=hit is not None,
            digest=hit.digest if hit else "",
        )
        for layer, hit in zip(plan.layers, hits, strict=True)
    ]
    return Plan(kf, plan, warnings, planned, find_layer_secrets(plan), keys, hits)


def plan_to_write(
    context_dir: str | os.PathLike[str],
    *,
    kitfile_path: str | os.PathLike[str] | None,
    kitfile_text: str | None,
    compression: str,
    store: LocalStore,
    stat_cache: StatCache,
    allow_secrets: bool,
    allow_kitlab_only_names: bool,
    use_model_pack: bool,
) -> tuple[Plan, list[str]]:
    """``plan_pack`` for pack and pack-and-push, which write what it plans: files that look like
    secrets stop it (``SecretsInLayers``) unless ``allow_secrets``, and a ModelPack's layers must suit
    one. Returns the plan and its warnings, each allowed secret among them."""
    planned = plan_pack(
        context_dir,
        kitfile_path=kitfile_path,
        kitfile_text=kitfile_text,
        compression=compression,
        store=store,
        stat_cache=stat_cache,
        allow_kitlab_only_names=allow_kitlab_only_names,
    )
    allowed = refuse_secrets(planned.secrets, allow=allow_secrets)
    if use_model_pack:
        check_modelpack(planned.kitfile, planned.layers.layers)
    return planned, planned.warnings + allowed


def pack(
    context_dir: str | os.PathLike[str],
    *,
    kitfile_path: str | os.PathLike[str] | None = None,
    kitfile_text: str | None = None,
    tags: Sequence[str] = (),
    compression: str = "none",
    store: LocalStore | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    cli_version: str = DEFAULT_CLI_VERSION,
    annotations: Mapping[str, str] | None = None,
    stat_cache: StatCache | None = None,
    allow_secrets: bool = False,
    allow_kitlab_only_names: bool = False,
    use_model_pack: bool = False,
    model_facts: ModelFacts | None = None,
) -> PackResult:
    """Pack ``context_dir`` into the local store; see the module docstring for failure semantics.

    The Kitfile is ``kitfile_text`` (kit's ``-f -``), else ``kitfile_path`` (relative to the context,
    like kit's ``-f``), else the context's ``Kitfile``/``kitfile``/``.kitfile``. ``plan_pack`` is the
    same walk with nothing written.

    ``tags`` are kit ``-t`` references (``repo:tag[,tag2…]``, registry defaults to ``localhost``); a
    reference without tag stores the kit untagged in that repo (kit v1.7.0) and no tags at all store it
    untagged in ``localhost/_``. A ModelKit reference in ``model.path`` is kept verbatim and produces no
    model layer; the parent chain must be in the local store, and its model/part paths are excluded
    from this kit's layers (as kit does).

    A kit whose layers would carry a file that looks like a secret is refused (``SecretsInLayers``,
    before anything is written) unless ``allow_secrets``.

    ``use_model_pack`` writes a CNCF ModelPack (kit's ``--use-model-pack``; ``modelpack.py``) whose
    config carries ``model_facts``, what the scanner read from the model's files.
    """
    refs = [parse_reference(t) for t in tags]
    for ref in refs:
        if ref.digest:
            raise InvalidInput(f"cannot pack to a digest reference ({ref.display()})")
        for tag in ref.extra_tags:
            validate_tag(tag)
    store = store or LocalStore()
    cache = stat_cache or StatCache.for_home(store.home)
    planned, warnings = plan_to_write(
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
    kf, plan = planned.kitfile, planned.layers
    keys, hits = planned.cache_keys, planned.cache_hits
    artifact_format: ArtifactFormat = "modelpack" if use_model_pack else "kit"

    count = len(plan.layers)
    packed: list[PackedLayer] = []
    for index, (layer, key, hit) in enumerate(zip(plan.layers, keys, hits, strict=True)):
        if cancel is not None:
            cancel.check()
        item = layer.path

        def report(done: int, *, _i: int = index, _item: str = item, _total: int = layer.size) -> None:
            progress(ProgressEvent("write", _item, _i, count, done, _total))

        if hit is None:
            report(0)
            result = _write_layer(store, layer, compression, cancel, report)
            cache.put(key, result)
        else:
            result = hit
        report(layer.size)
        packed.append(
            record_layer(
                kf, layer, compression, result, cached=hit is not None, artifact_format=artifact_format
            )
        )

    if cancel is not None:
        cancel.check()
    artifact = build_kit(
        kf, packed, cli_version, annotations, use_model_pack=use_model_pack, model_facts=model_facts
    )
    config = store.put_blob_bytes(artifact.config_bytes, media_type=artifact.config.media_type)
    manifest_bytes = artifact.manifest_bytes
    cache.save()
    if cancel is not None:
        cancel.check()

    targets = [(r.repo_key, r.tags) for r in refs] or [(UNTAGGED_REPO, [])]
    desc = None
    for repo_key, repo_tags in targets:
        desc = store.add_manifest(repo_key, manifest_bytes, repo_tags, media_type=OCI_MANIFEST)
    assert desc is not None
    return PackResult(
        reference=refs[0].display() if refs else None,
        manifest_digest=desc.digest,
        config_digest=config.digest,
        layers=packed,
        warnings=warnings,
        plan=planned.planned,
        manifest_size=desc.size,
        repositories=[t[0] for t in targets],
    )
