"""``Remote``: how to reach registries, as one value the CLI and the server build once and pass down.

It carries kit's network options (``--plain-http``, ``--tls-verify``, ``--cert/--key``), the
credentials, the retry policy and timeouts, and the administrator's limits: which registries may be
contacted at all (``allowed_registries``) and which token services on other hosts may receive the
saved credentials (``trusted_token_realms``). Every ``Transport`` checks the registry it is built for,
so a parent kit named in ``model.path``, a mount source or a tag listing cannot reach a registry the
allow-list refuses (docs/hardening.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kitlab.errors import NotAllowed
from kitlab.modelkit.registry.credentials import Credential, CredentialSource
from kitlab.modelkit.registry.retry import RetryBudget, RetryPolicy

if TYPE_CHECKING:
    from kitlab.modelkit.reference import Reference
    from kitlab.modelkit.registry.client import RegistryClient
    from kitlab.progress import CancelToken


@dataclass(frozen=True)
class Remote:
    """Network options for registry access; the defaults are kit's (HTTPS, verified, saved logins).

    ``tls_verify`` is a bool or a CA bundle path; ``client_cert`` a PEM path or ``(cert, key)`` paths;
    ``credentials`` a ``Credential``, anything with ``lookup(host)``, or None for kit's/Docker's files.
    ``allowed_registries`` empty means any registry. ``trusted_token_realms`` are extra hosts whose
    HTTPS token service may receive credentials (the registry's own host always may).
    """

    plain_http: bool = False
    tls_verify: bool | str = True
    client_cert: str | tuple[str, str] | None = None
    credentials: Credential | CredentialSource | None = None
    retries: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: tuple[float, float] = (10.0, 60.0)
    allowed_registries: tuple[str, ...] = ()
    trusted_token_realms: tuple[str, ...] = ()

    def check_allowed(self, host: str) -> None:
        """Refuse a registry outside ``allowed_registries`` (when any are set)."""
        if self.allowed_registries and host not in self.allowed_registries:
            allowed = ", ".join(self.allowed_registries)
            raise NotAllowed(f"registry {host} is not allowed here; allowed: {allowed}")

    def budget(self) -> RetryBudget:
        """A fresh retry budget: one per operation (push, pull, …), shared by all its clients."""
        return RetryBudget(self.retries)

    def client(
        self,
        ref: Reference,
        *,
        budget: RetryBudget | None = None,
        cancel: CancelToken | None = None,
    ) -> RegistryClient:
        """A client for ``ref``'s repository (checked against ``allowed_registries``)."""
        from kitlab.modelkit.registry.client import RegistryClient

        return RegistryClient(ref.registry, ref.repository, self, budget=budget, cancel=cancel)
