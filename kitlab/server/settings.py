"""Administrator settings for the kitlab server extension, as traitlets.

Set them like any Jupyter server option, e.g. in ``jupyter_server_config.py``::

    c.Kitlab.kitops_home = "/srv/kitops"
    c.Kitlab.allowed_registries = ["ghcr.io", "registry.example.com"]

Every value is checked where it is declared (bounded integers, enums, a host pattern), so a bad value
stops the server at start with the setting named, never a job later.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from traitlets import Bool, Enum, Integer, List, TraitError, Unicode, validate
from traitlets.config import Configurable

from kitlab.modelkit.home import kitops_home
from kitlab.modelkit.registry import Remote, RetryPolicy

# A registry as kit names it: a DNS name or IPv4 address, or a bracketed IPv6 address, and a port.
_REGISTRY_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]+\])"
    r"(?::[0-9]{1,5})?"
)


class Kitlab(Configurable):
    kitops_home = Unicode(
        "",
        help="Directory holding kit's state (storage/, credentials.json). Empty: the same default as the "
        "kit CLI ($KITOPS_HOME, then $XDG_DATA_HOME/kitops, then ~/.local/share/kitops): one shared store.",
    ).tag(config=True)

    allowed_registries = List(
        Unicode(),
        default_value=[],
        help="Registries users may push to or pull from (host[:port]). Empty: any registry.",
    ).tag(config=True)

    trusted_token_realms = List(
        Unicode(),
        default_value=[],
        help="Hosts of HTTPS token services on another host than their registry that may receive the "
        "saved registry credentials (the registry's own host always may; auth.docker.io for Docker Hub "
        "and gitlab.com for registry.gitlab.com are known). Others get an anonymous token request.",
    ).tag(config=True)

    max_concurrent_jobs = Integer(
        2,
        min=1,
        max=64,
        help="Background jobs (pack, push, pull, unpack) that run at once; the rest wait in order.",
    ).tag(config=True)

    transfer_concurrency = Integer(
        5,
        min=1,
        max=16,
        help="Blobs a push or pull job moves at once (kit's --concurrency, default 5); each has its own "
        "progress bar.",
    ).tag(config=True)

    job_niceness = Integer(
        10,
        min=0,
        max=19,
        help="How much nicer (0-19) job threads run than the server's event loop, so packing a large "
        "model never makes the server, or a browser on the same machine, slow to respond (Linux only).",
    ).tag(config=True)

    job_history = Integer(
        100,
        min=1,
        max=10_000,
        help="Finished jobs kept (newest first); older ones are forgotten. Running jobs always stay.",
    ).tag(config=True)

    job_history_days = Integer(
        30, min=1, max=3650, help="Finished jobs are forgotten this many days after they ended."
    ).tag(config=True)

    scan_max_files = Integer(
        200_000, min=1, max=100_000_000, help="A workspace scan stops after this many files."
    ).tag(config=True)

    scan_max_seconds = Integer(
        10, min=1, max=3600, help="A workspace scan stops after this many seconds."
    ).tag(config=True)

    require_signature = Bool(
        False,
        help="Pull and unpack only kits that carry a cosign signature by one of trusted_keys, checked on "
        "the registry before anything is downloaded (docs/trust.md); unsigned, badly signed and locally "
        "packed kits are refused.",
    ).tag(config=True)

    trusted_keys = List(
        Unicode(),
        default_value=[],
        help="Public keys (PEM files, e.g. cosign.pub) whose signatures require_signature accepts.",
    ).tag(config=True)

    signing_key = Unicode(
        "",
        help="The cosign private key push and pack-push jobs sign with when asked (sign: true). Empty: "
        "<kit home>/kitlab/keys/cosign.key, where `kitlab keygen` writes it. Its password comes from the "
        "server's COSIGN_PASSWORD environment variable, never from the browser (docs/trust.md).",
    ).tag(config=True)

    default_compression = Enum(
        ["none", "gzip", "gzip-fastest", "zstd"],
        default_value="none",
        help="Layer compression when the user picks none: none (kit's default), gzip, gzip-fastest or zstd.",
    ).tag(config=True)

    @validate("allowed_registries")
    def _check_registries(self, proposal: dict[str, Any]) -> list[str]:
        hosts: list[str] = proposal["value"]
        for host in hosts:
            if not _REGISTRY_HOST.fullmatch(host):
                raise TraitError(
                    f"Kitlab.allowed_registries: {host[:100]!r} is not a registry host "
                    "(host or host:port, e.g. ghcr.io or localhost:5000)"
                )
        return hosts

    @validate("trusted_keys")
    def _check_trusted_keys(self, proposal: dict[str, Any]) -> list[str]:
        from kitlab.errors import KitlabError
        from kitlab.trust import load_public_key

        paths: list[str] = proposal["value"]
        for path in paths:
            try:
                load_public_key(path)
            except KitlabError as exc:
                raise TraitError(f"Kitlab.trusted_keys: {exc.message}") from None
        return paths

    def signature_keys(self, asked: bool = False) -> list[Any] | None:
        """The trusted public keys when ``require_signature`` is on or a job ``asked`` to verify, else
        None."""
        if not (self.require_signature or asked):
            return None
        from kitlab.errors import NotAllowed
        from kitlab.trust import load_public_key

        if not self.trusted_keys:
            why = "require_signature is on" if self.require_signature else "verifying a signature needs them"
            raise NotAllowed(f"no trusted_keys are set on this server ({why}); ask your administrator")
        return [load_public_key(path) for path in self.trusted_keys]

    def unlocked_keys(self) -> Any:
        """The server's one store of keys decrypted for a signing job (kitlab/trust/keyring.py)."""
        from kitlab.trust.keyring import UnlockedKeys

        store = getattr(self, "_unlocked_keys", None)
        if store is None:
            store = self._unlocked_keys = UnlockedKeys()
        return store

    def signing_private_key(self) -> Any:
        """The server's signing key, decrypted with ``COSIGN_PASSWORD`` from the server's environment."""
        import os

        from kitlab.errors import NotAllowed
        from kitlab.trust import default_key_dir, load_private_key

        path = (
            Path(self.signing_key).expanduser()
            if self.signing_key
            else default_key_dir(self.home()) / "cosign.key"
        )
        if "COSIGN_PASSWORD" not in os.environ:
            raise NotAllowed(
                "signing needs the key's password in the server's COSIGN_PASSWORD environment variable; "
                "ask your administrator"
            )
        return load_private_key(path, os.environ["COSIGN_PASSWORD"].encode())

    def home(self) -> Path:
        return kitops_home(self.kitops_home or None)

    def check_registry_allowed(self, host: str) -> None:
        """Refuse registries outside ``allowed_registries`` (when the administrator set any): the
        same rule every registry client of a job applies (``Remote.check_allowed``)."""
        self.remote(plain_http=False, tls_verify=True).check_allowed(host)

    def remote(
        self,
        *,
        plain_http: bool,
        tls_verify: bool,
        retries: RetryPolicy | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> Remote:
        """The one ``Remote`` of a request or job: the user's network options within the
        administrator's limits (allowed registries, trusted token realms), checked on every client."""
        return Remote(
            plain_http=plain_http,
            tls_verify=tls_verify,
            retries=retries or RetryPolicy(),
            timeout=timeout or Remote.timeout,
            allowed_registries=tuple(self.allowed_registries),
            trusted_token_realms=tuple(self.trusted_token_realms),
        )
