"""Registry authentication: the ``WWW-Authenticate`` challenge flow for ``Basic`` and ``Bearer``.

The first request goes out bare. On a 401:
* ``Basic`` → from then on every request carries ``Authorization: Basic`` up front, so a multi-GB
  body is never sent once unauthenticated and then again;
* ``Bearer realm,service,scope`` → fetch a token from the realm (Basic credentials, an OAuth2 refresh
  token, or anonymously) for ``repository:<repo>:pull,push`` plus whatever the challenge asked for,
  cache it per scope set until ``expires_in`` runs out, and fetch a new one on the next 401.
Tokens and passwords are held as ``Secret`` and never formatted into messages or logs.

Where credentials may go (docs/hardening.md): a token realm on the registry's own host name, without a
downgrade from HTTPS to HTTP, or an HTTPS realm whose host is trusted (a known public pairing such as
Docker Hub's auth.docker.io, or one the administrator lists). Any other realm is asked for an anonymous
token, and a refusal then says why the credentials were withheld.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import requests

from kitlab.modelkit.registry.credentials import Credential
from kitlab.modelkit.registry.errors import AuthenticationRequired, RegistryError, RegistryUnreachable
from kitlab.modelkit.registry.secret import Secret

_PARAM_RE = re.compile(r'([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')
DEFAULT_TOKEN_LIFETIME = 60  # Docker token spec: assume 60 s when the server does not say
CLIENT_ID = "kitlab"
MAX_TOKEN_REPLY = 1 << 20
# Public registries whose token service lives on another host (registry host -> realm hosts).
KNOWN_REALMS: dict[str, frozenset[str]] = {
    "registry-1.docker.io": frozenset({"auth.docker.io"}),
    "docker.io": frozenset({"auth.docker.io"}),
    "index.docker.io": frozenset({"auth.docker.io"}),
    "registry.gitlab.com": frozenset({"gitlab.com"}),
}


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower-case: "basic" or "bearer"
    params: dict[str, str]


def parse_challenge(header: str) -> Challenge | None:
    """The first challenge in a ``WWW-Authenticate`` header (registries send exactly one)."""
    header = header.strip()
    if not header:
        return None
    scheme, _, rest = header.partition(" ")
    params = {
        m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
        for m in _PARAM_RE.finditer(rest)
    }
    return Challenge(scheme.lower(), {k: v.replace('\\"', '"') for k, v in params.items()})


def merge_scopes(*groups: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Union of ``type:name:actions`` scopes, actions merged per resource, in a canonical order."""
    merged: dict[tuple[str, str], set[str]] = {}
    for group in groups:
        for scope in group:
            for one in scope.split():
                kind, _, rest = one.partition(":")
                name, _, actions = rest.rpartition(":")
                if not kind or not name:
                    continue
                merged.setdefault((kind, name), set()).update(a for a in actions.split(",") if a)
    return tuple(f"{k}:{n}:{','.join(sorted(a))}" for (k, n), a in sorted(merged.items()))


def basic_header(username: str, password: Secret) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password.reveal()}".encode()).decode()


def _basic_for(cred: Credential | None) -> str | None:
    if cred is None or not cred.username or not cred.password:
        return None
    return basic_header(cred.username, cred.password)


def now() -> float:
    """The clock token lifetimes are measured on (a module function, so tests can move it on rather
    than wait for a token to age)."""
    return time.monotonic()


@dataclass
class _Token:
    value: Secret
    expires_at: float  # on now()'s clock

    @property
    def expired(self) -> bool:
        return now() >= self.expires_at


class Authenticator:
    """Per-host auth state for one ``requests.Session``; not shared between hosts."""

    def __init__(
        self,
        session: requests.Session,
        host: str,
        credential: Credential | None,
        base_scopes: tuple[str, ...],
        timeout: tuple[float, float],
        tls: dict[str, Any] | None = None,
        *,
        registry_url: str = "",
        trusted_realms: tuple[str, ...] = (),
    ) -> None:
        self._session = session
        registry = urllib.parse.urlsplit(registry_url or f"https://{host}")
        self._registry_scheme = registry.scheme
        self._registry_hostname = (registry.hostname or "").lower()
        self._trusted_realms = frozenset(h.lower() for h in trusted_realms) | KNOWN_REALMS.get(
            self._registry_hostname, frozenset()
        )
        self.withheld_from: str | None = None
        self._tls = tls or {}
        self.host = host
        self.credential = credential
        self._base_scopes = base_scopes
        self._timeout = timeout
        self._scheme: str | None = None
        self._realm: str | None = None
        self._service: str | None = None
        self._tokens: dict[tuple[str, ...], _Token] = {}
        self.tokens_fetched = 0

    @property
    def has_credentials(self) -> bool:
        cred = self.credential
        return cred is not None and (cred.has_basic or bool(cred.identity_token))

    def _scope_key(self, scopes: tuple[str, ...]) -> tuple[str, ...]:
        return merge_scopes(self._base_scopes, scopes)

    def apply(self, headers: dict[str, str], scopes: tuple[str, ...] = ()) -> None:
        """Add the ``Authorization`` header we already know this host wants."""
        basic = _basic_for(self.credential)
        if self._scheme == "basic" and basic:
            headers["Authorization"] = basic
        elif self._scheme == "bearer":
            key = self._scope_key(scopes)
            token = self._tokens.get(key)
            if token is None or token.expired:
                token = self._fetch_token(key)
            headers["Authorization"] = f"Bearer {token.value.reveal()}"

    def handle_unauthorized(self, response: requests.Response, scopes: tuple[str, ...] = ()) -> bool:
        """React to a 401. True if a retry with new credentials may succeed."""
        challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if challenge is None:
            return False
        if challenge.scheme == "basic":
            if self._scheme == "basic" or self.credential is None or not self.credential.has_basic:
                return False  # already sent, or nothing to send
            self._scheme = "basic"
            return True
        if challenge.scheme == "bearer":
            realm = challenge.params.get("realm", "")
            if not realm.startswith(("https://", "http://")):
                raise RegistryError(f"{self.host} sent an unusable auth challenge (token realm is not a URL)")
            key = self._scope_key(scopes)
            wanted = merge_scopes(key, [challenge.params.get("scope", "")])
            if challenge.params.get("error") == "insufficient_scope" and wanted == key:
                return False  # we asked for this access and the token service would not grant it
            self._scheme, self._realm = "bearer", realm
            self._service = challenge.params.get("service")
            token = self._fetch_token(wanted)
            self._tokens[self._scope_key(scopes)] = token
            return True
        return False

    def may_send_credentials(self, realm: str) -> bool:
        """The registry's own host name (no HTTPS to HTTP downgrade), or a trusted HTTPS realm."""
        parts = urllib.parse.urlsplit(realm)
        hostname = (parts.hostname or "").lower()
        if parts.scheme == "http" and self._registry_scheme == "https":
            return False
        if hostname == self._registry_hostname:
            return True
        return parts.scheme == "https" and (
            hostname in self._trusted_realms or parts.netloc.lower() in self._trusted_realms
        )

    def _fetch_token(self, scopes: tuple[str, ...]) -> _Token:
        assert self._realm is not None
        cred = self.credential
        if cred is not None and self.has_credentials and not self.may_send_credentials(self._realm):
            self.withheld_from = urllib.parse.urlsplit(self._realm).netloc
            cred = None  # ask anonymously: a public repository still works
        try:
            if cred is not None and cred.identity_token:
                form = {
                    "grant_type": "refresh_token",
                    "refresh_token": cred.identity_token.reveal(),
                    "client_id": CLIENT_ID,
                }
                if self._service:
                    form["service"] = self._service
                if scopes:
                    form["scope"] = " ".join(scopes)
                resp = self._session.post(
                    self._realm, data=form, timeout=self._timeout, stream=True, **self._tls
                )
            else:
                params: list[tuple[str, str]] = [("service", self._service)] if self._service else []
                params += [("scope", s) for s in scopes]
                basic = _basic_for(cred)
                headers = {"Authorization": basic} if basic else {}
                resp = self._session.get(
                    self._realm,
                    params=params,
                    headers=headers,
                    timeout=self._timeout,
                    stream=True,
                    **self._tls,
                )
        except requests.RequestException:
            raise RegistryUnreachable(f"cannot reach the token service of {self.host}") from None
        with resp:
            if resp.status_code in (401, 403):
                raise AuthenticationRequired(self.rejected_message())
            if resp.status_code != 200:
                raise RegistryError(f"the token service of {self.host} answered HTTP {resp.status_code}")
            try:
                raw = bytearray()
                for piece in resp.iter_content(1 << 16):
                    raw += piece
                    if len(raw) > MAX_TOKEN_REPLY:
                        raise RegistryError(f"the token service of {self.host} sent an oversized reply")
                body = json.loads(bytes(raw))
                value = body.get("token") or body.get("access_token")
                lifetime = float(body.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
                if not isinstance(value, str) or not 0 < lifetime < 1e9:
                    value = None
            except requests.RequestException:
                raise RegistryUnreachable(f"cannot reach the token service of {self.host}") from None
            except (ValueError, AttributeError, TypeError, RecursionError):
                value = None
            if not value:
                raise RegistryError(f"the token service of {self.host} returned no token")
        self.tokens_fetched += 1
        # Refresh a little early so a token does not expire between our check and the registry's.
        token = _Token(Secret(value), now() + lifetime - min(5.0, lifetime * 0.1))
        self._tokens[scopes] = token
        return token

    def rejected_message(self) -> str:
        if self.withheld_from is not None:
            return (
                f"{self.host} sent kitlab to a token service on {self.withheld_from}, which is not the "
                f"registry's host (or is plain HTTP): your credentials for {self.host} were not sent there. "
                "An administrator can trust that HTTPS token service (trusted_token_realms)"
            )
        cred = self.credential
        if cred is None or not self.has_credentials:
            return f"{self.host} requires authentication: log in to {self.host}"
        who = f" for user {cred.username!r}" if cred.username else ""
        return f"{self.host} rejected the credentials{who}: log in to {self.host} again"
