"""Sign and verify kits the way cosign v2 stores image signatures, so ``cosign verify --key`` accepts
kitlab's signatures and kitlab accepts cosign's (docs/trust.md).

What cosign 2.6 writes (observed with ``cosign sign --key``, tests/trust pin it):

* the payload is "simple signing" JSON naming the signed manifest's digest::

    {"critical":{"identity":{"docker-reference":"<registry>/<repository>"},
     "image":{"docker-manifest-digest":"sha256:…"},"type":"cosign container image signature"},
     "optional":null}

* the signature is ECDSA P-256 over SHA-256 of those bytes, ASN.1 DER, base64 in the layer annotation
  ``dev.cosignproject.cosign/signature``; the payload is the layer blob, media type
  ``application/vnd.dev.cosign.simplesigning.v1+json``;
* ``--registry-referrers-mode=legacy`` (the default): an OCI image manifest with one such layer per
  signature, under the tag ``sha256-<hex>.sig`` beside the kit; a new signature is appended;
* ``--registry-referrers-mode=oci-1-1``: the same layer in a manifest whose ``artifactType`` and config
  media type are ``application/vnd.dev.cosign.artifact.sig.v1+json`` and whose ``subject`` is the kit,
  pushed by digest; registries with the OCI 1.1 referrers API list it; on others go-containerregistry
  keeps the referrers tag schema, an image index under the tag ``sha256-<hex>``.

No transparency log is involved: kitlab signs and verifies with keys only, like
``cosign sign --tlog-upload=false`` and ``cosign verify --insecure-ignore-tlog=true``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tempfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from kitlab.errors import InvalidInput, KitlabError
from kitlab.modelkit.reference import Reference, is_digest, parse_reference
from kitlab.modelkit.registry import RegistryClient, RegistryNotFound, Remote

SIMPLESIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
SIG_ARTIFACT_TYPE = "application/vnd.dev.cosign.artifact.sig.v1+json"
SIGNATURE_TYPE = "cosign container image signature"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MAX_PAYLOAD = 64 * 1024  # a simple-signing payload is a few hundred bytes
MAX_SIGNATURES = 64  # signatures checked per kit; more is not a signature manifest

Mode = Literal["auto", "legacy", "oci-1-1"]


class SignatureError(KitlabError):
    """A kit is unsigned, or none of its signatures verifies with the trusted key."""

    code = "signature_invalid"


class Unsigned(SignatureError):
    code = "unsigned"


@dataclass(frozen=True)
class VerifiedSignature:
    digest: str  # the kit's manifest digest the signature covers
    docker_reference: str  # the repository named in the signed payload
    source: str  # where it was found: the tag, or "referrer sha256:…"
    key_index: int = 0  # which of the trusted keys verified it


@dataclass
class SignResult:
    reference: str
    digest: str
    signature_tag: str = ""
    referrer: str = ""  # the signature manifest's digest when stored as a referrer


@dataclass
class VerifyResult:
    reference: str
    digest: str
    signatures: list[VerifiedSignature] = field(default_factory=list)


def signature_tag(digest: str) -> str:
    """cosign's tag for the signatures of ``digest``: ``sha256-<hex>.sig``."""
    return digest.replace(":", "-", 1) + ".sig"


def referrers_tag(digest: str) -> str:
    """The OCI 1.1 referrers tag schema's fallback tag: ``sha256-<hex>``."""
    return digest.replace(":", "-", 1)


def simple_signing_payload(docker_reference: str, digest: str) -> bytes:
    """cosign's payload bytes, field order and spacing as Go's ``json.Marshal`` writes them."""
    payload = {
        "critical": {
            "identity": {"docker-reference": docker_reference},
            "image": {"docker-manifest-digest": digest},
            "type": SIGNATURE_TYPE,
        },
        "optional": None,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _as_ref(ref: Reference | str) -> Reference:
    parsed = parse_reference(ref) if isinstance(ref, str) else ref
    if not parsed.reference:
        raise InvalidInput(f"{parsed} names no tag or digest; sign or verify registry/repository:tag")
    return parsed


def _json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _upload(client: RegistryClient, data: bytes) -> dict[str, Any]:
    digest = _sha256(data)
    client.upload_blob(digest, len(data), lambda offset: io.BytesIO(data[offset:]))
    return {"digest": digest, "size": len(data)}


def _config(layer_digests: list[str]) -> bytes:
    """The config cosign's signature images carry (go-containerregistry's empty image + layers)."""
    history = [{"created": "0001-01-01T00:00:00Z"} for _ in layer_digests]
    config = {
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": history,
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": layer_digests},
        "config": {},
    }
    return json.dumps(config, separators=(",", ":")).encode()


def _get_optional(client: RegistryClient, tag: str) -> bytes | None:
    try:
        body, _, _ = client.get_manifest(tag)
    except RegistryNotFound:
        return None
    return body


def _has_referrers_api(client: RegistryClient, digest: str) -> bool:
    """True if the registry answers the OCI 1.1 referrers endpoint with an image index."""
    t = client.transport
    resp = t.request(
        "GET", t.url(f"/v2/{client.repository}/referrers/{digest}"), headers={"Accept": OCI_INDEX}
    )
    try:
        ok = resp.status_code == 200 and resp.headers.get("Content-Type", "").startswith(OCI_INDEX)
    finally:
        resp.close()
    return ok


def _referrers(client: RegistryClient, digest: str) -> list[dict[str, Any]]:
    """Descriptors referring to ``digest``: the referrers API where the registry has it, else the
    referrers tag schema's index (``sha256-<hex>``), as go-containerregistry reads them."""
    t = client.transport
    resp = t.request(
        "GET", t.url(f"/v2/{client.repository}/referrers/{digest}"), headers={"Accept": OCI_INDEX}
    )
    try:
        if resp.status_code == 200 and resp.headers.get("Content-Type", "").startswith(OCI_INDEX):
            index = _json(resp.content[: 4 * 1024 * 1024])
        else:
            index = _json(_get_optional(client, referrers_tag(digest)) or b"")
    finally:
        resp.close()
    manifests = index.get("manifests")
    return [m for m in manifests if isinstance(m, dict)] if isinstance(manifests, list) else []


# ------------------------------------------------------------------------------------------- sign
def sign(
    ref: Reference | str,
    key: ec.EllipticCurvePrivateKey,
    *,
    remote: Remote | None = None,
    mode: Mode = "auto",
) -> SignResult:
    """Sign the manifest ``ref`` names on its registry and store the signature there.

    ``mode``: ``legacy`` writes cosign's ``.sig`` tag; ``oci-1-1`` a referrer, as
    ``cosign sign --registry-referrers-mode=oci-1-1`` does; ``auto`` (the default) always the ``.sig``
    tag, which cosign v2's ``verify`` reads by default, and a referrer too when the registry has the
    referrers API.
    """
    parsed = _as_ref(ref)
    remote = remote or Remote()
    with remote.client(parsed) as client:
        _, media_type, digest = client.get_manifest(parsed.reference)
        if parsed.digest and parsed.digest != digest:
            raise InvalidInput(f"{parsed} resolved to {digest}")
        payload = simple_signing_payload(parsed.repo_key, digest)
        signature = base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
        layer = {
            "mediaType": SIMPLESIGNING_MEDIA_TYPE,
            **_upload(client, payload),
            "annotations": {SIGNATURE_ANNOTATION: signature},
        }
        result = SignResult(reference=str(parsed), digest=digest)
        if mode in ("auto", "legacy"):
            result.signature_tag = _put_legacy(client, digest, layer)
        if mode == "oci-1-1" or (mode == "auto" and _has_referrers_api(client, digest)):
            result.referrer = _put_referrer(client, digest, media_type, layer)
    return result


def _put_legacy(
    client: RegistryClient,
    digest: str,
    layer: dict[str, Any],
    *,
    tag: str = "",
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> str:
    """Append ``layer`` to the manifest under ``tag`` (default ``sha256-<hex>.sig``; cosign appends
    too). ``keep`` says which existing layers stay (default: all but an identical signature)."""
    tag = tag or signature_tag(digest)
    existing = _json(_get_optional(client, tag) or b"")

    def different(old: dict[str, Any]) -> bool:
        return old.get("annotations") != layer["annotations"]

    layers = [
        old
        for old in (existing.get("layers") or [])
        if isinstance(old, dict) and old.get("digest") and (keep or different)(old)
    ][: MAX_SIGNATURES - 1]
    layers.append(layer)
    config = _config([str(old["digest"]) for old in layers])
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, **_upload(client, config)},
        "layers": layers,
    }
    client.put_manifest(tag, json.dumps(manifest, separators=(",", ":")).encode(), OCI_MANIFEST)
    return tag


def _put_referrer(
    client: RegistryClient,
    digest: str,
    media_type: str,
    layer: dict[str, Any],
    *,
    artifact_type: str = SIG_ARTIFACT_TYPE,
    config: dict[str, Any] | None = None,
    annotations: dict[str, str] | None = None,
    drop: Collection[str] = (),
) -> str:
    """Push an image manifest holding ``layer`` whose ``subject`` is the kit ``digest``, by digest;
    ``config`` defaults to cosign's signature config; ``drop`` names referrers the fallback index no
    longer lists. Returns the referrer's digest."""
    subject_bytes, _, _ = client.get_manifest(digest)
    if config is None:
        config = {"mediaType": artifact_type, **_upload(client, _config([str(layer["digest"])]))}
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config,
        "layers": [layer],
    }
    if annotations:
        manifest["annotations"] = annotations
    manifest["subject"] = {
        "mediaType": media_type or OCI_MANIFEST,
        "size": len(subject_bytes),
        "digest": digest,
    }
    manifest["artifactType"] = artifact_type
    data = json.dumps(manifest, separators=(",", ":")).encode()
    referrer = client.put_manifest(_sha256(data), data, OCI_MANIFEST)
    if not _has_referrers_api(client, digest):
        # The referrers tag schema (OCI distribution spec 1.1, "unavailable referrers API"): the client
        # keeps an index of referrers under sha256-<hex>, which cosign and oras read on such registries.
        index = _json(_get_optional(client, referrers_tag(digest)) or b"")
        entries = [
            m
            for m in (index.get("manifests") or [])
            if isinstance(m, dict) and m.get("digest") != referrer and m.get("digest") not in drop
        ]
        entry: dict[str, Any] = {
            "mediaType": OCI_MANIFEST,
            "size": len(data),
            "digest": referrer,
            "artifactType": artifact_type,
        }
        if annotations:
            entry["annotations"] = annotations
        entries.append(entry)
        doc = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        client.put_manifest(referrers_tag(digest), json.dumps(doc, separators=(",", ":")).encode(), OCI_INDEX)
    return referrer


# ----------------------------------------------------------------------------------------- verify
def _verifying_key(keys: list[ec.EllipticCurvePublicKey], encoded: str, payload: bytes) -> int | None:
    """The index of the key that verifies the base64 DER ``encoded`` signature of ``payload``."""
    try:
        signature = base64.b64decode(encoded, validate=True)
    except ValueError:
        return None
    for index, key in enumerate(keys):
        try:
            key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            continue
        return index
    return None


def _verifies(keys: list[ec.EllipticCurvePublicKey], encoded: str, payload: bytes) -> bool:
    return _verifying_key(keys, encoded, payload) is not None


def _candidate_layers(client: RegistryClient, digest: str) -> list[tuple[str, dict[str, Any]]]:
    """(where, layer) for every simple-signing layer stored for ``digest``, both schemes."""
    found: list[tuple[str, dict[str, Any]]] = []
    legacy = _json(_get_optional(client, signature_tag(digest)) or b"")
    for layer in legacy.get("layers") or []:
        if isinstance(layer, dict):
            found.append((signature_tag(digest), layer))
    for desc in _referrers(client, digest)[:MAX_SIGNATURES]:
        if desc.get("artifactType") != SIG_ARTIFACT_TYPE or not is_digest(str(desc.get("digest", ""))):
            continue
        body = _get_optional(client, str(desc["digest"]))
        manifest = _json(body or b"")
        subject = manifest.get("subject")
        if not isinstance(subject, dict) or subject.get("digest") != digest:
            continue
        for layer in manifest.get("layers") or []:
            if isinstance(layer, dict):
                found.append((f"referrer {desc['digest']}", layer))
    return [(where, layer) for where, layer in found if layer.get("mediaType") == SIMPLESIGNING_MEDIA_TYPE][
        :MAX_SIGNATURES
    ]


def _fetch_payload(client: RegistryClient, layer: dict[str, Any], workdir: Path) -> bytes | None:
    digest, size = str(layer.get("digest", "")), layer.get("size")
    if not is_digest(digest) or not isinstance(size, int) or not 0 < size <= MAX_PAYLOAD:
        return None
    dest = workdir / digest.replace(":", "-")
    client.fetch_blob(digest, dest, size=size)  # verified against its digest and size
    return dest.read_bytes()


def verify(
    ref: Reference | str,
    key: ec.EllipticCurvePublicKey | Sequence[ec.EllipticCurvePublicKey],
    *,
    remote: Remote | None = None,
) -> VerifyResult:
    """Check that the manifest ``ref`` names carries a signature by ``key`` (or any of several trusted
    keys) that covers its digest.

    Raises ``Unsigned`` when no signature is stored, ``SignatureError`` when none verifies (another
    key, an altered payload, or a signature made for another manifest: the kit changed after signing).
    """
    parsed = _as_ref(ref)
    remote = remote or Remote()
    keys = list(key) if isinstance(key, Sequence) else [key]
    if not keys:
        raise InvalidInput("no public key to verify with")
    with remote.client(parsed) as client:
        _, _, digest = client.get_manifest(parsed.reference)
        if parsed.digest and parsed.digest != digest:
            raise SignatureError(f"{parsed} resolved to {digest}")
        candidates = _candidate_layers(client, digest)
        if not candidates:
            raise Unsigned(
                f"{parsed.display()} ({digest}) is not signed: no signature under {signature_tag(digest)} "
                "or among its referrers. If it was signed before, the kit changed since; otherwise sign it "
                "with `kitlab sign` or `cosign sign`"
            )
        result = VerifyResult(reference=str(parsed), digest=digest)
        other_digests: set[str] = set()
        bad = 0
        with tempfile.TemporaryDirectory(prefix="kitlab-verify-") as tmp:
            for where, layer in candidates:
                annotations = layer.get("annotations")
                encoded = annotations.get(SIGNATURE_ANNOTATION) if isinstance(annotations, dict) else None
                payload = _fetch_payload(client, layer, Path(tmp))
                if not isinstance(encoded, str) or payload is None:
                    bad += 1
                    continue
                key_index = _verifying_key(keys, encoded, payload)
                if key_index is None:
                    bad += 1
                    continue
                critical = _dict(_json(payload).get("critical"))
                signed_digest = str(_dict(critical.get("image")).get("docker-manifest-digest", ""))
                docker_reference = str(_dict(critical.get("identity")).get("docker-reference", ""))
                if critical.get("type") != SIGNATURE_TYPE:
                    bad += 1
                    continue
                if signed_digest != digest:
                    other_digests.add(signed_digest)
                    continue
                result.signatures.append(VerifiedSignature(digest, docker_reference, where, key_index))
    if result.signatures:
        return result
    if other_digests:
        raise SignatureError(
            f"{parsed.display()} is {digest}, but its signature covers {', '.join(sorted(other_digests))}: "
            "the manifest was changed after it was signed (tampered); do not use this kit"
        )
    raise SignatureError(
        f"{parsed.display()} ({digest}) has {bad} signature{'s' if bad != 1 else ''} but none verifies with "
        + ("the given public key" if len(keys) == 1 else f"any of the {len(keys)} trusted public keys")
        + ": it was signed with another key, or the signature was altered"
    )
