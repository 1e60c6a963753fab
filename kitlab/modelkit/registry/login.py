"""``login`` / ``logout`` / ``status`` for a registry host, storing logins in kit's credentials.json."""

from __future__ import annotations

import os

from kitlab.modelkit.registry.credentials import (
    Credential,
    DefaultCredentials,
    delete_credential,
    save_credential,
)
from kitlab.modelkit.registry.errors import AuthenticationRequired
from kitlab.modelkit.registry.remote import Remote
from kitlab.modelkit.registry.secret import Secret
from kitlab.modelkit.registry.transport import Transport

Home = str | os.PathLike[str] | None


def login(
    host: str,
    username: str,
    password: str | Secret,
    *,
    remote: Remote | None = None,
    kitops_home: Home = None,
) -> None:
    """Verify the credentials against the registry (``GET /v2/`` through its auth challenge), then save
    them in kit's credentials.json. Wrong credentials raise ``AuthenticationRequired``; nothing is saved.
    ``remote`` gives the network options (its ``credentials`` are not used: these are being tested)."""
    secret = password if isinstance(password, Secret) else Secret(password)
    transport = Transport(
        host,
        repository=None,
        credential=Credential(username=username, password=secret, source="login"),
        remote=remote,
    )
    try:
        resp = transport.request("GET", transport.url("/v2/"))
        if resp.status_code == 401:
            resp.close()
            if transport.auth.withheld_from is not None:
                raise AuthenticationRequired(transport.auth.rejected_message())
            raise AuthenticationRequired(
                f"login to {host} failed: wrong username or password for {username!r}"
            )
        if resp.status_code != 200:
            transport.raise_for(resp, "log in")
        resp.close()
        if transport.auth.withheld_from is not None:
            # The registry let an anonymous token in: the credentials were never checked, so they
            # are not saved as if they had been (docs/hardening.md, registries).
            raise AuthenticationRequired(transport.auth.rejected_message())
    except AuthenticationRequired as exc:
        if exc.message.startswith("login to") or transport.auth.withheld_from is not None:
            raise
        raise AuthenticationRequired(
            f"login to {host} failed: wrong username or password for {username!r}"
        ) from None
    finally:
        transport.close()
    save_credential(host, username, secret, kitops_home)


def logout(host: str, *, kitops_home: Home = None) -> bool:
    """Forget the saved login for ``host`` in kit's file; True if there was one."""
    return delete_credential(host, kitops_home)


def status(host: str, *, kitops_home: Home = None) -> dict[str, object]:
    """``{"logged_in", "username", "source"}`` for ``host``: never the password or token."""
    cred = DefaultCredentials(kitops_home).lookup(host)
    if cred is None:
        return {"logged_in": False, "username": None, "source": None}
    return {"logged_in": True, "username": cred.username, "source": cred.source}
