"""Pull only what verifies: ``kitlab pull REF --verify KEY`` (docs/trust.md).

The signature is checked against the digest the registry serves for ``REF`` before anything is
downloaded, then exactly that digest is pulled and tagged locally. A tag moved between the check and
the download cannot swap the content, and an unsigned or badly signed kit leaves the store as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cryptography.hazmat.primitives.asymmetric import ec

from kitlab.modelkit.pull import PullResult, pull
from kitlab.modelkit.reference import Reference, parse_reference
from kitlab.modelkit.registry import Remote
from kitlab.modelkit.store import LocalStore
from kitlab.progress import CancelToken, ProgressFn, no_progress
from kitlab.trust.cosign import VerifyResult, verify


def pull_verified(
    ref: Reference | str,
    key: ec.EllipticCurvePublicKey | Sequence[ec.EllipticCurvePublicKey],
    *,
    store: LocalStore | None = None,
    remote: Remote | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    warn: Callable[[str], None] | None = None,
) -> tuple[PullResult, VerifyResult]:
    """Verify ``ref``'s signature with ``key``, then pull the verified digest (raises before any
    download when the kit is unsigned or no signature verifies). Parent kits named in ``model.path``
    are pulled as ``pull`` does, not verified."""
    parsed = parse_reference(ref) if isinstance(ref, str) else ref
    remote = remote or Remote()
    store = store or LocalStore()
    verified = verify(parsed, key, remote=remote)
    pinned = parsed.with_reference(digest=verified.digest)
    result = pull(pinned, store=store, remote=remote, progress=progress, cancel=cancel, warn=warn)
    if parsed.tag:
        store.tag(pinned, parsed.with_reference(tag=parsed.tag))
        result.reference = str(parsed)
    return result, verified
