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
from kitlab.modelkit.registry.secret import Secret
from kitlab.modelkit.registry.transport import RetryPolicy, Transport

Home = str | os.PathLike[str] | None


def login(
    host: str,
    username: str,
    password: str | Secret,
    *,
    plain_http: bool = False,
    tls_verify: bool | str = True,
    client_cert: str | tuple[str, str] | None = None,
    kitops_home: Home = None,
    retries: RetryPolicy | None = None,
) -> None:
    """Verify the credentials against the registry (``GET /v2/`` through its auth challenge), then save
    them in kit's credentials.json. Wrong credentials raise ``AuthenticationRequired``; nothing is saved."""
    secret = password if isinstance(password, Secret) else Secret(password)
    transport = Transport(
        host,
        repository=None,
        credential=Credential(username=username, password=secret, source="login"),
        plain_http=plain_http,
        tls_verify=tls_verify,
        client_cert=client_cert,
        retry=retries,
    )
    try:
        resp = transport.request("GET", transport.url("/v2/"))
        if resp.status_code == 401:
            resp.close()
            raise AuthenticationRequired(
                f"login to {host} failed: wrong username or password for {username!r}"
            )
        if resp.status_code != 200:
            transport.raise_for(resp, "log in")
        resp.close()
    except AuthenticationRequired as exc:
        if exc.message.startswith("login to"):
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
