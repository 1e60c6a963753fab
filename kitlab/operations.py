"""Job kinds: each turns a job's JSON params into one library call, with paths confined to the root.

Runners execute on worker threads (see ``kitlab.jobs``); they receive a ``Reporter`` for progress and
cancellation and return a JSON-serialisable result. Param errors raise ``InvalidInput`` so the job
fails with a message the user can act on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kitlab.errors import InvalidInput
from kitlab.jobs import JobRunner, Reporter
from kitlab.modelkit.pack import pack
from kitlab.modelkit.store import LocalStore
from kitlab.modelkit.unpack import unpack
from kitlab.paths import resolve_in_root, to_api_path
from kitlab.settings import Kitlab

COMPRESSIONS = ("none", "gzip", "gzip-fastest", "zstd")


def text_param(params: dict[str, Any], key: str, *, default: str | None = None) -> str:
    value = params.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise InvalidInput(f"job parameter {key!r} must be a non-empty string")
    return value


def bool_param(params: dict[str, Any], key: str, default: bool = False) -> bool:
    value = params.get(key, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"job parameter {key!r} must be true or false")
    return value


class Operations:
    """The job kinds of one server: its root, its store, its settings."""

    def __init__(self, settings: Kitlab, root: Path) -> None:
        self.settings = settings
        self.root = root

    def store(self) -> LocalStore:
        return LocalStore(self.settings.home())

    def runners(self) -> dict[str, JobRunner]:
        return {"pack": self.run_pack, "unpack": self.run_unpack}

    def compression(self, params: dict[str, Any]) -> str:
        value = text_param(params, "compression", default=self.settings.default_compression)
        if value not in COMPRESSIONS:
            raise InvalidInput(f"compression must be one of {', '.join(COMPRESSIONS)}")
        return value

    def run_pack(self, params: dict[str, Any], reporter: Reporter) -> dict[str, Any]:
        folder = resolve_in_root(self.root, text_param(params, "path", default=""))
        reference = params.get("reference") or None
        reporter.stage("pack")
        result = pack(
            folder,
            tags=[text_param(params, "reference")] if reference else [],
            compression=self.compression(params),
            store=self.store(),
            progress=reporter.progress,
            cancel=reporter.cancel,
        )
        for warning in result.warnings:
            reporter.log(f"warning: {warning}")
        return {
            "reference": result.reference,
            "digest": result.manifest_digest,
            "layers": [
                {
                    "kind": layer.kind,
                    "path": layer.path,
                    "digest": layer.digest,
                    "size": layer.size,
                    "unchanged": layer.cached,
                }
                for layer in result.layers
            ],
            "warnings": result.warnings,
        }

    def run_unpack(self, params: dict[str, Any], reporter: Reporter) -> dict[str, Any]:
        reference = text_param(params, "reference")
        dest = resolve_in_root(self.root, text_param(params, "path"))
        filters = params.get("filters", [])
        if not isinstance(filters, list) or not all(isinstance(f, str) for f in filters):
            raise InvalidInput("job parameter 'filters' must be a list of kit filters, e.g. ['model']")
        reporter.stage("unpack")
        unpack(
            reference,
            dest,
            store=self.store(),
            filters=filters,
            overwrite=bool_param(params, "overwrite"),
            ignore_existing=bool_param(params, "ignoreExisting"),
            progress=reporter.progress,
            cancel=reporter.cancel,
        )
        return {"reference": reference, "path": to_api_path(self.root, dest)}


def job_runners(settings: Kitlab, root: Path) -> dict[str, JobRunner]:
    return Operations(settings, root).runners()
