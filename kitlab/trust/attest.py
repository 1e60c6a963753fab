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

``cosign verify-attestation --key --type cyclonedx`` checks them offline with
``--insecure-ignore-tlog=true``.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from kitlab.modelkit.reference import Reference, is_digest
from kitlab.modelkit.registry import Remote
from kitlab.trust.cosign import _as_ref, _dict, _get_optional, _json, _put_legacy, _upload, _verifies

IN_TOTO_STATEMENT = "https://in-toto.io/Statement/v0.1"
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json"
PREDICATE_TYPE_ANNOTATION = "predicateType"
PREDICATE_CYCLONEDX = "https://cyclonedx.org/bom"
PREDICATE_SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"


@dataclass
class AttestResult:
    reference: str
    digest: str
    predicate_type: str
    tag: str


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


def attest(
    ref: Reference | str,
    key: ec.EllipticCurvePrivateKey,
    predicate_type: str,
    predicate: dict[str, Any],
    *,
    remote: Remote | None = None,
    replace: bool = False,
) -> AttestResult:
    """Sign ``predicate`` about the manifest ``ref`` names and store it beside the kit."""
    parsed = _as_ref(ref)
    remote = remote or Remote()
    with remote.client(parsed) as client:
        _, _, digest = client.get_manifest(parsed.reference)
        body = statement(parsed.repo_key, digest, predicate_type, predicate)
        signature = key.sign(pae(IN_TOTO_PAYLOAD_TYPE, body), ec.ECDSA(hashes.SHA256()))
        envelope = {
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "payload": base64.b64encode(body).decode(),
            "signatures": [{"keyid": "", "sig": base64.b64encode(signature).decode()}],
        }
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
                isinstance(annotations, dict) and annotations.get(PREDICATE_TYPE_ANNOTATION) == predicate_type
            )
            return not (replace and same_type) and old.get("digest") != layer["digest"]

        tag = _put_legacy(client, digest, layer, tag=attestation_tag(digest), keep=keep)
    return AttestResult(reference=str(parsed), digest=digest, predicate_type=predicate_type, tag=tag)


MAX_ENVELOPE = 4 * 1024 * 1024
MAX_ATTESTATIONS = 32


def verified_predicates(
    ref: Reference | str,
    key: ec.EllipticCurvePublicKey | Sequence[ec.EllipticCurvePublicKey],
    *,
    remote: Remote | None = None,
) -> dict[str, dict[str, Any]]:
    """predicate type → predicate of each attestation of ``ref``'s manifest whose DSSE signature verifies
    with ``key`` (or one of several keys) and whose subject is exactly that manifest's digest. Others
    are ignored: an unverified attestation says nothing."""
    parsed = _as_ref(ref)
    remote = remote or Remote()
    keys = list(key) if isinstance(key, Sequence) else [key]
    found: dict[str, dict[str, Any]] = {}
    with remote.client(parsed) as client, tempfile.TemporaryDirectory(prefix="kitlab-att-") as tmp:
        _, _, digest = client.get_manifest(parsed.reference)
        manifest = _json(_get_optional(client, attestation_tag(digest)) or b"")
        layers = manifest.get("layers") if isinstance(manifest.get("layers"), list) else []
        for index, layer in enumerate((layers or [])[:MAX_ATTESTATIONS]):
            layer = _dict(layer)
            blob, size = str(layer.get("digest", "")), layer.get("size")
            if layer.get("mediaType") != DSSE_MEDIA_TYPE or not is_digest(blob):
                continue
            if not isinstance(size, int) or not 0 < size <= MAX_ENVELOPE:
                continue
            path = client.fetch_blob(blob, Path(tmp) / f"envelope-{index}", size=size)
            envelope = _json(path.read_bytes())
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
