"""A CycloneDX 1.6 ML-BOM of a pushed kit, built with cyclonedx-python-lib (docs/trust.md, "Attestations").

What it holds: the kit itself (its manifest digest, as the BOM's subject); the model as a
``machine-learning-model`` component (name, path, framework, version, license, and the format, precision,
parameter count, quantization and architecture the scanner read from the weights, as ``kitops:``
properties); each dataset as ``data``, code and docs as ``file`` components with their licenses; every
layer with its SHA-256 digest, media type and size; and every file inside each layer with its own
SHA-256 (read from the layer itself: the local store's copy when it has the blob, else downloaded and
checked against the layer digest). Given the workspace the kit was packed from, the requirements the
scanner pins from the notebooks' kernel (``kitlab.scan``: each imported distribution and its installed
version) become ``library`` components with PyPI package URLs, and model facts the Kitfile lacks are taken
from the scan.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.license import DisjunctiveLicense
from cyclonedx.output.json import JsonV1Dot6

from kitlab._version import __version__
from kitlab.errors import InvalidInput
from kitlab.modelkit.mediatypes import parse_layer_media_type
from kitlab.modelkit.reference import Reference, is_digest
from kitlab.modelkit.registry import Remote
from kitlab.modelkit.registry.client import RegistryClient
from kitlab.modelkit.safe_extract import open_layer_stream
from kitlab.modelkit.store import LocalStore
from kitlab.trust.cosign import _as_ref

MAX_CONFIG = 4 * 1024 * 1024
MAX_FILES = 100_000  # file components over all layers; past that the BOM says it stopped (kitlab:files)
MODEL_FACTS = ("format", "precision", "paramSize", "parameterCount", "quantization", "architecture")


@dataclass
class WorkspaceFacts:
    """What the scanner knows of the workspace a kit was packed from, for the SBOM."""

    requirements: str = ""
    models: dict[str, dict[str, Any]] = field(default_factory=dict)  # model path → its scanned metadata


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


def workspace_facts(workspace: Path) -> WorkspaceFacts:
    """The requirements the scanner pins for ``workspace`` from its notebooks' kernel, and the format,
    precision and size it read from each model's bytes."""
    from kitlab.scan.workspace import scan_workspace

    workspace = workspace.resolve()  # a relative folder is relative to the current directory
    report = scan_workspace(workspace, workspace)
    models = {
        str(e["path"]): {
            **({"format": e["format"]} if e.get("format") else {}),
            **dict(e.get("metadata") or {}),
        }
        for e in report.entries
        if e.get("kind") == "model"
    }
    return WorkspaceFacts(requirements=report.requirements, models=models)


def _model_component(model: dict[str, Any], facts: WorkspaceFacts) -> Component:
    parameters = model.get("parameters") if isinstance(model.get("parameters"), dict) else {}
    known = {**facts.models.get(str(model.get("path") or ""), {}), **(parameters or {})}
    return Component(
        name=str(model.get("name") or model.get("path") or "model"),
        version=str(model.get("version") or "") or None,
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref="model",
        description=str(model.get("description") or "") or None,
        licenses=_licenses(model),
        properties=[*_props(model, "path", "framework"), *_props(known, *MODEL_FACTS)],
    )


@contextlib.contextmanager
def _layer_blob(
    client: RegistryClient, store: LocalStore, digest: str, size: int, tmp: Path
) -> Iterator[IO[bytes]]:
    """The layer's bytes: the local store's copy, else downloaded (and checked) into ``tmp``."""
    if store.has_blob(digest):
        with store.open_blob(digest) as blob:
            yield blob
        return
    path = client.fetch_blob(digest, tmp / digest.replace(":", "-"), size=size)
    try:
        with open(path, "rb") as blob:
            yield blob
    finally:
        path.unlink(missing_ok=True)


def _layer_files(blob: IO[bytes], layer: dict[str, Any]) -> Iterator[tuple[str, str, int]]:
    """(path, sha256 hex, size) of each regular file in a layer, read through once."""
    digest, size = str(layer["digest"]), int(layer.get("size") or 0)
    kind = parse_layer_media_type(str(layer.get("mediaType") or ""))
    if kind.raw:  # one file stored verbatim: its digest is the layer's
        title = _dict_str(layer.get("annotations"), "org.opencontainers.image.title")
        yield title or digest, digest.partition(":")[2], size
        return
    try:
        with (
            open_layer_stream(blob, kind.compression, expected_digest=digest, declared_size=size) as stream,
            tarfile.open(fileobj=stream, mode="r|") as tar,  # type: ignore[call-overload]
        ):
            for member in tar:
                if not member.isfile():
                    continue
                handle = tar.extractfile(member)
                hasher = hashlib.sha256()
                if handle is not None:
                    for block in iter(lambda h=handle: h.read(1 << 20), b""):  # type: ignore[misc]
                        hasher.update(block)
                yield member.name, hasher.hexdigest(), member.size
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise InvalidInput(f"layer {digest[:19]} of the kit cannot be read: {type(exc).__name__}") from None


def _dict_str(value: object, key: str) -> str:
    return str(value.get(key) or "") if isinstance(value, dict) else ""


def kit_sbom(
    ref: Reference | str,
    *,
    remote: Remote | None = None,
    store: LocalStore | None = None,
    facts: WorkspaceFacts | None = None,
) -> dict[str, Any]:
    """The CycloneDX 1.6 JSON document (as a dict) describing the kit ``ref`` names on its registry;
    ``facts`` (from ``workspace_facts``) add the environment's libraries and the scanned model facts."""
    parsed = _as_ref(ref)
    remote = remote or Remote()
    store = store or LocalStore()
    facts = facts or WorkspaceFacts()
    components: list[Component] = []
    files: list[Component] = []
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

        layers = manifest.get("layers") if isinstance(manifest.get("layers"), list) else []
        truncated = False
        for index, layer in enumerate(layers or []):
            if not isinstance(layer, dict) or not is_digest(str(layer.get("digest", ""))):
                continue
            layer_digest, layer_size = str(layer["digest"]), int(layer.get("size") or 0)
            components.append(
                Component(
                    name=f"layer {index}",
                    type=ComponentType.FILE,
                    bom_ref=layer_digest,
                    mime_type=str(layer.get("mediaType") or "") or None,
                    hashes=_sha256(layer_digest),
                    properties=[Property(name="kitops:layer-size", value=str(layer_size))],
                )
            )
            with _layer_blob(client, store, layer_digest, layer_size, Path(tmp)) as blob:
                for name, file_hex, file_size in _layer_files(blob, layer):
                    if len(files) >= MAX_FILES:
                        truncated = True
                        break
                    files.append(
                        Component(
                            name=name,
                            type=ComponentType.FILE,
                            bom_ref=f"file:{index}:{name}",
                            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=file_hex)],
                            properties=[
                                Property(name="kitops:layer", value=layer_digest),
                                Property(name="kitops:size", value=str(file_size)),
                            ],
                        )
                    )
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
    parts: list[Component] = []
    model = config.get("model")
    if isinstance(model, dict):
        parts.append(_model_component(model, facts))
    for kind, ctype in (
        ("datasets", ComponentType.DATA),
        ("code", ComponentType.FILE),
        ("docs", ComponentType.FILE),
    ):
        for index, entry in enumerate(_entries(config, kind)):
            parts.append(
                Component(
                    name=str(entry.get("name") or entry.get("path") or f"{kind}-{index}"),
                    type=ctype,
                    bom_ref=f"{kind}-{index}",
                    description=str(entry.get("description") or "") or None,
                    licenses=_licenses(entry),
                    properties=[*_props(entry, "path"), Property(name="kitops:kind", value=kind)],
                )
            )
    everything = [*parts, *components, *files, *pinned_libraries(facts.requirements)]
    bom = Bom(components=everything)
    bom.metadata.component = subject
    bom.register_dependency(subject, [*parts, *components])  # the kit consists of its parts and layers
    bom.metadata.properties.add(Property(name="kitlab:version", value=__version__))
    bom.metadata.properties.add(
        Property(name="kitlab:files", value=f"first {MAX_FILES} listed" if truncated else "all listed")
    )
    document: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())
    return document
