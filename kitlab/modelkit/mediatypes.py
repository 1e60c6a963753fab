"""Media types of ModelKit and CNCF ModelPack artifacts, as kit writes and parses them.

Parsing follows kit's ``pkg/lib/constants/mediatype`` regexes (Go RE2 ``\\w`` is ASCII-only, hence
``re.ASCII``). ModelPack base names are mapped onto kit's kinds: ``weight`` → ``model``,
``weight.config`` → ``modelpart``, ``doc`` → ``docs``.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from kitlab.errors import InvalidInput

KIT_CONFIG = "application/vnd.kitops.modelkit.config.v1+json"
KIT_MANIFEST_ARTIFACT_TYPE = "application/vnd.kitops.modelkit.manifest.v1+json"
MODELPACK_CONFIG = "application/vnd.cncf.model.config.v1+json"
MODELPACK_MANIFEST_ARTIFACT_TYPE = "application/vnd.cncf.model.manifest.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"

# Layer annotations kit uses.
LAYER_SUBTYPE_ANNOTATION = "ml.kitops.modelkit.layer-subtype"
LAYER_SUBTYPE_PROMPT = "prompt"
FILEPATH_ANNOTATION = "org.cncf.model.filepath"
CLI_VERSION_ANNOTATION = "ml.kitops.modelkit.cli-version"
KITFILE_ANNOTATION = "ml.kitops.modelkit.kitfile"

Kind = Literal["model", "modelpart", "code", "dataset", "docs", "mcpb"]
Compression = Literal["none", "gzip", "zstd"]
ArtifactFormat = Literal["kit", "modelpack"]

KINDS: tuple[str, ...] = ("model", "modelpart", "code", "dataset", "docs", "mcpb")
# kit accepts "gzip-fastest" as a pack option; it writes the same "+gzip" media type.
COMPRESSIONS: tuple[str, ...] = ("none", "gzip", "zstd")

# Go's "$" (without (?m)) only matches at the very end; Python's also matches before a final "\n": use \Z.
_KIT_RE = re.compile(r"^application/vnd\.kitops\.modelkit\.(\w+)\.v1\.(\w+)(?:\+(\w+))?\Z", re.ASCII)
_MODELPACK_RE = re.compile(
    r"^application/vnd\.cncf\.model\.(\w+(?:\.\w+)?)\.v1\.(\w+)(?:\+(\w+))?\Z", re.ASCII
)

_MODELPACK_TO_KIND = {
    "weight": "model",
    "weight.config": "modelpart",
    "dataset": "dataset",
    "code": "code",
    "doc": "docs",
}
_KIND_TO_MODELPACK = {kind: base for base, kind in _MODELPACK_TO_KIND.items()}
# kit's ParseCompression: "" and "none" both mean uncompressed.
_SUFFIX_TO_COMPRESSION = {"": "none", "none": "none", "gzip": "gzip", "zstd": "zstd"}


class LayerMediaType(NamedTuple):
    format: ArtifactFormat
    kind: str
    compression: str
    raw: bool


def parse_layer_media_type(media_type: str) -> LayerMediaType:
    """Split a layer media type into ``(format, kind, compression, raw)``.

    Raises ``InvalidInput`` for anything kit itself would refuse to parse.
    """
    kit = _KIT_RE.match(media_type)
    if kit:
        base, layer_format, suffix = kit.group(1), kit.group(2), kit.group(3) or ""
        if base not in KINDS:
            raise InvalidInput(f"unknown ModelKit layer type {base!r} in media type {media_type!r}")
        compression = _compression(suffix, media_type)
        return LayerMediaType("kit", base, compression, _is_raw(layer_format, media_type))
    pack = _MODELPACK_RE.match(media_type)
    if pack:
        base, layer_format, suffix = pack.group(1), pack.group(2), pack.group(3) or ""
        kind = _MODELPACK_TO_KIND.get(base)
        if kind is None:
            raise InvalidInput(f"unknown ModelPack layer type {base!r} in media type {media_type!r}")
        compression = _compression(suffix, media_type)
        raw = _is_raw(layer_format, media_type)
        if raw and compression != "none":
            raise InvalidInput(f"ModelPack raw layers cannot be compressed: {media_type!r}")
        return LayerMediaType("modelpack", kind, compression, raw)
    raise InvalidInput(f"unrecognized media type {media_type!r}")


def layer_media_type(
    kind: str, compression: str = "none", *, raw: bool = False, artifact_format: ArtifactFormat = "kit"
) -> str:
    """The media type kit writes for a layer of ``kind`` ("prompt" layers are ``code`` layers)."""
    if compression == "gzip-fastest":
        compression = "gzip"
    if compression not in COMPRESSIONS:
        raise InvalidInput(f"unsupported compression {compression!r}")
    if kind == "prompt":
        kind = "code"
    layer_format = "raw" if raw else "tar"
    suffix = "" if compression == "none" else f"+{compression}"
    if artifact_format == "modelpack":
        base = _KIND_TO_MODELPACK.get(kind)
        if base is None:
            raise InvalidInput(f"layer kind {kind!r} has no ModelPack media type")
        if raw and suffix:
            raise InvalidInput("ModelPack raw layers cannot be compressed")
        return f"application/vnd.cncf.model.{base}.v1.{layer_format}{suffix}"
    if kind not in KINDS:
        raise InvalidInput(f"unknown layer kind {kind!r}")
    return f"application/vnd.kitops.modelkit.{kind}.v1.{layer_format}{suffix}"


def is_prompt_layer(annotations: dict[str, str] | None) -> bool:
    """Prompts travel as code layers marked with kit's layer-subtype annotation."""
    return annotations is not None and annotations.get(LAYER_SUBTYPE_ANNOTATION) == LAYER_SUBTYPE_PROMPT


def _compression(suffix: str, media_type: str) -> str:
    compression = _SUFFIX_TO_COMPRESSION.get(suffix)
    if compression is None:
        raise InvalidInput(f"unsupported compression {suffix!r} in media type {media_type!r}")
    return compression


def _is_raw(layer_format: str, media_type: str) -> bool:
    if layer_format not in ("tar", "raw"):
        raise InvalidInput(f"unknown layer format {layer_format!r} in media type {media_type!r}")
    return layer_format == "raw"
