"""One kit's trust verdict for the Kits tab (docs/trust.md, "In JupyterLab"): verified by which key,
unsigned, or invalid, with the SBOM and provenance that the same key signed for exactly that digest."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from kitlab.modelkit.reference import Reference
from kitlab.modelkit.registry import Remote
from kitlab.trust.attest import PREDICATE_CYCLONEDX, PREDICATE_SLSA_PROVENANCE_V1, verified_predicates
from kitlab.trust.cosign import SignatureError, Unsigned, verify
from kitlab.trust.summary import key_fingerprint

MAX_CACHED = 256


@dataclass
class Verdict:
    state: str  # verified | unsigned | invalid
    reference: str
    digest: str = ""
    message: str = ""
    key: str = ""  # the label of the key that verified it
    fingerprint: str = ""
    sbom: dict[str, Any] | None = None
    provenance: dict[str, Any] | None = None
    signatures: int = 0
    sources: list[str] = field(default_factory=list)


def kit_verdict(
    ref: Reference, keys: Sequence[tuple[str, ec.EllipticCurvePublicKey]], *, remote: Remote
) -> Verdict:
    """Check ``ref`` (a digest reference, so the verdict is about exactly that content) on its registry."""
    try:
        verified = verify(ref, [key for _, key in keys], remote=remote)
    except Unsigned as exc:
        return Verdict("unsigned", str(ref), ref.digest or "", exc.message)
    except SignatureError as exc:
        return Verdict("invalid", str(ref), ref.digest or "", exc.message)
    label, key = keys[verified.signatures[0].key_index]
    predicates = verified_predicates(ref.with_reference(digest=verified.digest), key, remote=remote)
    return Verdict(
        "verified",
        str(ref),
        verified.digest,
        key=label,
        fingerprint=key_fingerprint(key),
        sbom=predicates.get(PREDICATE_CYCLONEDX),
        provenance=predicates.get(PREDICATE_SLSA_PROVENANCE_V1),
        signatures=len(verified.signatures),
        sources=sorted({s.source for s in verified.signatures}),
    )


class VerdictCache:
    """Verdicts per (digest, trusted key fingerprints): a digest's content never changes, so a verdict
    stays right until the keys change or someone signs it later (``refresh`` asks again)."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, ...], Verdict] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple[str, ...]) -> Verdict | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, ...], verdict: Verdict) -> None:
        with self._lock:
            self._items[key] = verdict
            while len(self._items) > MAX_CACHED:
                self._items.popitem(last=False)
