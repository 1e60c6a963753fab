"""Every job parameter checked before the job exists (docs/hardening.md).

A job that failed on its input after a side effect (a pack-push with ``"notebook": "../../etc/passwd"``
pushed the kit, then failed) is refused at ``POST /kitlab/jobs`` instead: first the shape, against
the per-kind schema in ``kitlab/server/openapi.yaml`` (``PackParams`` …, so the document and the server
cannot disagree), then what a schema cannot say: paths confined to the root and existing where they
must, references that parse, registries the administrator allows. Nothing here writes or connects.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jsonschema
from ruamel.yaml import YAML

from kitlab.errors import InvalidInput, KitlabError, NotFound, PathOutsideRoot
from kitlab.modelkit.reference import parse_reference, validate_tag
from kitlab.modelkit.unpack import parse_filter
from kitlab.server.handlers import path_error
from kitlab.server.paths import resolve_in_root
from kitlab.server.settings import Kitlab

OPENAPI = Path(__file__).with_name("openapi.yaml")

# Job kind → its params schema in openapi.yaml.
PARAMS_SCHEMAS = {
    "pack": "PackParams",
    "push": "PushParams",
    "pack-push": "PackPushParams",
    "pull": "PullParams",
    "unpack": "UnpackParams",
}


@functools.cache
def _validators() -> dict[str, jsonschema.protocols.Validator]:
    schemas = YAML(typ="safe").load(OPENAPI.read_text(encoding="utf-8"))["components"]["schemas"]
    return {kind: jsonschema.Draft7Validator(schemas[name]) for kind, name in PARAMS_SCHEMAS.items()}


def _field(error: jsonschema.ValidationError) -> str:
    return "params" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def _message(kind: str, error: jsonschema.ValidationError) -> str:
    """A schema error in words that never quote the offending value (it may be 120 MB long)."""
    where, rule = _field(error), error.validator
    limit: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema
    if rule == "required":
        missing = next((key for key in limit if key not in instance), "?")
        return f"{where}.{missing} is required for a {kind} job"
    if rule == "additionalProperties":
        known = set(schema.get("properties", {}))
        extra = sorted(str(key)[:60] for key in instance if key not in known)
        return f"{where}: {', '.join(map(repr, extra))} is not a parameter of a {kind} job"
    if rule == "type":
        return f"{where} must be {'an' if limit in ('object', 'array', 'integer') else 'a'} {limit}"
    if rule == "maxLength":
        return f"{where} is longer than {limit:,} characters"
    if rule == "minLength":
        return f"{where} must not be empty"
    if rule == "maxItems":
        return f"{where} has more than {limit} items"
    if rule == "enum":
        return f"{where} must be one of {', '.join(map(str, limit))}"
    return f"{where} is not valid ({rule})"


class JobParams:
    """The ``JobValidator`` of one server: its root and its settings."""

    def __init__(self, settings: Kitlab, root: Path) -> None:
        self.settings = settings
        self.root = root

    def check(self, kind: str, params: dict[str, Any]) -> None:
        errors = sorted(_validators()[kind].iter_errors(params), key=lambda e: list(e.absolute_path))
        if errors:
            raise InvalidInput(_message(kind, errors[0]))
        if kind in ("pack", "pack-push"):
            self.folder(params, "path")
        if kind == "unpack":
            self.path(params, "path")
        if kind == "pack":
            if params.get("reference"):
                self.reference(params, "reference")
        elif kind == "push":
            self.reference(params, "reference")
            self.remote(params, "destination" if params.get("destination") else "reference")
            for index, tag in enumerate(params.get("tags", [])):
                try:
                    validate_tag(tag)
                except KitlabError as exc:
                    raise InvalidInput(f"params.tags[{index}]: {exc.message}") from None
        elif kind in ("pack-push", "pull"):
            self.remote(params, "reference")
        elif kind == "unpack":
            self.reference(params, "reference")  # the registry is checked if the kit must be pulled
            for index, text in enumerate(params.get("filters", [])):
                try:
                    parse_filter(text)
                except KitlabError as exc:
                    raise InvalidInput(f"params.filters[{index}]: {exc.message}") from None
        if kind in ("push", "pack-push") and params.get("notebook"):
            self.notebook(params, "notebook")

    def path(self, params: dict[str, Any], key: str) -> Path:
        try:
            path = resolve_in_root(self.root, params[key])
            path.exists()  # a name too long for the file system fails here, not mid-job
        except PathOutsideRoot as exc:
            raise PathOutsideRoot(f"params.{key}: {exc.message}") from None
        except (RuntimeError, OSError) as exc:  # a symlink loop (RuntimeError < 3.13), a name too long
            raise InvalidInput(f"params.{key}: {path_error(exc)}") from None
        return path

    def folder(self, params: dict[str, Any], key: str) -> None:
        if not self.path(params, key).is_dir():
            raise NotFound(f"params.{key}: no folder {params[key][:200]!r} in the workspace")

    def notebook(self, params: dict[str, Any], key: str) -> None:
        path = self.path(params, key)
        if path.suffix != ".ipynb" or not path.is_file():
            raise InvalidInput(
                f"params.{key}: {params[key][:200]!r} is not a notebook (.ipynb) in the workspace"
            )

    def reference(self, params: dict[str, Any], key: str) -> str:
        try:
            return parse_reference(params[key]).registry
        except KitlabError as exc:
            raise InvalidInput(f"params.{key}: {exc.message}") from None

    def remote(self, params: dict[str, Any], key: str) -> None:
        self.settings.check_registry_allowed(self.reference(params, key))
