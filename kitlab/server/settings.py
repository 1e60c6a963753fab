"""Administrator settings for the kitlab server extension, as traitlets.

Set them like any Jupyter server option, e.g. in ``jupyter_server_config.py``::

    c.Kitlab.kitops_home = "/srv/kitops"
    c.Kitlab.allowed_registries = ["ghcr.io", "registry.example.com"]
"""

from __future__ import annotations

from pathlib import Path

from traitlets import Integer, List, Unicode
from traitlets.config import Configurable

from kitlab.errors import NotAllowed
from kitlab.modelkit.home import kitops_home
from kitlab.modelkit.registry import Remote, RetryPolicy


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
        2, help="Background jobs (pack, push, pull, unpack) that run at once; the rest wait in order."
    ).tag(config=True)

    job_niceness = Integer(
        10,
        help="How much nicer (0-19) job threads run than the server's event loop, so packing a large "
        "model never makes the server, or a browser on the same machine, slow to respond (Linux only).",
    ).tag(config=True)

    scan_max_files = Integer(200_000, help="A workspace scan stops after this many files.").tag(config=True)

    scan_max_seconds = Integer(10, help="A workspace scan stops after this many seconds.").tag(config=True)

    default_compression = Unicode(
        "none", help="Layer compression when the user picks none: none (kit's default), gzip or zstd."
    ).tag(config=True)

    def home(self) -> Path:
        return kitops_home(self.kitops_home or None)

    def check_registry_allowed(self, host: str) -> None:
        """Refuse registries outside ``allowed_registries`` (when the administrator set any)."""
        if self.allowed_registries and host not in self.allowed_registries:
            allowed = ", ".join(self.allowed_registries)
            raise NotAllowed(f"registry {host} is not allowed here; allowed: {allowed}")

    def remote(self, *, plain_http: bool, tls_verify: bool, retries: RetryPolicy | None = None) -> Remote:
        """The one ``Remote`` of a request or job: the user's network options within the
        administrator's limits (allowed registries, trusted token realms), checked on every client."""
        return Remote(
            plain_http=plain_http,
            tls_verify=tls_verify,
            retries=retries or RetryPolicy(),
            allowed_registries=tuple(self.allowed_registries),
            trusted_token_realms=tuple(self.trusted_token_realms),
        )
