"""``kit diff A B``: what differs between two kits, local or on a registry, without pulling layers.

As kit: a reference prefixed ``local://`` is read from the local store, ``remote://`` from its registry,
and an unprefixed one from the local store first, then its registry. Beyond kit's shared/unique layer
lists, the result matches layers by kind and path (the ``org.cncf.model.filepath`` annotation kit >= 1.10
writes, else the Kitfile entry that records the layer's digest) and says which were added, removed,
changed (same kind and path, another digest) or unchanged; and which Kitfile fields differ.
Only manifests and configs are read: a few KB per kit, bounded as everywhere else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from kitlab.apijson import to_api
from kitlab.errors import InvalidInput, NotFound
from kitlab.kitfile import from_config_json, go_clean, kitfile_to_dict
from kitlab.kitfile.model import Kitfile
from kitlab.modelkit.inspect import kitfile_for_modelpack, load_kit
from kitlab.modelkit.manifest import Descriptor, Manifest, NoKitfile
from kitlab.modelkit.mediatypes import (
    FILEPATH_ANNOTATION,
    is_prompt_layer,
    layer_media_type,
    parse_layer_media_type,
)
from kitlab.modelkit.pack import plan_pack
from kitlab.modelkit.pull import get_remote_manifest
from kitlab.modelkit.reference import DEFAULT_REGISTRY, parse_reference
from kitlab.modelkit.registry import Remote
from kitlab.modelkit.remotekits import remote_kitfile_json
from kitlab.modelkit.store import LocalStore

LOCAL_PREFIX = "local://"
REMOTE_PREFIX = "remote://"
# Kitfile field differences reported at most; ``kitfile_truncated`` says when there were more.
MAX_FIELD_CHANGES = 500

LayerStatus = Literal["added", "removed", "changed", "unchanged"]
FieldStatus = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class KitSide:
    """One of the two kits: where it was read, its manifest and config digests and format."""

    reference: str
    source: Literal["local", "remote", "workspace"]
    digest: str
    config_digest: str
    format: str
    size: int  # the layers' bytes, as ``kit list`` shows SIZE


@dataclass(frozen=True)
class LayerVersion:
    digest: str
    size: int
    media_type: str


@dataclass(frozen=True)
class LayerChange:
    """A layer of either kit, matched by ``kind`` and ``path`` (None on the side that lacks it)."""

    kind: str
    path: str
    status: LayerStatus  # "changed" also when the workspace's digest is unknown (diff_workspace)
    a: LayerVersion | None
    b: LayerVersion | None


@dataclass(frozen=True)
class FieldChange:
    """A Kitfile field (``package.version``, ``datasets[data/train.csv].license``) that differs."""

    field: str
    status: FieldStatus
    a: Any = None
    b: Any = None


@dataclass
class KitDiff:
    a: KitSide
    b: KitSide
    identical: bool  # the same manifest digest: nothing differs
    same_config: bool
    annotations_match: bool
    layers: list[LayerChange] = field(default_factory=list)
    kitfile: list[FieldChange] = field(default_factory=list)
    kitfile_truncated: bool = False

    def count(self, status: LayerStatus) -> int:
        return sum(1 for layer in self.layers if layer.status == status)

    def to_api(self) -> dict[str, Any]:
        """The JSON of ``kitlab diff --format json`` and of the server's ``GET /kitlab/diff``: the
        fields by the shared convention plus ``summary``. ``kitfile`` is converted on its own: under
        that key ``to_api`` keeps a Kitfile verbatim, and here it holds the list of field changes (whose
        ``a`` and ``b`` are scalar leaves, so nothing of the Kitfile's own names is renamed)."""
        statuses: tuple[LayerStatus, ...] = ("added", "removed", "changed", "unchanged")
        return {
            **to_api(replace(self, kitfile=[])),
            "summary": {status: self.count(status) for status in statuses},
            "kitfile": to_api(self.kitfile),
        }


@dataclass
class _Kit:
    side: KitSide
    manifest: Manifest
    kitfile: Kitfile


def diff_kits(a: str, b: str, *, store: LocalStore | None = None, remote: Remote | None = None) -> KitDiff:
    """Compare kit ``a`` (the old one) with kit ``b`` (the new one); see the module docstring."""
    store = store or LocalStore()
    kit_a, kit_b = _load(a, store, remote), _load(b, store, remote)
    fields, truncated = _kitfile_changes(kit_a.kitfile, kit_b.kitfile)
    return KitDiff(
        a=kit_a.side,
        b=kit_b.side,
        identical=kit_a.side.digest == kit_b.side.digest,
        same_config=kit_a.side.config_digest == kit_b.side.config_digest,
        annotations_match=kit_a.manifest.annotations == kit_b.manifest.annotations,
        layers=_layer_changes(_keyed_layers(kit_a), _keyed_layers(kit_b)),
        kitfile=fields,
        kitfile_truncated=truncated,
    )


def diff_workspace(
    kit: str,
    context_dir: str | os.PathLike[str],
    *,
    kitfile_path: str | os.PathLike[str] | None = None,
    store: LocalStore | None = None,
    remote: Remote | None = None,
    name: str | None = None,
) -> KitDiff:
    """What would change if ``context_dir`` were packed (and pushed) now, against ``kit`` (the last
    packed or pushed one, local or remote): ``b`` is the workspace, from ``plan_pack`` alone, named
    ``name`` (the server passes the folder's path under its root, never the absolute one).

    Nothing is hashed: a layer whose files the stat cache knows unchanged since kitlab last packed them
    has that pack's digest; any other layer of the workspace has none (``b.digest`` is ""), and counts
    as changed when the kit has it. A workspace kitlab never packed therefore shows every layer changed.
    """
    store = store or LocalStore()
    old = _load(kit, store, remote)
    compression = _compression_of(old.manifest)
    plan = plan_pack(context_dir, kitfile_path=kitfile_path, compression=compression, store=store)
    layers: dict[tuple[str, str], Descriptor] = {}
    for layer, planned in zip(plan.layers.layers, plan.planned, strict=True):
        raw = layer.kind == "mcpb"
        media_type = layer_media_type(layer.kind, "none" if raw else compression, raw=raw)
        key = (layer.kind, go_clean(layer.path))
        while key in layers:
            key = (key[0], key[1] + "'")
        # A layer known unchanged has its blob in the store: its size is the packed layer's, comparable
        # with the kit's; any other layer's is its files' bytes (the tar adds headers).
        size = (
            store.blob_path(planned.digest).stat().st_size
            if planned.digest and store.has_blob(planned.digest)
            else planned.size
        )
        layers[key] = Descriptor(media_type, planned.digest, size)
    fields, truncated = _kitfile_changes(old.kitfile, plan.kitfile)
    total = sum(desc.size for desc in layers.values())
    new = KitSide(name if name is not None else str(context_dir), "workspace", "", "", old.side.format, total)
    return KitDiff(
        a=old.side,
        b=new,
        identical=False,
        same_config=False,
        annotations_match=False,
        layers=_layer_changes(_keyed_layers(old), layers),
        kitfile=fields,
        kitfile_truncated=truncated,
    )


def _compression_of(manifest: Manifest) -> str:
    """The compression of the kit's tar layers (kit packs every layer alike), for a comparable plan."""
    for desc in manifest.layers:
        try:
            parsed = parse_layer_media_type(desc.media_type)
        except InvalidInput:
            continue
        if not parsed.raw:
            return parsed.compression
    return "none"


# ------------------------------------------------------------------------------------------ loading
def _load(text: str, store: LocalStore, remote: Remote | None) -> _Kit:
    if text.startswith(REMOTE_PREFIX):
        return _load_remote(text.removeprefix(REMOTE_PREFIX), remote)
    local_only = text.startswith(LOCAL_PREFIX)
    name = text.removeprefix(LOCAL_PREFIX)
    ref = parse_reference(name)
    try:
        desc, manifest, kitfile = load_kit(store, ref)
    except NotFound:
        if local_only or ref.registry == DEFAULT_REGISTRY:
            raise
        return _load_remote(name, remote)
    side = KitSide(name, "local", desc.digest, manifest.config.digest, manifest.format, manifest.layers_size)
    return _Kit(side, manifest, kitfile)


def _load_remote(name: str, remote: Remote | None) -> _Kit:
    ref = parse_reference(name)
    if ref.registry == DEFAULT_REGISTRY:
        raise InvalidInput(f"{name}: a remote kit needs a registry host, e.g. registry.example.com/repo:tag")
    with (remote or Remote()).client(ref) as client:
        kit = get_remote_manifest(client, ref)
        data = remote_kitfile_json(client, kit)
    manifest = kit.manifest
    kitfile = from_config_json(data) if data is not None else _drafted_kitfile(manifest)
    side = KitSide(name, "remote", kit.digest, manifest.config.digest, manifest.format, manifest.layers_size)
    return _Kit(side, manifest, kitfile)


def _drafted_kitfile(manifest: Manifest) -> Kitfile:
    """A ModelPack without a Kitfile annotation (another tool's): kit's drafted Kitfile, or an empty one
    when its layers carry no paths."""
    try:
        return kitfile_for_modelpack(manifest)
    except (NoKitfile, InvalidInput):
        return Kitfile()


# ------------------------------------------------------------------------------------------- layers
def _kitfile_layers(kf: Kitfile) -> list[tuple[str, str, str]]:
    """(kind, path, digest) of every Kitfile entry that recorded a layer."""
    out: list[tuple[str, str, str]] = []
    entries: list[tuple[str, Any]] = []
    if kf.model is not None:
        entries.append(("model", kf.model))
        entries += [("modelpart", part) for part in kf.model.parts]
    entries += [("code", e) for e in kf.code] + [("dataset", e) for e in kf.datasets]
    entries += [("docs", e) for e in kf.docs] + [("prompt", e) for e in kf.prompts]
    entries += [("mcpb", e) for e in kf.mcp_servers]
    for kind, entry in entries:
        if entry.layer is not None and entry.layer.digest:
            out.append((kind, entry.path, entry.layer.digest))
    return out


def _layer_kind(desc: Descriptor) -> str:
    try:
        kind = parse_layer_media_type(desc.media_type).kind
    except InvalidInput:
        return "unknown"
    return "prompt" if kind == "code" and is_prompt_layer(dict(desc.annotations or {})) else kind


def _keyed_layers(kit: _Kit) -> dict[tuple[str, str], Descriptor]:
    """Each layer under (kind, cleaned path); a layer whose path neither the annotation nor the Kitfile
    gives is keyed by its position among the layers of its kind (``#1``, ``#2``…)."""
    recorded = _kitfile_layers(kit.kitfile)
    keyed: dict[tuple[str, str], Descriptor] = {}
    seen: dict[str, int] = {}
    for desc in kit.manifest.layers:
        kind = _layer_kind(desc)
        seen[kind] = seen.get(kind, 0) + 1
        path = (desc.annotations or {}).get(FILEPATH_ANNOTATION, "")
        if not path:
            for i, (entry_kind, entry_path, digest) in enumerate(recorded):
                # A ModelPack from another tool has only weights: its Kitfile calls further ones parts.
                same_kind = entry_kind == kind or {entry_kind, kind} == {"model", "modelpart"}
                if digest == desc.digest and same_kind:
                    path = entry_path
                    del recorded[i]
                    break
        key = (kind, go_clean(path) if path else f"#{seen[kind]}")
        while key in keyed:  # two layers of one path (kit accepts `src` and `./src`): keep both
            key = (key[0], key[1] + "'")
        keyed[key] = desc
    return keyed


def _version(desc: Descriptor | None) -> LayerVersion | None:
    return LayerVersion(desc.digest, desc.size, desc.media_type) if desc is not None else None


def _layer_changes(
    a: dict[tuple[str, str], Descriptor], b: dict[tuple[str, str], Descriptor]
) -> list[LayerChange]:
    changes = []
    for key in [*a, *(k for k in b if k not in a)]:
        old, new = a.get(key), b.get(key)
        status: LayerStatus
        if old is None:
            status = "added"
        elif new is None:
            status = "removed"
        else:
            status = "unchanged" if old.digest == new.digest else "changed"
        changes.append(LayerChange(key[0], key[1], status, _version(old), _version(new)))
    return changes


# ------------------------------------------------------------------------------------------ Kitfile
def _leaves(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """Scalar leaves of the Kitfile dict with their field paths. List items that are entries with a path
    are named by it (``code[src]``), so inserting an entry does not shift every later one."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value:
        paths = [item.get("path") if isinstance(item, dict) else None for item in value]
        by_path = all(isinstance(p, str) for p in paths) and len(set(paths)) == len(paths)
        for index, item in enumerate(value):
            yield from _leaves(item, f"{prefix}[{paths[index] if by_path else index}]")
    else:
        yield prefix, value


def _kitfile_changes(a: Kitfile, b: Kitfile) -> tuple[list[FieldChange], bool]:
    old = dict(_leaves(kitfile_to_dict(a), ""))
    new = dict(_leaves(kitfile_to_dict(b), ""))
    changes: list[FieldChange] = []
    for key in [*old, *(k for k in new if k not in old)]:
        if key in old and key in new:
            if old[key] == new[key] and type(old[key]) is type(new[key]):
                continue
            change = FieldChange(key, "changed", old[key], new[key])
        elif key in old:
            change = FieldChange(key, "removed", a=old[key])
        else:
            change = FieldChange(key, "added", b=new[key])
        if len(changes) == MAX_FIELD_CHANGES:
            return changes, True
        changes.append(change)
    return changes, False
