"""Pull only what verifies: ``kitlab pull REF --verify KEY`` (docs/trust.md).

The signature is checked against the digest the registry serves for ``REF`` before anything is
downloaded, then exactly that digest is pulled and tagged locally. A tag moved between the check and
the download cannot swap the content, and an unsigned or badly signed kit leaves the store as it was.

A kit whose Kitfile names a parent kit (``model.path: registry/repo:tag``) takes its model from that
parent, which the child's signature does not cover (the reference is a tag). So every parent in the
chain must carry a trusted signature too, checked before the pull; after the pull, each parent in the
store must be the digest that was verified, or the kit is removed again. A kit already in the store is
checked the same way (``verify_stored``): its stored digest and the stored digest of each parent it
names, each against its own registry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cryptography.hazmat.primitives.asymmetric import ec

from kitlab.errors import InvalidInput, NotFound
from kitlab.kitfile import from_config_json, is_modelkit_reference
from kitlab.modelkit.inspect import load_kit, load_parent_kit
from kitlab.modelkit.pull import PullResult, get_remote_manifest, pull
from kitlab.modelkit.reference import Reference, parse_reference
from kitlab.modelkit.registry import Remote
from kitlab.modelkit.remotekits import remote_kitfile_json
from kitlab.modelkit.store import LocalStore
from kitlab.modelkit.transfer import DEFAULT_CONCURRENCY
from kitlab.progress import CancelToken, ProgressFn, no_progress
from kitlab.trust.cosign import SignatureError, VerifyResult, verify

MAX_PARENTS = 10


def _parent_of(ref: Reference, remote: Remote) -> Reference | None:
    """The parent kit ``ref``'s Kitfile names in ``model.path``, read from the registry (none when it is
    not a ModelKit or carries no Kitfile)."""
    with remote.client(ref) as client:
        try:
            data = remote_kitfile_json(client, get_remote_manifest(client, ref))
            kitfile = from_config_json(data) if data is not None else None
        except InvalidInput:  # NotAModelKit included
            return None
    path = kitfile.model.path if kitfile is not None and kitfile.model is not None else ""
    return parse_reference(path) if path and is_modelkit_reference(path) else None


def pull_verified(
    ref: Reference | str,
    key: ec.EllipticCurvePublicKey | Sequence[ec.EllipticCurvePublicKey],
    *,
    store: LocalStore | None = None,
    remote: Remote | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    warn: Callable[[str], None] | None = None,
) -> tuple[PullResult, VerifyResult]:
    """Verify ``ref``'s signature and every parent kit's with ``key``, then pull the verified digest
    (raises before any download when a kit of the chain is unsigned or no signature verifies)."""
    parsed = parse_reference(ref) if isinstance(ref, str) else ref
    remote = remote or Remote()
    store = store or LocalStore()
    verified = verify(parsed, key, remote=remote)
    parents: dict[str, str] = {}  # parent reference → verified digest
    child = parsed.with_reference(digest=verified.digest)
    while (parent := _parent_of(child, remote)) is not None:
        if len(parents) >= MAX_PARENTS or str(parent) in parents:
            raise InvalidInput(f"{parsed.display()}: too many or circular parent kits to verify")
        try:
            checked = verify(parent, key, remote=remote)
        except SignatureError as exc:
            raise type(exc)(f"parent kit of {parsed.display()}: {exc.message}") from None
        parents[str(parent)] = checked.digest
        child = parent.with_reference(digest=checked.digest)
    pinned = parsed.with_reference(digest=verified.digest)
    had_kit = store.has_blob(verified.digest)
    result = pull(
        pinned,
        store=store,
        remote=remote,
        progress=progress,
        cancel=cancel,
        concurrency=concurrency,
        warn=warn,
    )
    for name, digest in parents.items():
        try:
            stored = store.resolve(name).digest
        except NotFound:
            stored = ""
        if stored != digest:
            if not had_kit:
                store.remove(pinned, force=True)
            raise SignatureError(
                f"parent kit {parse_reference(name).display()} changed while {parsed.display()} was pulled "
                f"(verified {digest}, pulled {stored or 'nothing'}); the kit was not kept"
            )
    if parsed.tag:
        store.tag(pinned, parsed.with_reference(tag=parsed.tag))
        result.reference = str(parsed)
    return result, verified


def verify_stored(
    ref: Reference | str,
    key: ec.EllipticCurvePublicKey | Sequence[ec.EllipticCurvePublicKey],
    *,
    store: LocalStore,
    remote: Remote | None = None,
) -> VerifyResult:
    """Verify the kit ``ref`` names in the store, and every parent its Kitfile chain names, by the
    digests the store holds: each must carry a trusted signature on its registry. Raises on the first
    kit of the chain that is unsigned, badly signed or packed locally."""
    parsed = parse_reference(ref) if isinstance(ref, str) else ref
    remote = remote or Remote()
    desc, _, kitfile = load_kit(store, parsed)
    verified = verify(parsed.with_reference(digest=desc.digest), key, remote=remote)
    child, seen = parsed, {str(parsed)}
    while kitfile.model is not None and is_modelkit_reference(kitfile.model.path):
        parent = parse_reference(kitfile.model.path)
        if len(seen) > MAX_PARENTS or str(parent) in seen:
            raise InvalidInput(f"{parsed.display()}: too many or circular parent kits to verify")
        seen.add(str(parent))
        if parent.registry == "localhost":
            raise SignatureError(
                f"parent kit {parent.display()} of {parsed.display()} was packed locally and carries no "
                "signature"
            )
        desc, _, kitfile = load_parent_kit(store, parent, child)
        try:
            verify(parent.with_reference(digest=desc.digest), key, remote=remote)
        except SignatureError as exc:
            raise type(exc)(f"parent kit of {parsed.display()}: {exc.message}") from None
        child = parent
    return verified
