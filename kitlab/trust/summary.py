"""What a verified pull says about a kit: who signed it and what produced it (docs/trust.md).

Only proven facts go in: the signature check's result, and attestations whose DSSE signature verified
with the same trusted key and whose subject is the pulled digest (``verified_predicates``).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kitlab.trust.attest import PREDICATE_CYCLONEDX, PREDICATE_SLSA_PROVENANCE_V1
from kitlab.trust.cosign import VerifyResult, _dict

MAX_LISTED_SOURCES = 20
_ESCAPES = str.maketrans({"|": "\\|", "<": "&lt;", ">": "&gt;", "`": "'", "\r": " ", "\n": " ", "*": "\\*"})


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _md(value: object) -> str:
    return str(value).translate(_ESCAPES).strip()[:300]


def _writer(writer: dict[str, Any]) -> str:
    """``train.ipynb`` cell 3 [12], or ``prep.py`` line 40: where the provenance says an artifact was
    written (the N-th code cell, and the prompt the notebook shows for it)."""
    source = f"`{_md(writer.get('source', ''))}`"
    if isinstance(writer.get("cell"), int):
        count = writer.get("executionCount")
        return f"{source} cell {writer['cell']}" + (f" [{count}]" if isinstance(count, int) else "")
    return f"{source} line {_md(writer.get('line', '?'))}"


def key_fingerprint(key: ec.EllipticCurvePublicKey) -> str:
    """``SHA256:<base64>`` of the key's DER SubjectPublicKeyInfo, as ssh-keygen -l shows keys."""
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")


def trust_note(
    verified: VerifyResult,
    key: ec.EllipticCurvePublicKey,
    key_label: str,
    predicates: dict[str, dict[str, Any]],
    *,
    checked_by: str = "`kitlab pull --verify` before it was downloaded",
) -> str:
    """Markdown for the first cell of the pulled kit's notebook."""
    count = len(verified.signatures)
    lines = [
        "## Signature verified",
        "",
        f"`{_md(verified.reference)}` (`{verified.digest}`) carries {count} cosign signature"
        f"{'s' if count != 1 else ''} by the public key `{_md(key_label)}` (fingerprint "
        f"`{key_fingerprint(key)}`), checked by {checked_by}.",
    ]
    provenance = predicates.get(PREDICATE_SLSA_PROVENANCE_V1)
    if provenance:
        build, run = _dict(provenance.get("buildDefinition")), _dict(provenance.get("runDetails"))
        lines += ["", "### What produced it (signed SLSA provenance)", ""]
        sources = [_dict(d) for d in _list(build.get("resolvedDependencies"))]
        for dep in sources:
            digest = _dict(dep.get("digest"))
            if "gitCommit" in digest:
                dirty = _dict(dep.get("annotations")).get("dirty") is True
                lines.append(
                    f"- git commit `{_md(digest['gitCommit'])}` of `{_md(dep.get('uri', ''))}`"
                    + (" (with uncommitted changes)" if dirty else " (clean tree)")
                )
        files = [d for d in sources if "sha256" in _dict(d.get("digest"))]
        for dep in files[:MAX_LISTED_SOURCES]:
            lines.append(f"- `{_md(dep.get('uri', ''))}` (sha256 `{_md(dep['digest']['sha256'])[:12]}…`)")
        if len(files) > MAX_LISTED_SOURCES:
            lines.append(f"- … and {len(files) - MAX_LISTED_SOURCES} more notebooks and scripts")
        internal = _dict(build.get("internalParameters"))
        for artifact in [_dict(a) for a in _list(internal.get("artifacts"))][:MAX_LISTED_SOURCES]:
            writers = [_writer(_dict(w)) for w in _list(artifact.get("producedBy"))[:3]]
            lines.append(f"- `{_md(artifact.get('path', ''))}` written by " + ", ".join(writers))
        for kernel in [_dict(k) for k in _list(internal.get("kernels"))][:MAX_LISTED_SOURCES]:
            version = f" (Python {_md(kernel['python'])})" if kernel.get("python") else ""
            lines.append(f"- kernel `{_md(kernel.get('name', ''))}`{version}")
        python = internal.get("python")
        if python:
            lines.append(f"- Python {_md(python)}")
        builder, started = _dict(run.get("builder")).get("id"), _dict(run.get("metadata")).get("startedOn")
        if builder:
            lines.append(f"- packed by `{_md(builder)}`" + (f" at {_md(started)}" if started else ""))
    else:
        lines += ["", "No signed provenance is attached to this kit."]
    if PREDICATE_CYCLONEDX in predicates:
        components = predicates[PREDICATE_CYCLONEDX].get("components")
        n = len(components) if isinstance(components, list) else 0
        lines += [
            "",
            f"A signed CycloneDX SBOM is attached ({n} components); download it with `cosign download "
            f"attestation --predicate-type {PREDICATE_CYCLONEDX} {_md(verified.reference)}`.",
        ]
    return "\n".join(lines) + "\n"
