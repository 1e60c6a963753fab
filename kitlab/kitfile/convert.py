"""The Kitfile as a JSON-shaped dict in YAML key names: what the server sends to and gets from the form.

``kitfile_to_dict`` leaves out empty values (the form shows them as blank); an empty ``model`` section is
kept as ``{}`` so it survives a round trip. ``kitfile_from_dict`` checks keys and types against the
schema and reports every problem with its field path.
"""

from __future__ import annotations

import math
from typing import Any

from kitlab.kitfile.config import kitfile_struct
from kitlab.kitfile.gojson import GoStruct
from kitlab.kitfile.model import Kitfile
from kitlab.kitfile.parse import did_you_mean
from kitlab.kitfile.problems import KitfileError, Problem
from kitlab.kitfile.structure import ObjectSpec, root_spec

__all__ = ["kitfile_from_dict", "kitfile_to_dict"]


def _plain(value: Any) -> Any:
    if isinstance(value, GoStruct):
        return {key: _plain(item) for key, item in value if item != ""}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def kitfile_to_dict(kf: Kitfile) -> dict[str, Any]:
    """JSON-shaped dict with kit's YAML keys, without empty values and without digests."""
    out = _plain(kitfile_struct(kf, for_yaml=True))
    assert isinstance(out, dict)
    return out


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path=path, message=message))

    def object(self, data: Any, spec: ObjectSpec, path: str) -> Any:
        if not isinstance(data, dict):
            self.problem(path, "expected an object")
            return spec.new()
        by_key = {f.key: f for f in spec.fields}
        values: dict[str, Any] = {}
        for key, value in data.items():
            child_path = f"{path}.{key}" if path else key
            field = by_key.get(key)
            if field is None:
                self.problem(child_path, "unknown field" + did_you_mean(str(key), list(by_key)))
                continue
            if value is None:
                continue
            if field.kind == "string":
                if isinstance(value, str):
                    values[field.attr] = value
                else:
                    self.problem(child_path, "expected a string")
            elif field.kind == "any":
                self.check_json(value, child_path)
                values[field.attr] = value
            elif field.kind == "object":
                values[field.attr] = self.object(value, spec.child(field), child_path)
            elif not isinstance(value, list):
                self.problem(child_path, "expected a list")
            elif field.kind == "string_list":
                for i, item in enumerate(value):
                    if not isinstance(item, str):
                        self.problem(f"{child_path}[{i}]", "expected a string")
                values[field.attr] = [item for item in value if isinstance(item, str)]
            else:
                child = spec.child(field)
                values[field.attr] = [
                    self.object(item, child, f"{child_path}[{i}]") for i, item in enumerate(value)
                ]
        return spec.new(**values)

    def check_json(self, value: Any, path: str) -> None:
        """Parameters must be storable as JSON by kit: string keys, finite numbers."""
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(path, "numbers must be finite")
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    self.problem(path, f"map key {key!r} is not a string")
                else:
                    self.check_json(item, f"{path}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.check_json(item, f"{path}[{i}]")
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            self.problem(path, f"unsupported value of type {type(value).__name__}")


def kitfile_from_dict(data: dict[str, Any], *, source: str = "form") -> Kitfile:
    """Build a Kitfile from the form's dict; raises ``KitfileError`` listing every problem."""
    reader = _Reader()
    kitfile = reader.object(data, root_spec(), "")
    if reader.problems:
        raise KitfileError(reader.problems, source=source)
    assert isinstance(kitfile, Kitfile)
    return kitfile
