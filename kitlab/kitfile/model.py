"""The Kitfile as typed Python objects.

Field names are Python-style: the snake_case form of kit's JSON/YAML keys (``schema.attr_name``); the
JSON Schema in ``schema.py`` is the one table of keys, types and order.
String fields hold the *literal* scalar text from the YAML (``version: 1.10`` stays ``"1.10"``), as
kit's yaml.v3 decoding into Go strings does. ``parameters`` holds any JSON-compatible value; ``None``
means absent (Go's nil ``any``, omitted from the config JSON).

``layer`` carries the digest/diffId that packing fills in. It never comes from or goes to YAML: kit
tags those fields ``yaml:"-"``; they only appear in the config blob.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class HasPath(Protocol):
    """Any Kitfile entry that becomes a layer: each has a ``path``."""

    @property
    def path(self) -> str: ...


@dataclass
class LayerInfo:
    digest: str = ""
    diff_id: str = ""


@dataclass
class Package:
    name: str = ""
    version: str = ""
    description: str = ""
    license: str = ""
    authors: list[str] = field(default_factory=list)


@dataclass
class ModelPart:
    name: str = ""
    path: str = ""
    license: str = ""
    type: str = ""
    layer: LayerInfo | None = None


@dataclass
class Model:
    name: str = ""
    path: str = ""
    license: str = ""
    framework: str = ""
    format: str = ""
    version: str = ""
    description: str = ""
    parts: list[ModelPart] = field(default_factory=list)
    parameters: Any = None
    layer: LayerInfo | None = None


@dataclass
class CodeEntry:
    path: str = ""
    description: str = ""
    license: str = ""
    layer: LayerInfo | None = None


@dataclass
class DatasetEntry:
    name: str = ""
    path: str = ""
    description: str = ""
    license: str = ""
    parameters: Any = None
    remote_path: str = ""
    remote_hash: str = ""
    layer: LayerInfo | None = None


@dataclass
class DocsEntry:
    path: str = ""
    description: str = ""
    layer: LayerInfo | None = None


@dataclass
class PromptEntry:
    """kit ≥ 1.15: packed as a code-type layer with a ``prompt`` layer-subtype annotation."""

    path: str = ""
    description: str = ""
    layer: LayerInfo | None = None
    # Newest kit's Prompt struct has a name (JSON/YAML key order: name, path, description).
    name: str = ""


@dataclass
class McpServer:
    """kit ≥ 1.15: one ``.mcpb`` bundle, packed as a raw layer."""

    name: str = ""
    path: str = ""
    description: str = ""
    layer: LayerInfo | None = None


@dataclass
class Kitfile:
    manifest_version: str = ""
    package: Package = field(default_factory=Package)
    model: Model | None = None
    code: list[CodeEntry] = field(default_factory=list)
    datasets: list[DatasetEntry] = field(default_factory=list)
    docs: list[DocsEntry] = field(default_factory=list)
    prompts: list[PromptEntry] = field(default_factory=list)
    mcp_servers: list[McpServer] = field(default_factory=list)
