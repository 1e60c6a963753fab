"""Writing a CNCF ModelPack artifact as ``kit pack --use-model-pack`` (kit >= 1.10) does.

The layers are the same bytes as a classic ModelKit's; what changes (docs/kit-format.md, "ModelPack"):

* layer media types ``application/vnd.cncf.model.<weight|weight.config|code|dataset|doc>.v1.tar[+…]``,
  each layer annotated with its Kitfile path (``org.cncf.model.filepath``, cleaned as Go's
  ``filepath.Clean``) and prompt layers with kit's layer-subtype annotation;
* the config is the model-spec's ``Model`` (``application/vnd.cncf.model.config.v1+json``): descriptor
  (name, version, authors, licenses, title, description, createdAt), ``modelfs`` (the layers' diffIds) and
  ``config``. kit fills only ``config.format`` (from ``model.format``); kitlab also fills architecture,
  format, paramSize, precision and quantization from what the scanner read in the model's files
  (``ModelFacts``), falling back to same-named keys of ``model.parameters``;
* the manifest has ``mediaType`` and ``artifactType`` (``application/vnd.cncf.model.manifest.v1+json``),
  and its annotations carry the CLI version, the creation time and the whole Kitfile as JSON
  (``ml.kitops.modelkit.kitfile``), which is how kit and kitlab read the Kitfile back.

``SOURCE_DATE_EPOCH`` fixes the creation time (as kit does), and with it the config and manifest digests.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

from kitlab.errors import InvalidInput
from kitlab.kitfile import go_clean, to_config_json
from kitlab.kitfile.gojson import GoStruct, go_json_dumps
from kitlab.kitfile.model import Kitfile
from kitlab.modelkit.manifest import CREATED_ANNOTATION, Descriptor, optional_annotations
from kitlab.modelkit.mediatypes import (
    CLI_VERSION_ANNOTATION,
    FILEPATH_ANNOTATION,
    KITFILE_ANNOTATION,
    LAYER_SUBTYPE_ANNOTATION,
    LAYER_SUBTYPE_PROMPT,
    MODELPACK_CONFIG,
    MODELPACK_MANIFEST_ARTIFACT_TYPE,
    OCI_MANIFEST,
)

# The model-spec's config fields kitlab fills from the scanner, in its Go struct order (ModelConfig).
FACT_KEYS = ("architecture", "format", "paramSize", "precision", "quantization")


@dataclass(frozen=True)
class ModelFacts:
    """What the scanner read from the model's own files (empty = not known): ModelPack ``config``."""

    architecture: str = ""
    format: str = ""
    param_size: str = ""
    precision: str = ""
    quantization: str = ""

    def as_config(self) -> dict[str, str]:
        values = (self.architecture, self.format, self.param_size, self.precision, self.quantization)
        return {key: value for key, value in zip(FACT_KEYS, values, strict=True) if value}


class PackedLayerLike(Protocol):
    """A packed layer (``pack.PackedLayer``) as far as the ModelPack writer needs it."""

    @property
    def media_type(self) -> str: ...
    @property
    def digest(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def path(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def diff_id(self) -> str: ...


@dataclass(frozen=True)
class KitArtifact:
    """The config blob and the manifest of a kit (classic or ModelPack) whose layers are already stored
    or sent."""

    config_bytes: bytes
    config: Descriptor
    manifest_bytes: bytes


def check_modelpack(kf: Kitfile, layers: Sequence[object]) -> None:
    """What a ModelPack cannot be, refused before any layer is written: one holding MCP bundles (their
    media type is kit's own; kit refuses them too) or no layer at all (the model-spec requires at least
    one diffId in ``modelfs``; kit would write a config that fails the spec's schema)."""
    if kf.mcp_servers:
        raise InvalidInput("mcpServers are not supported when packing in ModelPack format")
    if not layers:
        raise InvalidInput("a ModelPack needs at least one layer (the model-spec requires modelfs.diffIds)")


def created_at() -> str:
    """RFC 3339 UTC time of the pack: ``SOURCE_DATE_EPOCH`` when set (reproducible digests), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch:
        try:
            moment = datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        except (ValueError, OverflowError, OSError) as exc:
            raise InvalidInput("SOURCE_DATE_EPOCH must be a number of seconds") from exc
    else:
        moment = datetime.now(tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _licenses(kf: Kitfile) -> list[str]:
    """kit's ``collectLicenses``: every non-empty license, sorted, duplicates dropped."""
    found = [kf.package.license]
    if kf.model is not None:
        found += [kf.model.license, *(part.license for part in kf.model.parts)]
    found += [d.license for d in kf.datasets] + [c.license for c in kf.code]
    return sorted({license_ for license_ in found if license_})


def _config_fields(kf: Kitfile, facts: ModelFacts) -> dict[str, str]:
    """``config``: ``model.format`` first (what kit writes), then the scanner's facts, then same-named
    string keys of ``model.parameters`` (a Kitfile drafted by ``kitlab init`` carries them)."""
    fields: dict[str, str] = {}
    params = kf.model.parameters if kf.model is not None else None
    if isinstance(params, Mapping):
        fields.update({k: v for k in FACT_KEYS if isinstance(v := params.get(k), str) and v})
    fields.update(facts.as_config())
    if kf.model is not None and kf.model.format:
        fields["format"] = kf.model.format
    return fields


def modelpack_config(kf: Kitfile, diff_ids: Sequence[str], facts: ModelFacts, created: str) -> bytes:
    """The model-spec ``Model`` as Go's ``json.Marshal`` writes it (struct order, omitempty)."""
    pkg = kf.package
    # ModelDescriptor's Go field order; omitempty drops what the Kitfile leaves empty.
    descriptor: list[tuple[str, Any]] = [
        ("createdAt", created),
        ("authors", list(pkg.authors)),
        ("name", pkg.name),
        ("version", pkg.version),
        ("licenses", _licenses(kf)),
        ("title", pkg.name),
        ("description", pkg.description),
    ]
    fields = _config_fields(kf, facts)
    return go_json_dumps(
        GoStruct(
            [
                ("descriptor", GoStruct([(k, v) for k, v in descriptor if v])),
                ("modelfs", GoStruct([("type", "layers"), ("diffIds", list(diff_ids))])),
                ("config", GoStruct([(k, fields[k]) for k in FACT_KEYS if k in fields])),
            ]
        )
    )


def modelpack_layer_descriptors(packed: Sequence[PackedLayerLike]) -> list[Descriptor]:
    """The layers' descriptors: their ModelPack media types (``record_layer`` with
    ``artifact_format="modelpack"``) and annotations."""
    out = []
    for layer in packed:
        annotations = {FILEPATH_ANNOTATION: go_clean(layer.path)}
        if layer.kind == "prompt":
            annotations[LAYER_SUBTYPE_ANNOTATION] = LAYER_SUBTYPE_PROMPT
        out.append(Descriptor(layer.media_type, layer.digest, layer.size, annotations))
    return out


def build_modelpack(
    kf: Kitfile,
    packed: Sequence[PackedLayerLike],
    facts: ModelFacts,
    cli_version: str,
    annotations: Mapping[str, str] | None = None,
) -> KitArtifact:
    """Config and manifest of the ModelPack for a Kitfile whose layers (``packed``) are recorded in it.

    The model-spec requires at least one layer (``modelfs.diffIds``): a Kitfile that packs none is
    refused. Extra manifest annotations are the standard OCI ones ``pack`` accepts.
    """
    check_modelpack(kf, packed)
    merged = optional_annotations(annotations)
    created = merged.get(CREATED_ANNOTATION) or created_at()
    config_bytes = modelpack_config(kf, [p.diff_id or p.digest for p in packed], facts, created)
    config = Descriptor(
        MODELPACK_CONFIG, "sha256:" + hashlib.sha256(config_bytes).hexdigest(), len(config_bytes)
    )
    merged.update(
        {
            CLI_VERSION_ANNOTATION: cli_version,
            CREATED_ANNOTATION: created,
            KITFILE_ANNOTATION: to_config_json(kf).decode("utf-8"),
        }
    )
    # Go's json.Marshal of ocispec.Manifest: schemaVersion, mediaType, artifactType, config, layers,
    # annotations (a map: keys sorted).
    manifest = GoStruct(
        [
            ("schemaVersion", 2),
            ("mediaType", OCI_MANIFEST),
            ("artifactType", MODELPACK_MANIFEST_ARTIFACT_TYPE),
            ("config", config.to_json()),
            ("layers", [d.to_json() for d in modelpack_layer_descriptors(packed)]),
            ("annotations", merged),
        ]
    )
    return KitArtifact(config_bytes, config, go_json_dumps(manifest))
