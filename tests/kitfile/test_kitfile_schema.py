"""The JSON Schema is the single source of truth: parser, model and writers agree with it."""

from __future__ import annotations

import dataclasses

import pytest

from kitlab.kitfile import KitfileError, kitfile_json_schema, load_kitfile, ui_schema
from kitlab.kitfile.structure import all_object_specs


def _objects(schema: dict, path: str = ""):
    yield path, schema
    for key, prop in schema["properties"].items():
        target = prop.get("items", prop)
        if target.get("type") == "object":
            yield from _objects(target, f"{path}.{key}" if path else key)


def test_schema_is_draft07_and_closed():
    schema = kitfile_json_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    for _, obj in _objects(schema):
        assert obj["additionalProperties"] is False
        assert obj["title"]
        assert obj["description"]
        for prop in obj["properties"].values():
            assert prop["title"]
            assert prop["description"]


def test_model_dataclasses_have_exactly_the_schema_fields():
    for spec in all_object_specs():
        attrs = {f.name for f in dataclasses.fields(spec.cls)} - {"layer"}
        assert attrs == {f.attr for f in spec.fields}, spec.schema_path


def test_parser_accepts_every_schema_key_and_only_those():
    for path, obj in _objects(kitfile_json_schema()):
        fields = {key: _sample(prop) for key, prop in obj["properties"].items()}
        load_kitfile(_flow_document(path, fields))
        with pytest.raises(KitfileError) as info:
            load_kitfile(_flow_document(path, {**fields, "bogusKey": "x"}))
        assert [p.path.rsplit(".", 1)[-1] for p in info.value.problems] == ["bogusKey"]


def _sample(prop: dict) -> str:
    kind = prop.get("type")
    if kind == "string":
        return "'v'"
    if kind == "array":
        return "['a']" if prop["items"].get("type") == "string" else "[{}]"
    if kind == "object":
        return "{}"
    return "{any: [1, x]}"


def _flow_document(path: str, fields: dict[str, str]) -> str:
    """A flow-style Kitfile with ``fields`` in the object at ``path`` (lists get one item)."""
    inner = "{" + ", ".join(f"{k}: {v}" for k, v in fields.items()) + "}"
    for part in reversed(path.split(".") if path else []):
        inner = "{" + part + ": " + (inner if part in ("model", "package") else f"[{inner}]") + "}"
    return inner + "\n"


def test_ui_schema_only_names_schema_fields():
    schema = kitfile_json_schema()
    ui = ui_schema()
    assert set(ui["ui:order"]) == set(schema["properties"])
    for path, obj in _objects(schema):
        hints = ui
        for part in path.split(".") if path else []:
            hints = hints[part]
            hints = hints.get("items", hints)
        order = [k for k in hints.get("ui:order", []) if k != "*"]
        assert set(order) <= set(obj["properties"]), path
        assert set(hints) - {"ui:order"} <= set(obj["properties"]), path


def test_schema_copy_is_independent():
    first = kitfile_json_schema()
    first["properties"].clear()
    assert kitfile_json_schema()["properties"]
