"""Signed in-toto attestations stored as ``cosign attest`` stores them (docs/trust.md, "Attestations").

What cosign 2.6 writes (observed with ``cosign attest --key --type cyclonedx``):

* an in-toto statement ``{"_type":"https://in-toto.io/Statement/v0.1","predicateType":…,
  "subject":[{"name":"<registry>/<repository>","digest":{"sha256":"<hex>"}}],"predicate":…}``;
* wrapped in a DSSE envelope ``{"payloadType":"application/vnd.in-toto+json","payload":<base64>,
  "signatures":[{"keyid":"","sig":<base64 DER ECDSA over the DSSE PAE>}]}``;
* the envelope is a layer of media type ``application/vnd.dsse.envelope.v1+json`` with the annotations
  ``dev.cosignproject.cosign/signature: ""`` and ``predicateType``, in an image manifest tagged
  ``sha256-<hex>.att``; a new attestation is appended (``replace`` drops those of the same type first,
  as ``cosign attest --replace``).

Where the registry has the OCI 1.1 referrers API, the same envelope is also stored the way
``cosign attest --new-bundle-format`` stores it (cosign 2.6 has no ``--registry-referrers-mode`` for
attestations): a Sigstore bundle v0.3 ``{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json",
"verificationMaterial":{"publicKey":{"hint":<base64 SHA-256 of the DER public key>}},"dsseEnvelope":…}``
as the one layer of an image manifest whose ``artifactType`` is the bundle media type, whose config is
the OCI empty blob ``{}``, with the annotations ``dev.sigstore.bundle.content: dsse-envelope`` and
``dev.sigstore.bundle.predicateType``, and whose ``subject`` is the kit; on registries without the API
the referrers tag schema's index ``sha256-<hex>`` lists it.

``cosign verify-attestation --key --type cyclonedx`` checks the tag form offline with
``--insecure-ignore-tlog=true``; with ``--new-bundle-format --trusted-root <empty root>`` the referrer.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kitlab.errors import KitlabError
from kitlab.modelkit.reference import Reference, is_digest
from kitlab.modelkit.registry import RegistryClient, Remote
from kitlab.trust.cosign import (
    Mode,
    _as_ref,
    _dict,
    _get_optional,
    _has_referrers_api,
    _json,
    _put_legacy,
    _put_referrer,
    _referrers,
    _upload,
    _verifies,
)

IN_TOTO_STATEMENT = "https://in-toto.io/Statement/v0.1"
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json"
PREDICATE_TYPE_ANNOTATION = "predicateType"
PREDICATE_CYCLONEDX = "https://cyclonedx.org/bom"
PREDICATE_SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
BUNDLE_PREDICATE_ANNOTATION = "dev.sigstore.bundle.predicateType"


@dataclass
class AttestResult:
    reference: str
    digest: str
    predicate_type: str
    tag: str = ""
    referrer: str = ""  # the bundle manifest's digest when stored as a referrer


def attestation_tag(digest: str) -> str:
    """cosign's tag for the attestations of ``digest``: ``sha256-<hex>.att``."""
    return digest.replace(":", "-", 1) + ".att"


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what the signature covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def statement(subject_name: str, digest: str, predicate_type: str, predicate: dict[str, Any]) -> bytes:
    algo, _, hex_digest = digest.partition(":")
    document = {
        "_type": IN_TOTO_STATEMENT,
        "predicateType": predicate_type,
        "subject": [{"name": subject_name, "digest": {algo: hex_digest}}],
        "predicate": predicate,
    }
    return json.dumps(document, separators=(",", ":")).encode()


def _key_hint(key: ec.EllipticCurvePrivateKey) -> str:
    """The bundle's public key hint as cosign writes it: base64 SHA-256 of the DER public key."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def _put_bundle(
    client: RegistryClient,
    digest: str,
    media_type: str,
    envelope: dict[str, Any],
    key: ec.EllipticCurvePrivateKey,
    predicate_type: str,
    replace: bool,
) -> str:
    """Store ``envelope`` as a Sigstore bundle referrer of ``digest``, as ``cosign attest
    --new-bundle-format --key`` does; returns the referrer's digest. ``replace``: older bundles of
    the same predicate type are deleted where the registry allows it, and leave the fallback index."""
    old = [
        found
        for found, manifest in (_bundle_referrers(client, digest) if replace else [])
        if _dict(manifest.get("annotations")).get(BUNDLE_PREDICATE_ANNOTATION) == predicate_type
    ]
    bundle = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {"publicKey": {"hint": _key_hint(key)}},
        "dsseEnvelope": envelope,
    }
    layer = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        **_upload(client, json.dumps(bundle, separators=(",", ":")).encode()),
    }
    config = {"mediaType": OCI_EMPTY, **_upload(client, b"{}"), "artifactType": BUNDLE_MEDIA_TYPE}
    created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    annotations = {
        "dev.sigstore.bundle.content": "dsse-envelope",
        BUNDLE_PREDICATE_ANNOTATION: predicate_type,
        "org.opencontainers.image.created": created,
    }
    referrer = _put_referrer(
        client,
        digest,
        media_type,
        layer,
        artifact_type=BUNDLE_MEDIA_TYPE,
        config=config,
        annotations=annotations,
        drop=old,
    )
    for found in old:
        if found != referrer:
            # A registry that refuses deletes keeps it; readers take the newest bundle of a type.
            with contextlib.suppress(KitlabError):
                client.delete_manifest(found)
    return referrer


def attest(
    ref: Reference | str,
    key: ec.EllipticCurvePrivateKey,
    predicate_type: str,
    predicate: dict[str, Any],
    *,
    remote: Remote | None = None,
    replace: bool = False,
    mode: Mode = "auto",
) -> AttestResult:
    """Sign ``predicate`` about the manifest ``ref`` names and store it beside the kit.

    ``mode``: ``legacy`` appends to cosign's ``.att`` tag; ``oci-1-1`` pushes a Sigstore bundle
    referrer; ``auto`` (the default) the tag, which ``cosign verify-attestation`` reads by default, and
    a referrer too when the registry has the referrers API. ``replace`` drops older attestations of the
    same type from the tag, and deletes older bundle referrers of that type where the registry allows
    deletes (readers take the newest bundle of a type either way).
    """
    parsed = _as_ref(ref)
    remote = remote or Remote()
    with remote.client(parsed) as client:
        _, media_type, digest = client.get_manifest(parsed.reference)
        body = statement(parsed.repo_key, digest, predicate_type, predicate)
        signature = key.sign(pae(IN_TOTO_PAYLOAD_TYPE, body), ec.ECDSA(hashes.SHA256()))
        payload, sig = base64.b64encode(body).decode(), base64.b64encode(signature).decode()
        envelope = {
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "payload": payload,
            "signatures": [{"keyid": "", "sig": sig}],
        }
        result = AttestResult(reference=str(parsed), digest=digest, predicate_type=predicate_type)
        if mode in ("auto", "legacy"):
            layer = {
                "mediaType": DSSE_MEDIA_TYPE,
                **_upload(client, json.dumps(envelope, separators=(",", ":")).encode()),
                "annotations": {
                    "dev.cosignproject.cosign/signature": "",
                    PREDICATE_TYPE_ANNOTATION: predicate_type,
                },
            }

            def keep(old: dict[str, Any]) -> bool:
                annotations = old.get("annotations")
                same_type = (
                    isinstance(annotations, dict)
                    and annotations.get(PREDICATE_TYPE_ANNOTATION) == predicate_type
                )
                return not (replace and same_type) and old.get("digest") != layer["digest"]

            result.tag = _put_legacy(client, digest, layer, tag=attestation_tag(digest), keep=keep)
        if mode == "oci-1-1" or (mode == "auto" and _has_referrers_api(client, digest)):
            # protojson's field order and no empty keyid, as cosign's bundle holds the envelope
            bundle_envelope = {
                "payload": payload,
                "payloadType": IN_TOTO_PAYLOAD_TYPE,
                "signatures": [{"sig": sig}],
            }
            result.referrer = _put_bundle(
                client, digest, media_type, bundle_envelope, key, predicate_type, replace
            )
    return result


MAX_ENVELOPE = 4 * 1024 * 1024
MAX_ATTESTATIONS = 32


def _bundle_referrers(client: RegistryClient, digest: str) -> list[tuple[str, dict[str, Any]]]:
    """(digest, manifest) of each Sigstore bundle referrer of ``digest`` (bounded)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for desc in _referrers(client, digest)[:MAX_ATTESTATIONS]:
        # go-containerregistry's registry lists a referrer's config media type as its artifactType.
        if desc.get("artifactType") not in (BUNDLE_MEDIA_TYPE, OCI_EMPTY):
            continue
        if not is_digest(str(desc.get("digest", ""))):
            continue
        referrer = _json(_get_optional(client, str(desc["digest"])) or b"")
        if referrer.get("artifactType") == BUNDLE_MEDIA_TYPE and (
            _dict(referrer.get("subject")).get("digest") == digest
        ):
            found.append((str(desc["digest"]), referrer))
    return found


def _envelopes(client: RegistryClient, digest: str, workdir: Path) -> list[dict[str, Any]]:
    """Every DSSE envelope stored for ``digest``: the ``.att`` tag's layers in order, then the Sigstore
    bundle referrers oldest first (so a later one of a type wins). Bounded by ``MAX_ATTESTATIONS``."""
    blobs: list[tuple[str, object, str]] = []  # (blob digest, size, "dsse" | "bundle")
    manifest = _json(_get_optional(client, attestation_tag(digest)) or b"")
    for layer in (manifest.get("layers") if isinstance(manifest.get("layers"), list) else None) or []:
        layer = _dict(layer)
        if layer.get("mediaType") == DSSE_MEDIA_TYPE:
            blobs.append((str(layer.get("digest", "")), layer.get("size"), "dsse"))
    bundles: list[tuple[str, str, object]] = []  # (created, blob digest, size)
    for _, referrer in _bundle_referrers(client, digest):
        created = str(_dict(referrer.get("annotations")).get("org.opencontainers.image.created", ""))
        for layer in (referrer.get("layers") if isinstance(referrer.get("layers"), list) else None) or []:
            layer = _dict(layer)
            if layer.get("mediaType") == BUNDLE_MEDIA_TYPE:
                bundles.append((created, str(layer.get("digest", "")), layer.get("size")))
    blobs += [(blob, size, "bundle") for _, blob, size in sorted(bundles, key=lambda b: b[0])]
    envelopes: list[dict[str, Any]] = []
    for index, (blob, size, kind) in enumerate(blobs[:MAX_ATTESTATIONS]):
        if not is_digest(blob) or not isinstance(size, int) or not 0 < size <= MAX_ENVELOPE:
            continue
        document = _json(client.fetch_blob(blob, workdir / f"envelope-{index}", size=size).read_bytes())
        envelopes.append(document if kind == "dsse" else _dict(document.get("dsseEnvelope")))
    return envelopes


def verified_predicates(
    ref: Reference | str,
    key: ec.EllipticCurvePublicKey | Sequence[ec.EllipticCurvePublicKey],
    *,
    remote: Remote | None = None,
) -> dict[str, dict[str, Any]]:
    """predicate type → predicate of each attestation of ``ref``'s manifest (under the ``.att`` tag or
    a Sigstore bundle referrer) whose DSSE signature verifies with ``key`` (or one of several keys) and
    whose subject is exactly that manifest's digest. Others are ignored: an unverified attestation says
    nothing."""
    parsed = _as_ref(ref)
    remote = remote or Remote()
    keys = list(key) if isinstance(key, Sequence) else [key]
    found: dict[str, dict[str, Any]] = {}
    with remote.client(parsed) as client, tempfile.TemporaryDirectory(prefix="kitlab-att-") as tmp:
        _, _, digest = client.get_manifest(parsed.reference)
        for envelope in _envelopes(client, digest, Path(tmp)):
            try:
                body = base64.b64decode(str(envelope.get("payload", "")), validate=True)
            except ValueError:
                continue
            signatures = envelope.get("signatures") if isinstance(envelope.get("signatures"), list) else []
            payload_type = str(envelope.get("payloadType", ""))
            if payload_type != IN_TOTO_PAYLOAD_TYPE or not any(
                _verifies(keys, str(_dict(sig).get("sig", "")), pae(payload_type, body))
                for sig in signatures or []
            ):
                continue
            document = _json(body)
            algo, _, hex_digest = digest.partition(":")
            subjects = document.get("subject") if isinstance(document.get("subject"), list) else []
            if not any(_dict(_dict(s).get("digest")).get(algo) == hex_digest for s in subjects or []):
                continue
            predicate_type, predicate = document.get("predicateType"), document.get("predicate")
            if isinstance(predicate_type, str) and isinstance(predicate, dict):
                found[predicate_type] = predicate
    return found
