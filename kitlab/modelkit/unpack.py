"""``kit unpack`` from the local store, with kit's semantics and kit's ``--filter`` syntax
(docs/kit-format.md, "Unpack" and "Filters").

Layers map to Kitfile entries by per-kind counters in manifest order; an entry's recorded digest must
equal the layer's. The Kitfile written is kit's YAML re-serialization of the config, not the original
bytes. Extraction goes through ``safe_extract`` (regular files and directories only, confined to the
target, atomic per file) into a staging folder inside the destination that is moved into place only
when every layer verified (docs/hardening.md): a refused entry, a corrupt blob or a cancel leaves the
destination as it was. A layer may only write its own Kitfile entry's path, never a ``.git`` folder.
Classic ModelKits and CNCF ModelPacks (Kitfile from the manifest annotation,
or rebuilt from ``org.cncf.model.filepath`` layer annotations) are both read, with ``tar``,
``tar+gzip`` and ``tar+zstd`` layers. Parent kits named in ``model.path`` are unpacked first (their
model and parts only), from the local store: in their own repository, or in the child's, where kit
files the parents it pulls.
"""

from __future__ import annotations

import io
import os
import posixpath
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kitlab.errors import Conflict, InvalidInput, PathOutsideRoot
from kitlab.kitfile import dump_kitfile_yaml
from kitlab.kitfile.model import Kitfile, LayerInfo
from kitlab.modelkit.inspect import MAX_MODEL_REF_CHAIN, load_kit, load_parent_kit
from kitlab.modelkit.manifest import FORMAT_MODELPACK
from kitlab.modelkit.mediatypes import is_prompt_layer, parse_layer_media_type
from kitlab.modelkit.reference import Reference, is_modelkit_reference, parse_reference
from kitlab.modelkit.safe_extract import (
    ExtractLimits,
    Staging,
    is_git_path,
    open_layer_stream,
    safe_extract,
    safe_write_file,
)
from kitlab.modelkit.store import LocalStore, require_tag_or_digest
from kitlab.progress import CancelToken, ProgressEvent, ProgressFn, no_progress

KITFILE_NAME = "Kitfile"
# kit's filter names → layer base types ("kitfile" selects the config only).
_FILTER_TYPES = {"kitfile": "config", "model": "model", "datasets": "dataset", "code": "code", "docs": "docs"}


@dataclass
class FilterConf:
    """One ``--filter TYPES[:IDS]``: ``base_types`` from TYPES, ``ids`` matched exactly by name/path."""

    base_types: list[str]
    ids: list[str] = field(default_factory=list)

    def matches_base_type(self, base_type: str) -> bool:
        if base_type == "modelpart":
            base_type = "model"
        return base_type in self.base_types

    def matches(self, base_type: str, value: str) -> bool:
        return self.matches_base_type(base_type) and (not self.ids or value in self.ids)


def parse_filter(text: str) -> FilterConf:
    """kit's ``parseFilter``: ``model``, ``datasets:train``, ``model,docs:./README.md`` …"""
    types_and_ids = text.split(":")
    if len(types_and_ids) > 2:
        raise InvalidInput("invalid filter: should be in format <type1>,<type2>[:<filter1>,<filter2>]")
    base_types = []
    for name in types_and_ids[0].split(","):
        if name not in _FILTER_TYPES:
            raise InvalidInput(
                f"invalid filter type {name} "
                "(must be one of 'kitfile', 'model', 'datasets', 'code', or 'docs')"
            )
        base_types.append(_FILTER_TYPES[name])
    ids = types_and_ids[1].split(",") if len(types_and_ids) == 2 else []
    return FilterConf(base_types, ids)


def parse_filters(filters: Iterable[str]) -> list[FilterConf]:
    return [parse_filter(f) for f in filters]


def _matches(filters: list[FilterConf], base_type: str, *values: str) -> bool:
    if not filters:
        return True
    return any(conf.matches(base_type, value) for conf in filters for value in values)


def _wants_kitfile(filters: list[FilterConf]) -> bool:
    return not filters or any("config" in conf.base_types for conf in filters)


@dataclass
class UnpackedLayer:
    kind: str
    path: str
    digest: str
    files: int
    bytes: int
    skipped_existing: list[str]
    refused: list[str] = field(default_factory=list)  # entries in a .git folder, not written


@dataclass
class UnpackResult:
    reference: str
    digest: str
    kitfile_written: bool
    layers: list[UnpackedLayer] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)

    @property
    def refused(self) -> list[str]:
        """Every entry left out because it lies in a ``.git`` folder (reported, never written)."""
        return [name for layer in self.layers for name in layer.refused]


class _EntryCursor:
    """kit's per-kind counters: the n-th layer of a kind belongs to the n-th entry of that kind."""

    def __init__(self, kitfile: Kitfile, modelpack: bool) -> None:
        self.kf = kitfile
        self.modelpack = modelpack
        self.counters = {"modelpart": 0, "code": 0, "dataset": 0, "docs": 0, "prompt": 0, "mcpb": 0}
        self.model_seen = False

    def next(self, kind: str) -> Any:
        kf = self.kf
        if kind == "model" and not (self.modelpack and self.model_seen):
            if kf.model is None:
                raise InvalidInput("the kit has a model layer but its Kitfile has no model")
            self.model_seen = True
            return kf.model
        if kind == "model":  # further ModelPack weight layers are parts
            kind = "modelpart"
        entries: dict[str, list[Any]] = {
            "modelpart": kf.model.parts if kf.model else [],
            "code": kf.code,
            "dataset": kf.datasets,
            "docs": kf.docs,
            "prompt": kf.prompts,
            "mcpb": kf.mcp_servers,
        }
        if kind not in entries:
            raise InvalidInput(f"layers of type {kind!r} cannot be unpacked by kitlab")
        index = self.counters[kind]
        self.counters[kind] += 1
        try:
            return entries[kind][index]
        except IndexError:
            raise InvalidInput(f"the kit has more {kind} layers than its Kitfile has entries") from None


def _write_kitfile(staging: Staging, kitfile: Kitfile, overwrite: bool) -> bool:
    """Stage ``Kitfile`` like kit: an identical existing file is fine; another one needs overwrite."""
    # The config's numbers went through JSON (float64 in kit), so 1000000 is written as kit's 1e+06.
    data = dump_kitfile_yaml(kitfile, json_numbers=True).encode("utf-8")
    st = staging.existing([KITFILE_NAME])
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise Conflict(f"failed to unpack config: path {KITFILE_NAME} exists and is not a regular file")
        if not overwrite:
            if _read_no_follow(staging.dest_fd, KITFILE_NAME, len(data) + 1) == data:
                return False
            raise Conflict("failed to unpack: Kitfile exists and does not match model's Kitfile")
    safe_write_file(io.BytesIO(data), staging, KITFILE_NAME, size=len(data), overwrite=True)
    return True


def _read_no_follow(dir_fd: int, name: str, limit: int) -> bytes:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(limit)


def _entry_path(entry_path: str) -> str:
    """The entry's path, cleaned, that its layer's files must lie under ('.' for the whole folder)."""
    clean = posixpath.normpath((entry_path or ".").strip())
    if clean.startswith("/") or clean == ".." or clean.startswith("../"):
        raise PathOutsideRoot(f"error resolving path {entry_path!r}: outside the unpack directory")
    return clean


def _legacy_subdir(entry_path: str) -> str:
    """Pre-1.0 kits name tar entries relative to the entry's parent directory."""
    clean = posixpath.normpath(entry_path or ".")
    if clean.startswith("/") or clean == ".." or clean.startswith("../"):
        raise PathOutsideRoot(f"error resolving path {entry_path!r}: outside the unpack directory")
    return posixpath.dirname(clean)


def unpack(
    ref: Reference | str,
    dest_dir: str | os.PathLike[str],
    *,
    store: LocalStore | None = None,
    filters: Iterable[str] = (),
    overwrite: bool = False,
    ignore_existing: bool = False,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    limits: ExtractLimits | None = None,
    root: Path | None = None,
) -> UnpackResult:
    """Unpack a kit from the local store into ``dest_dir`` (created if missing), all or nothing.

    With ``root`` (the server's workspace) the destination is opened from ``root`` without following
    symlinks, and that descriptor is used for the whole job.
    """
    store = store or LocalStore()
    reference = ref if isinstance(ref, Reference) else parse_reference(ref)
    parsed = parse_filters(filters)
    require_tag_or_digest(reference)
    load_kit(store, reference)  # an unknown or unreadable kit fails before the destination is touched
    with Staging(Path(dest_dir), root=root, overwrite=overwrite, ignore_existing=ignore_existing) as staging:
        result = _unpack(
            reference,
            staging,
            store,
            parsed,
            overwrite,
            ignore_existing,
            progress,
            cancel,
            limits,
            visited=[],
        )
        if cancel is not None:
            cancel.check()
        staging.commit()
    return result


def _parent_filters(filters: list[FilterConf]) -> list[FilterConf] | None:
    """kit: a parent contributes only model/parts; None means "nothing from the parent"."""
    if not filters:
        return [FilterConf(["model"])]
    reduced = [FilterConf(["model"], conf.ids) for conf in filters if conf.matches_base_type("model")]
    return reduced or None


def _reporter(
    progress: ProgressFn, item: str, index: int, count: int, total: int, consumed: Callable[[], int] | None
) -> Callable[[int], None]:
    """Progress as blob bytes consumed out of the layer size (file bytes for raw layers)."""
    done = 0

    def on_bytes(n: int) -> None:
        nonlocal done
        done = consumed() if consumed is not None else done + n
        progress(ProgressEvent("extract", item, index, count, min(done, total), total))

    return on_bytes


def _unpack(
    ref: Reference,
    dest: Staging,
    store: LocalStore,
    filters: list[FilterConf],
    overwrite: bool,
    ignore_existing: bool,
    progress: ProgressFn,
    cancel: CancelToken | None,
    limits: ExtractLimits | None,
    visited: list[str],
    child: Reference | None = None,
) -> UnpackResult:
    if len(visited) > MAX_MODEL_REF_CHAIN:
        raise InvalidInput(f"reached maximum number of model references: [{'=>'.join(visited)}]")
    require_tag_or_digest(ref)
    desc, manifest, kitfile = load_parent_kit(store, ref, child)
    result = UnpackResult(reference=ref.display(), digest=desc.digest, kitfile_written=False)

    if kitfile.model is not None and is_modelkit_reference(kitfile.model.path):
        parent = kitfile.model.path
        if parent in visited:
            cycle = "=>".join([*visited[visited.index(parent) :], parent])
            raise InvalidInput(f"found cycle in modelkit references: [{cycle}]")
        parent_filters = _parent_filters(filters)
        if parent_filters is not None:
            sub = _unpack(
                parse_reference(parent),
                dest,
                store,
                parent_filters,
                overwrite,
                ignore_existing,
                progress,
                cancel,
                limits,
                [*visited, parent],
                ref,
            )
            result.parents = [parent, *sub.parents]
            result.layers.extend(sub.layers)

    if _wants_kitfile(filters):
        result.kitfile_written = _write_kitfile(dest, kitfile, overwrite)

    cursor = _EntryCursor(kitfile, manifest.format == FORMAT_MODELPACK)
    count = len(manifest.layers)
    for index, layer_desc in enumerate(manifest.layers):
        media = parse_layer_media_type(layer_desc.media_type)
        kind = (
            "prompt"
            if media.kind == "code" and is_prompt_layer(dict(layer_desc.annotations or {}))
            else media.kind
        )
        entry = cursor.next(kind)
        filter_kind = "code" if kind == "prompt" else kind
        names = [entry.path] + ([entry.name] if getattr(entry, "name", "") else [])
        if not _matches(filters, filter_kind, *names):
            continue
        info: LayerInfo | None = entry.layer
        if info is not None:
            if info.digest != layer_desc.digest:
                raise InvalidInput(f"digest in config and manifest do not match in {media.kind}")
            subdir = ""
        else:
            subdir = _legacy_subdir(entry.path)
        within = _entry_path(entry.path)

        if media.raw:
            # kit ≥ 1.15 raw layer: the single file stored verbatim at the entry's path.
            if is_git_path(within.split("/")):
                result.layers.append(UnpackedLayer(kind, entry.path, layer_desc.digest, 0, 0, [], [within]))
                continue
            with (
                store.open_blob(layer_desc.digest) as blob,
                open_layer_stream(
                    blob, "none", limits, expected_digest=layer_desc.digest, declared_size=layer_desc.size
                ) as verified,
            ):
                written = safe_write_file(
                    verified,
                    dest,
                    within,
                    size=layer_desc.size,
                    overwrite=overwrite,
                    ignore_existing=ignore_existing,
                    cancel=cancel,
                    on_bytes=_reporter(progress, entry.path, index, count, layer_desc.size, None),
                )
            result.layers.append(
                UnpackedLayer(
                    kind,
                    entry.path,
                    layer_desc.digest,
                    int(written is not None),
                    written or 0,
                    [] if written is not None else [entry.path],
                )
            )
            continue
        with (
            store.open_blob(layer_desc.digest) as blob,
            open_layer_stream(
                blob,
                media.compression,
                limits,
                expected_digest=layer_desc.digest,
                declared_size=layer_desc.size,
            ) as tar,
        ):
            stats = safe_extract(
                tar,
                dest,
                subdir=subdir,
                within=within,
                overwrite=overwrite,
                ignore_existing=ignore_existing,
                limits=limits,
                cancel=cancel,
                on_bytes=_reporter(
                    progress, entry.path, index, count, layer_desc.size, lambda: tar.source_count
                ),
            )
        progress(ProgressEvent("extract", entry.path, index, count, layer_desc.size, layer_desc.size))
        result.layers.append(
            UnpackedLayer(
                kind,
                entry.path,
                layer_desc.digest,
                stats.files,
                stats.bytes,
                stats.skipped_existing,
                stats.refused,
            )
        )
    return result
