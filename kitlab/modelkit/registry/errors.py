"""Registry errors a user can act on. Messages name the host and what to do, never a secret."""

from __future__ import annotations

from kitlab.errors import KitlabError, NotFound


class RegistryError(KitlabError):
    """The registry answered with something we cannot use (unexpected status, malformed reply)."""

    code = "registry_error"


class AuthenticationRequired(RegistryError):
    """No credentials, or credentials the registry (or its token service) rejected."""

    code = "auth_required"


class AccessDenied(RegistryError):
    """Authenticated, but not allowed to do this (HTTP 403, or a token without the needed scope)."""

    code = "denied"


class RegistryNotFound(NotFound):
    """No such repository, tag, manifest or blob."""


class RegistryUnavailable(RegistryError):
    """The registry kept answering 429/5xx after all retries."""

    code = "registry_unavailable"


class RegistryUnreachable(RegistryError):
    """No HTTP answer at all: connection refused, DNS failure, TLS failure or timeouts."""

    code = "registry_unreachable"


class DigestMismatch(RegistryError):
    """Content did not match its digest or size; nothing unverified was kept."""

    code = "digest_mismatch"


class TagDeletionUnsupported(RegistryError):
    """The registry deletes manifests only by digest, not single tags (distribution 2.8 does)."""
