"""A CycloneDX 1.6 ML-BOM of a pushed kit, built with cyclonedx-python-lib (docs/trust.md, "Attestations").

What it holds today: the kit itself (its manifest digest, as the BOM's subject), the model as a
``machine-learning-model`` component (name, path, framework, version, license), each dataset as ``data``,
code and docs as ``file`` components with their licenses, and every layer with its SHA-256 digest, media
type and size — all read from the kit's manifest and config (the Kitfile) on the registry. Given the
workspace the kit was packed from, the requirements the scanner pins from the notebooks' kernel
(``kitlab.scan``: each imported distribution and its installed version) become ``library``
components with PyPI package URLs. Format, precision and per-file digests are not in it yet.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.license import DisjunctiveLicense
from cyclonedx.output.json import JsonV1Dot6

from kitlab._version import __version__
from kitlab.errors import InvalidInput
from kitlab.modelkit.reference import Reference, is_digest
from kitlab.modelkit.registry import Remote
from kitlab.trust.cosign import _as_ref

MAX_CONFIG = 4 * 1024 * 1024


def _sha256(digest: str) -> list[HashType]:
    algo, _, value = digest.partition(":")
    return [HashType(alg=HashAlgorithm.SHA_256, content=value)] if algo == "sha256" else []


def _licenses(entry: dict[str, Any]) -> list[DisjunctiveLicense]:
    name = entry.get("license")
    return [DisjunctiveLicense(name=str(name))] if isinstance(name, str) and name else []


def _props(entry: dict[str, Any], *keys: str) -> list[Property]:
    return [
        Property(name=f"kitops:{key}", value=str(entry[key]))
        for key in keys
        if isinstance(entry.get(key), (str, int, float)) and entry.get(key) != ""
    ]


def _entries(config: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = config.get(key)
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def pinned_libraries(requirements: str) -> list[Component]:
    """``name==version`` lines (the scanner's pinned requirements) as PyPI library components."""
    from packageurl import PackageURL

    libraries: list[Component] = []
    for raw in requirements.splitlines():
        line = raw.split("#", 1)[0].strip()
        name, sep, version = line.partition("==")
        name, version = name.strip(), version.strip()
        if not sep or not name or not version or any(c in name + version for c in " ;<>[]@"):
            continue
        libraries.append(
            Component(
                name=name,
                version=version,
                type=ComponentType.LIBRARY,
                bom_ref=f"pypi:{name.lower()}",
                purl=PackageURL(type="pypi", name=name.lower(), version=version),
            )
        )
    return libraries


def workspace_requirements(workspace: Path) -> str:
    """The requirements the scanner pins for ``workspace`` from its notebooks' kernel."""
    from kitlab.scan.workspace import scan_workspace

    return scan_workspace(workspace, workspace).requirements


def kit_sbom(ref: Reference | str, *, remote: Remote | None = None, requirements: str = "") -> dict[str, Any]:
    """The CycloneDX 1.6 JSON document (as a dict) describing the kit ``ref`` names on its registry;
    ``requirements`` (pinned ``name==version`` lines) add the environment's libraries."""
    parsed = _as_ref(ref)
    remote = remote or Remote()
    with remote.client(parsed) as client, tempfile.TemporaryDirectory(prefix="kitlab-sbom-") as tmp:
        body, _, digest = client.get_manifest(parsed.reference)
        manifest = json.loads(body)
        config_desc = manifest.get("config") if isinstance(manifest, dict) else None
        if not isinstance(config_desc, dict) or not is_digest(str(config_desc.get("digest", ""))):
            raise InvalidInput(f"{parsed.display()} has no config blob; is it a ModelKit?")
        size = config_desc.get("size")
        if not isinstance(size, int) or not 0 < size <= MAX_CONFIG:
            raise InvalidInput(f"{parsed.display()}: config blob size {size!r} out of range")
        path = client.fetch_blob(str(config_desc["digest"]), Path(tmp) / "config", size=size)
        config = json.loads(path.read_text(encoding="utf-8"))
    config = config if isinstance(config, dict) else {}
    package = config.get("package") if isinstance(config.get("package"), dict) else {}
    assert isinstance(package, dict)

    subject = Component(
        name=str(package.get("name") or parsed.repository),
        version=parsed.tag or None,
        type=ComponentType.APPLICATION,
        bom_ref=digest,
        hashes=_sha256(digest),
        description=str(package.get("description") or "") or None,
        licenses=_licenses(package),
        properties=[Property(name="kitops:reference", value=f"{parsed.repo_key}@{digest}")],
    )
    components: list[Component] = []
    model = config.get("model")
    if isinstance(model, dict):
        components.append(
            Component(
                name=str(model.get("name") or model.get("path") or "model"),
                version=str(model.get("version") or "") or None,
                type=ComponentType.MACHINE_LEARNING_MODEL,
                bom_ref="model",
                description=str(model.get("description") or "") or None,
                licenses=_licenses(model),
                properties=_props(model, "path", "framework", "format"),
            )
        )
    for kind, ctype in (
        ("datasets", ComponentType.DATA),
        ("code", ComponentType.FILE),
        ("docs", ComponentType.FILE),
    ):
        for index, entry in enumerate(_entries(config, kind)):
            components.append(
                Component(
                    name=str(entry.get("name") or entry.get("path") or f"{kind}-{index}"),
                    type=ctype,
                    bom_ref=f"{kind}-{index}",
                    description=str(entry.get("description") or "") or None,
                    licenses=_licenses(entry),
                    properties=[*_props(entry, "path"), Property(name="kitops:kind", value=kind)],
                )
            )
    layers = manifest.get("layers") if isinstance(manifest.get("layers"), list) else []
    for index, layer in enumerate(layers or []):
        if not isinstance(layer, dict) or not is_digest(str(layer.get("digest", ""))):
            continue
        components.append(
            Component(
                name=f"layer {index}",
                type=ComponentType.FILE,
                bom_ref=str(layer["digest"]),
                mime_type=str(layer.get("mediaType") or "") or None,
                hashes=_sha256(str(layer["digest"])),
                properties=[Property(name="kitops:layer-size", value=str(layer.get("size", "")))],
            )
        )
    components.extend(pinned_libraries(requirements))
    bom = Bom(components=components)
    bom.metadata.component = subject
    bom.register_dependency(subject, components)  # the kit consists of its model, data, code and layers
    bom.metadata.properties.add(Property(name="kitlab:version", value=__version__))
    document: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())
    return document
