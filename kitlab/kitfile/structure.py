"""Which model dataclass stands for which object of the JSON Schema.

Together with ``schema.object_fields`` this is everything the parser, writers and converters need to
walk a Kitfile generically; ``tests/kitfile/test_schema.py`` checks that the dataclasses and the schema
name exactly the same fields.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from kitlab.kitfile.model import (
    CodeEntry,
    DatasetEntry,
    DocsEntry,
    Kitfile,
    McpServer,
    Model,
    ModelPart,
    Package,
    PromptEntry,
)
from kitlab.kitfile.schema import FieldSpec, object_fields, root_schema

# Schema path (dotted keys from the root, list items share their list's path) → dataclass.
CLASSES: dict[str, type] = {
    "": Kitfile,
    "package": Package,
    "model": Model,
    "model.parts": ModelPart,
    "code": CodeEntry,
    "datasets": DatasetEntry,
    "docs": DocsEntry,
    "prompts": PromptEntry,
    "mcpServers": McpServer,
}


@dataclass(frozen=True)
class ObjectSpec:
    schema_path: str
    cls: type
    fields: list[FieldSpec]

    def child(self, field: FieldSpec) -> ObjectSpec:
        path = f"{self.schema_path}.{field.key}" if self.schema_path else field.key
        return ObjectSpec(path, CLASSES[path], object_fields(field.schema))

    def new(self, **values: Any) -> Any:
        return self.cls(**values)

    def is_optional(self, attr: str) -> bool:
        """Whether the field is a Go pointer (``model``): None when absent, kept when empty."""
        return any(f.name == attr and f.default is None for f in dataclasses.fields(self.cls))


# Fields without ``omitempty`` in kit's struct tags (JSON and YAML alike): written even when empty.
NOT_OMITEMPTY = {("", "manifestVersion"), ("docs", "path")}


def root_spec() -> ObjectSpec:
    return ObjectSpec("", Kitfile, object_fields(root_schema()))


def all_object_specs() -> list[ObjectSpec]:
    """Every object type of the schema, root first."""
    out: list[ObjectSpec] = []
    pending = [root_spec()]
    while pending:
        spec = pending.pop(0)
        out.append(spec)
        pending.extend(spec.child(f) for f in spec.fields if f.kind in ("object", "object_list"))
    return out
