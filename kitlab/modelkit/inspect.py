"""Reading a kit from the local store: ``load_kit`` (its Kitfile, drafted for ModelKit-spec kits as kit
does) and ``kit inspect`` (manifest digest, the CLI version that packed it, Kitfile and manifest)."""

from __future__ import annotations

from typing import Any

from kitlab.errors import InvalidInput, NotFound
from kitlab.kitfile.boundedjson import loads_bounded
from kitlab.kitfile.config import MAX_CONFIG_BYTES
from kitlab.kitfile.model import CodeEntry, DatasetEntry, DocsEntry, Kitfile, LayerInfo, Model, ModelPart
from kitlab.modelkit.manifest import MAX_MANIFEST_BYTES, Descriptor, Manifest, NoKitfile
from kitlab.modelkit.mediatypes import CLI_VERSION_ANNOTATION, FILEPATH_ANNOTATION, parse_layer_media_type
from kitlab.modelkit.reference import Reference
from kitlab.modelkit.store import LocalStore

# kit follows a chain of parent kits (model.path naming another kit) at most this deep.
MAX_MODEL_REF_CHAIN = 10


def inspect_kit(store: LocalStore, ref: Reference | str) -> dict[str, Any]:
    """The same JSON shape as ``kit inspect`` (``cliVersion`` is ``unknown`` without the annotation)."""
    desc = store.resolve(ref)
    parsed = store.get_manifest(desc)  # bounded parse first: a hostile manifest is refused here
    manifest = loads_bounded(store.get_manifest_bytes(desc), what="manifest", max_bytes=MAX_MANIFEST_BYTES)
    config = loads_bounded(store.get_config_bytes(parsed), what="config", max_bytes=MAX_CONFIG_BYTES)
    return {
        "digest": desc.digest,
        "cliVersion": (manifest.get("annotations") or {}).get(CLI_VERSION_ANNOTATION, "unknown"),
        "kitfile": config,
        "manifest": manifest,
    }


def kitfile_for_modelpack(manifest: Manifest) -> Kitfile:
    """kit's ``GenerateKitfileForModelPack``: a minimal Kitfile from the layers' file-path annotations
    (first weight layer = model, further weights and weight configs = parts)."""
    kf = Kitfile(manifest_version="1.0.0", model=Model())
    assert kf.model is not None
    for desc in manifest.layers:
        path = (desc.annotations or {}).get(FILEPATH_ANNOTATION, "")
        if not path:
            raise InvalidInput(f"unknown file path for layer: no {FILEPATH_ANNOTATION} annotation")
        info = LayerInfo(digest=desc.digest)
        kind = parse_layer_media_type(desc.media_type).kind
        if kind == "model" and not kf.model.path:
            kf.model.path, kf.model.layer = path, info
        elif kind in ("model", "modelpart"):
            kf.model.parts.append(ModelPart(path=path, layer=info))
        elif kind == "code":
            kf.code.append(CodeEntry(path=path, layer=info))
        elif kind == "dataset":
            kf.datasets.append(DatasetEntry(path=path, layer=info))
        elif kind == "docs":
            kf.docs.append(DocsEntry(path=path, layer=info))
        else:
            raise InvalidInput(f"unknown layer type: {desc.media_type}")
    return kf


def load_kit(store: LocalStore, ref: Reference) -> tuple[Descriptor, Manifest, Kitfile]:
    """Resolve ``ref`` locally and return (descriptor, manifest, Kitfile)."""
    desc = store.resolve(ref)
    manifest = store.get_manifest(desc)
    try:
        kitfile = store.get_config(manifest)
    except NoKitfile:
        kitfile = kitfile_for_modelpack(manifest)
    return desc, manifest, kitfile


def load_parent_kit(
    store: LocalStore, parent: Reference, child: Reference | None
) -> tuple[Descriptor, Manifest, Kitfile]:
    """``load_kit`` for a parent named in a child's ``model.path``. kit pulls a child's parents into
    the child's repository (under the parent's tag or digest), so a parent not in its own repository
    is looked for there too (docs/kit-format.md, "Parent kits")."""
    try:
        return load_kit(store, parent)
    except NotFound:
        if child is None or child.repo_key == parent.repo_key:
            raise
        filed = Reference(child.registry, child.repository, tag=parent.tag, digest=parent.digest)
        try:
            found = load_kit(store, filed)
        except NotFound:
            raise NotFound(f"model {parent.display()} not found") from None
        return found
