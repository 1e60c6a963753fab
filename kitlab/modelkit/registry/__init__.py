"""OCI registry access for kitlab: a streaming distribution client, auth and saved logins.

Callers pass an already-parsed ``(host, repository)`` plus a tag or digest string; reference parsing
lives in ``kitlab.modelkit.reference``.
"""

from kitlab.modelkit.registry.client import RegistryClient, needs_monolithic_upload
from kitlab.modelkit.registry.credentials import Credential, CredentialSource, DefaultCredentials, known_hosts
from kitlab.modelkit.registry.errors import (
    AccessDenied,
    AuthenticationRequired,
    DigestMismatch,
    RegistryError,
    RegistryNotFound,
    RegistryUnavailable,
    RegistryUnreachable,
)
from kitlab.modelkit.registry.login import login, logout, status
from kitlab.modelkit.registry.remote import Remote
from kitlab.modelkit.registry.retry import RetryBudget, RetryPolicy
from kitlab.modelkit.registry.secret import Secret

__all__ = [
    "AccessDenied",
    "AuthenticationRequired",
    "Credential",
    "CredentialSource",
    "DefaultCredentials",
    "DigestMismatch",
    "RegistryClient",
    "RegistryError",
    "RegistryNotFound",
    "RegistryUnavailable",
    "RegistryUnreachable",
    "Remote",
    "RetryBudget",
    "RetryPolicy",
    "Secret",
    "known_hosts",
    "login",
    "logout",
    "needs_monolithic_upload",
    "status",
]
