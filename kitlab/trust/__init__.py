"""The handoff trust chain (issue 17): sign kits and verify them the way cosign does, offline, with keys.

``keys`` reads and writes cosign's key files; ``cosign`` stores and checks signatures in cosign's
layout on any OCI registry (docs/trust.md). This layer sits above ``kitlab.loaders``; only the server
and the CLI import it.
"""

from kitlab.trust.cosign import (
    SignatureError,
    SignResult,
    Unsigned,
    VerifiedSignature,
    VerifyResult,
    sign,
    signature_tag,
    simple_signing_payload,
    verify,
)
from kitlab.trust.keys import (
    BadKey,
    KeyPair,
    default_key_dir,
    generate_key_pair,
    load_private_key,
    load_public_key,
)

__all__ = [
    "BadKey",
    "KeyPair",
    "SignResult",
    "SignatureError",
    "Unsigned",
    "VerifiedSignature",
    "VerifyResult",
    "default_key_dir",
    "generate_key_pair",
    "load_private_key",
    "load_public_key",
    "sign",
    "signature_tag",
    "simple_signing_payload",
    "verify",
]
