"""The REST API's one JSON convention, for every response and every job result.

A response is built from Python values, dataclasses preferably (``VersionInfo`` below, the job
models in ``kitlab/server/jobs.py``, the library's results such as ``PushResult``), and turned into
JSON by ``to_api`` alone, on its way out of ``KitlabHandler.write_json``, a job runner or a CLI
command whose ``--format json`` prints the same result (``kitlab diff``): field
names and dict keys become camelCase (``uploaded_bytes`` → ``uploadedBytes``; camelCase keys stay
as they are). Values under ``VERBATIM`` keys are data with key names of their own and pass unchanged:
a Kitfile keeps kit's YAML names, job params the client's, a manifest its annotations, error details
the library's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

VERBATIM = frozenset({"kitfile", "params", "manifest", "details"})


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def to_api(value: Any) -> Any:
    """``value`` as the API's JSON: dataclasses and dicts with camelCase keys, recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items: Any = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
    elif isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        return [to_api(v) for v in value]
    else:
        return value
    out = {}
    for key, item in items:
        name = camel(key)
        out[name] = item if name in VERBATIM else to_api(item)
    return out
