"""Media types: what kit writes for each layer kind and how kit's regexes parse foreign ones."""

from __future__ import annotations

import pytest

from kitlab.errors import InvalidInput
from kitlab.modelkit.mediatypes import (
    KIT_CONFIG,
    LAYER_SUBTYPE_ANNOTATION,
    MODELPACK_CONFIG,
    MODELPACK_MANIFEST_ARTIFACT_TYPE,
    is_prompt_layer,
    layer_media_type,
    parse_layer_media_type,
)


def test_constants() -> None:
    assert KIT_CONFIG == "application/vnd.kitops.modelkit.config.v1+json"
    assert MODELPACK_CONFIG == "application/vnd.cncf.model.config.v1+json"
    assert MODELPACK_MANIFEST_ARTIFACT_TYPE == "application/vnd.cncf.model.manifest.v1+json"


@pytest.mark.parametrize(
    ("kind", "compression", "expected"),
    [
        ("model", "none", "application/vnd.kitops.modelkit.model.v1.tar"),
        ("modelpart", "gzip", "application/vnd.kitops.modelkit.modelpart.v1.tar+gzip"),
        ("code", "gzip-fastest", "application/vnd.kitops.modelkit.code.v1.tar+gzip"),
        ("dataset", "zstd", "application/vnd.kitops.modelkit.dataset.v1.tar+zstd"),
        ("docs", "none", "application/vnd.kitops.modelkit.docs.v1.tar"),
        ("prompt", "none", "application/vnd.kitops.modelkit.code.v1.tar"),
    ],
)
def test_kit_layer_media_types(kind: str, compression: str, expected: str) -> None:
    assert layer_media_type(kind, compression) == expected
    fmt, parsed_kind, parsed_compression, raw = parse_layer_media_type(expected)
    assert (fmt, raw) == ("kit", False)
    assert parsed_kind == ("code" if kind == "prompt" else kind)
    assert parsed_compression == ("gzip" if compression == "gzip-fastest" else compression)


def test_raw_layers() -> None:
    assert layer_media_type("mcpb", raw=True) == "application/vnd.kitops.modelkit.mcpb.v1.raw"
    assert layer_media_type("model", raw=True) == "application/vnd.kitops.modelkit.model.v1.raw"
    assert parse_layer_media_type("application/vnd.kitops.modelkit.mcpb.v1.raw") == (
        "kit",
        "mcpb",
        "none",
        True,
    )


@pytest.mark.parametrize(
    ("media_type", "kind", "compression", "raw"),
    [
        ("application/vnd.cncf.model.weight.v1.tar", "model", "none", False),
        ("application/vnd.cncf.model.weight.config.v1.tar+gzip", "modelpart", "gzip", False),
        ("application/vnd.cncf.model.dataset.v1.tar+zstd", "dataset", "zstd", False),
        ("application/vnd.cncf.model.code.v1.raw", "code", "none", True),
        ("application/vnd.cncf.model.doc.v1.tar", "docs", "none", False),
    ],
)
def test_modelpack_mapping(media_type: str, kind: str, compression: str, raw: bool) -> None:
    parsed = parse_layer_media_type(media_type)
    assert parsed == ("modelpack", kind, compression, raw)
    assert layer_media_type(kind, compression, raw=raw, artifact_format="modelpack") == media_type


@pytest.mark.parametrize(
    "media_type",
    [
        "application/vnd.kitops.modelkit.weights.v1.tar",  # unknown base
        "application/vnd.kitops.modelkit.model.v1.zip",  # unknown format
        "application/vnd.kitops.modelkit.model.v1.tar+lz4",  # unknown compression
        "application/vnd.kitops.modelkit.model.v1.tar+gzip\n",  # Go's '$' does not accept a final newline
        "application/vnd.kitops.modelkit.modèle.v1.tar",  # RE2 \w is ASCII only
        "application/vnd.cncf.model.weight.v1.raw+gzip",  # ModelPack raw layers cannot be compressed
        "application/vnd.cncf.model.docs.v1.tar",  # ModelPack says "doc"
        "application/vnd.oci.image.layer.v1.tar",
    ],
)
def test_rejected_media_types(media_type: str) -> None:
    with pytest.raises(InvalidInput):
        parse_layer_media_type(media_type)


def test_explicit_none_suffix_parses_like_kit() -> None:
    assert parse_layer_media_type("application/vnd.kitops.modelkit.docs.v1.tar+none").compression == "none"


def test_prompt_annotation() -> None:
    assert is_prompt_layer({LAYER_SUBTYPE_ANNOTATION: "prompt"})
    assert not is_prompt_layer({})
    assert not is_prompt_layer(None)


def test_bad_requests_for_media_types() -> None:
    with pytest.raises(InvalidInput):
        layer_media_type("model", "brotli")
    with pytest.raises(InvalidInput):
        layer_media_type("mcpb", artifact_format="modelpack")
    with pytest.raises(InvalidInput):
        layer_media_type("model", "gzip", raw=True, artifact_format="modelpack")
