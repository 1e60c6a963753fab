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
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from kitlab.modelkit.reference import Reference
from kitlab.modelkit.registry import Remote
from kitlab.trust.cosign import _as_ref, _put_legacy, _upload

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
