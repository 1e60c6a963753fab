"""The REST API's JSON conventions, shared by the routes and the job results."""

from __future__ import annotations

from typing import Any


def camel_keys(value: Any) -> Any:
    """snake_case keys to the API's camelCase, recursively; a Kitfile keeps kit's own key names."""
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        head, *rest = key.split("_")
        name = head + "".join(part.title() for part in rest)
        out[name] = item if name == "kitfile" else camel_keys(item)
    return out
