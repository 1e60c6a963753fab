"""``kit inspect``: a kit's manifest digest, the CLI version that packed it, its Kitfile and manifest."""

from __future__ import annotations

import json
from typing import Any

from kitlab.modelkit.mediatypes import CLI_VERSION_ANNOTATION
from kitlab.modelkit.reference import Reference
from kitlab.modelkit.store import LocalStore


def inspect_kit(store: LocalStore, ref: Reference | str) -> dict[str, Any]:
    """The same JSON shape as ``kit inspect`` (``cliVersion`` is ``unknown`` without the annotation)."""
    desc = store.resolve(ref)
    manifest = json.loads(store.get_manifest_bytes(desc))
    config = json.loads(store.get_config_bytes(store.get_manifest(desc)))
    return {
        "digest": desc.digest,
        "cliVersion": (manifest.get("annotations") or {}).get(CLI_VERSION_ANNOTATION, "unknown"),
        "kitfile": config,
        "manifest": manifest,
    }
