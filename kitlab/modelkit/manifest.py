"""OCI descriptors and ModelKit manifests: building kit v1.7.0's exact bytes, and parsing both formats.

Building follows docs/kit-format.md ("Manifest"): Go ``json.Marshal`` of ``ocispec.Manifest`` — keys
``schemaVersion``, ``config``, ``layers`` (``null`` when there are none), ``annotations`` (a Go map, so keys
sorted). Parsing is lenient like Go's ``encoding/json`` and detects the classic Kit format or CNCF ModelPack
(docs/kit-format.md, "ModelPack") by ``artifactType`` or config media type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kitlab.errors import InvalidInput, NotFound
from kitlab.kitfile.boundedjson import loads_bounded
from kitlab.kitfile.gojson import GoStruct, go_json_dumps
from kitlab.modelkit.mediatypes import (
    CLI_VERSION_ANNOTATION,
    KIT_MANIFEST_ARTIFACT_TYPE,
    MODELPACK_MANIFEST_ARTIFACT_TYPE,
)
from kitlab.modelkit.mediatypes import KIT_CONFIG as KIT_CONFIG_MEDIA_TYPE
from kitlab.modelkit.mediatypes import MODELPACK_CONFIG as MODELPACK_CONFIG_MEDIA_TYPE

OCI_INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
# The OCI distribution spec has registries accept manifests up to 4 MiB; a ModelKit's is a few KB.
MAX_MANIFEST_BYTES = 4 << 20
CREATED_ANNOTATION = "org.opencontainers.image.created"

# Standard OCI annotations a caller may add to a classic manifest (only when given).
OPTIONAL_OCI_ANNOTATIONS = frozenset(
    {
        "org.opencontainers.image.source",
        "org.opencontainers.image.revision",
        "org.opencontainers.image.title",
        "org.opencontainers.image.licenses",
        CREATED_ANNOTATION,
    }
)

FORMAT_KIT = "kit"
FORMAT_MODELPACK = "modelpack"


class NotAModelKit(InvalidInput):
    """The manifest is valid JSON but neither a classic ModelKit nor a ModelPack."""


class NoKitfile(NotFound):
    """A ModelPack manifest without the ``ml.kitops.modelkit.kitfile`` annotation (kit's ErrNoKitfile)."""


@dataclass(frozen=True)
class Descriptor:
    """An OCI content descriptor; ``to_json`` emits Go's field order (mediaType, digest, size, …)."""

    media_type: str
    digest: str
    size: int
    annotations: Mapping[str, str] | None = None
    artifact_type: str = ""

    def to_json(self) -> GoStruct:
        """Go's struct order; ``annotations`` is a Go map (gojson sorts dict keys)."""
        out = GoStruct([("mediaType", self.media_type), ("digest", self.digest), ("size", self.size)])
        if self.annotations:
            out.append(("annotations", dict(self.annotations)))
        if self.artifact_type:
            out.append(("artifactType", self.artifact_type))
        return out

    @classmethod
    def from_json(cls, obj: Any) -> Descriptor:
        if not isinstance(obj, dict):
            raise InvalidInput("descriptor is not a JSON object")
        digest = obj.get("digest")
        size = obj.get("size", 0)
        if not isinstance(digest, str) or not isinstance(size, int) or isinstance(size, bool):
            raise InvalidInput("descriptor has no valid digest/size")
        annotations = obj.get("annotations")
        return cls(
            media_type=str(obj.get("mediaType") or ""),
            digest=digest,
            size=size,
            annotations=dict(annotations) if isinstance(annotations, dict) else None,
            artifact_type=str(obj.get("artifactType") or ""),
        )

    def plain(self) -> Descriptor:
        """Only mediaType/digest/size, the form kit keeps in its indexes."""
        return Descriptor(self.media_type, self.digest, self.size)


@dataclass
class Manifest:
    """A parsed image manifest of either format."""

    format: str
    config: Descriptor
    layers: list[Descriptor]
    annotations: dict[str, str] = field(default_factory=dict)
    media_type: str = ""
    artifact_type: str = ""

    @property
    def cli_version(self) -> str:
        return self.annotations.get(CLI_VERSION_ANNOTATION, "unknown")

    @property
    def layers_size(self) -> int:
        """What ``kit list`` shows as SIZE: the sum of the layer sizes (config not included)."""
        return sum(layer.size for layer in self.layers)


def optional_annotations(annotations: Mapping[str, str] | None) -> dict[str, str]:
    """The standard ``org.opencontainers.image.*`` annotations a caller may add to a manifest (any other
    key is refused); empty values are dropped so that "not given" never changes the bytes."""
    merged: dict[str, str] = {}
    for key, value in (annotations or {}).items():
        if key not in OPTIONAL_OCI_ANNOTATIONS:
            raise InvalidInput(f"unsupported manifest annotation {key!r}")
        if value:
            merged[key] = value
    return merged


def build_manifest(
    config: Descriptor,
    layers: list[Descriptor],
    cli_version: str,
    annotations: Mapping[str, str] | None = None,
) -> bytes:
    """The classic ModelKit manifest exactly as kit v1.7.0 serializes it (plus optional OCI annotations).

    Extra annotations: ``optional_annotations``.
    """
    merged = {CLI_VERSION_ANNOTATION: cli_version, **optional_annotations(annotations)}
    doc = GoStruct(
        [
            ("schemaVersion", 2),
            ("config", config.to_json()),
            ("layers", [layer.to_json() for layer in layers] if layers else None),
            ("annotations", merged),
        ]
    )
    return go_json_dumps(doc)


def model_format(doc: Mapping[str, Any]) -> str | None:
    """Kit format if artifactType or config type says so, else ModelPack likewise, else None
    (docs/kit-format.md, "ModelPack")."""
    artifact_type = doc.get("artifactType") or ""
    config = doc.get("config")
    config_type = config.get("mediaType", "") if isinstance(config, dict) else ""
    if artifact_type == KIT_MANIFEST_ARTIFACT_TYPE or config_type == KIT_CONFIG_MEDIA_TYPE:
        return FORMAT_KIT
    if artifact_type == MODELPACK_MANIFEST_ARTIFACT_TYPE or config_type == MODELPACK_CONFIG_MEDIA_TYPE:
        return FORMAT_MODELPACK
    return None


def modelpack_warning(display: str) -> str:
    """Said before a ModelPack enters the shared store: kit v1.7–v1.9's ``kit list`` panics on any
    ModelPack in a repository index (docs/troubleshooting.md, "Kit store compatibility"), and a
    manifest's bytes cannot be changed to hide it from them, so the user is told and told the way back."""
    return (
        f"{display} is a CNCF ModelPack: kit >= 1.10 lists it, but `kit list` of kit 1.7-1.9 fails on a "
        "store that holds one; `kitlab remove` takes it out again"
    )


def parse_manifest(data: bytes) -> Manifest:
    """Parse manifest bytes; raise ``NotAModelKit`` for other artifacts, ``InvalidInput`` for bad JSON."""
    # Bounded: a manifest nested thousands deep raised RecursionError for the whole store (issue 14).
    doc = loads_bounded(data, what="manifest", max_bytes=MAX_MANIFEST_BYTES)
    if not isinstance(doc, dict):
        raise InvalidInput("failed to parse manifest: not a JSON object")
    fmt = model_format(doc)
    if fmt is None:
        raise NotAModelKit("not a ModelKit: the manifest's config is not a Kitfile or ModelPack config")
    layers_json = doc.get("layers") or []
    if not isinstance(layers_json, list):
        raise InvalidInput("failed to parse manifest: layers is not a list")
    annotations = doc.get("annotations")
    return Manifest(
        format=fmt,
        config=Descriptor.from_json(doc.get("config")),
        layers=[Descriptor.from_json(layer) for layer in layers_json],
        annotations={str(k): str(v) for k, v in annotations.items()} if isinstance(annotations, dict) else {},
        media_type=str(doc.get("mediaType") or ""),
        artifact_type=str(doc.get("artifactType") or ""),
    )
