"""The ModelKit config blob: the Kitfile as kit's ``json.Marshal`` writes it, and reading it back.

Key order, omitempty and escaping follow kit's Go structs (docs/kit-format.md, "Config blob"):
``manifestVersion`` and ``package`` are always present, ``docs[].path`` is written even when empty, ``model``
only when the Kitfile has one, ``parameters`` whenever set (even to ``""`` or ``0``), ``digest``/``diffId``
from each entry's ``LayerInfo``. Fields kit 1.7 lacks (prompts, mcpServers, remotePath, …) only appear when
set, so a Kitfile without them gives byte-identical output to kit 1.7.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from kitlab.errors import InvalidInput
from kitlab.kitfile.boundedjson import loads_bounded
from kitlab.kitfile.gojson import GoJSONError, GoStruct, go_json_dumps
from kitlab.kitfile.goyaml import FlowList
from kitlab.kitfile.model import Kitfile, LayerInfo
from kitlab.kitfile.problems import KitfileError, Problem
from kitlab.kitfile.schema import FieldSpec
from kitlab.kitfile.structure import NOT_OMITEMPTY, ObjectSpec, root_spec

__all__ = ["from_config_json", "kitfile_struct", "to_config_json"]


def kitfile_struct(kf: Kitfile, *, for_yaml: bool = False) -> GoStruct:
    """The Kitfile as Go would see its struct: ordered, with omitempty applied.

    JSON (default): includes digest/diffId, keeps an empty ``package``. YAML: no layer info, empty
    structs dropped (yaml.v3's omitempty looks inside structs), ``authors`` in flow style.
    """
    return _struct(kf, root_spec(), for_yaml=for_yaml)


def _struct(obj: Any, spec: ObjectSpec, *, for_yaml: bool) -> GoStruct:
    out = GoStruct()
    for field in spec.fields:
        value = getattr(obj, field.attr)
        if field.kind == "string":
            if value or (spec.schema_path, field.key) in NOT_OMITEMPTY:
                out.append((field.key, value))
        elif field.kind == "string_list":
            if value:
                out.append((field.key, FlowList(value) if for_yaml else list(value)))
        elif field.kind == "any":
            if value is not None:  # a nil interface is omitted, any other value is not
                out.append((field.key, value))
        elif field.kind == "object":
            if value is None:
                continue
            child = _struct(value, spec.child(field), for_yaml=for_yaml)
            # JSON never omits a struct; YAML omits a zero struct but never a non-nil pointer.
            if child or not for_yaml or spec.is_optional(field.attr):
                out.append((field.key, child))
        elif value:
            child_spec = spec.child(field)
            out.append((field.key, [_struct(item, child_spec, for_yaml=for_yaml) for item in value]))
    layer = getattr(obj, "layer", None)
    if layer is not None and not for_yaml:
        if layer.digest:
            out.append(("digest", layer.digest))
        if layer.diff_id:
            out.append(("diffId", layer.diff_id))
    return out


def to_config_json(kf: Kitfile) -> bytes:
    """The config blob bytes exactly as kit's ``json.Marshal(kitfile)``.

    Raises ``KitfileError`` for parameters Go cannot encode (NaN, infinities, non-string map keys).
    """
    try:
        return go_json_dumps(kitfile_struct(kf))
    except GoJSONError as exc:
        raise KitfileError([Problem(path="parameters", message=str(exc))], source="config") from None


# -- reading --------------------------------------------------------------------------------------


def _number(text: str) -> float | int:
    # Go decodes JSON numbers into ``any`` as float64; integral values that float64 holds exactly are
    # returned as int so callers see 3, not 3.0 (the JSON they produce is identical).
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text} overflows float64")
    if value.is_integer() and abs(value) < 2**53 and math.copysign(1.0, value) > 0:
        return int(value)
    return value


# A config blob is a Kitfile as JSON: a Kitfile is at most 1 MiB of YAML (yamlnodes.MAX_DOCUMENT_BYTES),
# which JSON may widen a few times; pulls refuse larger configs before downloading them too.
MAX_CONFIG_BYTES = 16 << 20


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def object(self, data: Any, spec: ObjectSpec, path: str) -> Any:
        if data is None:
            return spec.new()
        if not isinstance(data, dict):
            self.problems.append(
                Problem(path=path, message=f"expected an object, found {type(data).__name__}")
            )
            return spec.new()
        by_key = {f.key: f for f in spec.fields}
        by_fold = {f.key.casefold(): f for f in spec.fields}
        values: dict[str, Any] = {}
        layer: LayerInfo | None = None
        for key, value in data.items():
            # encoding/json matches keys case-insensitively when there is no exact match.
            field = by_key.get(key) or by_fold.get(key.casefold())
            child_path = f"{path}.{key}" if path else key
            if field is None:
                has_layer = "layer" in {f.name for f in dataclasses.fields(spec.cls)}
                if key.casefold() in ("digest", "diffid") and has_layer:
                    layer = layer or LayerInfo()
                    if isinstance(value, str):
                        setattr(layer, "digest" if key.casefold() == "digest" else "diff_id", value)
                    elif value is not None:
                        self.problems.append(Problem(path=child_path, message="expected a string"))
                continue  # unknown keys are ignored, as Go does
            if value is None:
                if field.kind in ("string_list", "object_list", "any") or spec.is_optional(field.attr):
                    values[field.attr] = None if field.kind in ("any", "object") else []
                continue
            values[field.attr] = self.field(value, field.kind, spec, field, child_path)
        if layer is not None:
            values["layer"] = layer
        return spec.new(**values)

    def field(self, value: Any, kind: str, spec: ObjectSpec, field: FieldSpec, path: str) -> Any:
        if kind == "any":
            return value
        if kind == "string":
            if isinstance(value, str):
                return value
            self.problems.append(Problem(path=path, message="expected a string"))
            return ""
        if not isinstance(value, list) and kind in ("string_list", "object_list"):
            self.problems.append(Problem(path=path, message="expected a list"))
            return []
        if kind == "string_list":
            out = []
            for i, item in enumerate(value):
                if item is not None and not isinstance(item, str):
                    self.problems.append(Problem(path=f"{path}[{i}]", message="expected a string"))
                out.append(item or "")
            return out
        child = spec.child(field)
        if kind == "object":
            return self.object(value, child, path)
        return [self.object(item, child, f"{path}[{i}]") for i, item in enumerate(value)]


def from_config_json(data: bytes | str) -> Kitfile:
    """Parse a config blob leniently, like kit's ``json.Unmarshal`` (unknown keys are ignored)."""
    try:
        # Bounded: a config nested thousands deep raised RecursionError for the whole store (issue 14).
        parsed = loads_bounded(
            data,
            what="config JSON",
            max_bytes=MAX_CONFIG_BYTES,
            parse_int=_number,
            parse_float=_number,
            parse_constant=_reject_constant,
        )
    except InvalidInput as exc:
        raise KitfileError(
            [Problem(path="", message=f"invalid config: {exc.message}")], source="config"
        ) from None
    reader = _Reader()
    kitfile = reader.object(parsed, root_spec(), "")
    if reader.problems:
        raise KitfileError(reader.problems, source="config")
    assert isinstance(kitfile, Kitfile)
    return kitfile
