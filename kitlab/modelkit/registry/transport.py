"""HTTP plumbing for one registry host: session, TLS options, timeouts, auth and bounded retries.

Retries (exponential backoff, ``Retry-After`` honoured) cover connection errors, timeouts, 429 and
5xx, but only for requests whose body can be produced again (none, bytes, or a factory); a streamed
chunk upload recovers at its own level (``client.py``) by asking the registry how much it kept.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import requests

from kitlab._version import __version__
from kitlab.modelkit.registry.auth import Authenticator, parse_challenge
from kitlab.modelkit.registry.credentials import Credential
from kitlab.modelkit.registry.errors import (
    AccessDenied,
    AuthenticationRequired,
    RegistryError,
    RegistryNotFound,
    RegistryUnavailable,
    RegistryUnreachable,
)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_DOCKER_HUB_HOSTS = frozenset({"docker.io", "index.docker.io"})

Body = bytes | Iterable[bytes] | None
BodyFactory = Callable[[], Body]


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries per request in all; sleeps ``backoff``, 2×, 4× … capped at ``max_backoff``."""

    attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 20.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, response: requests.Response | None = None) -> float:
        if response is not None:
            hinted = retry_after_seconds(response.headers.get("Retry-After"))
            if hinted is not None:
                return min(hinted, self.max_retry_after)
        return min(self.backoff * (2**attempt), self.max_backoff)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def api_host(host: str) -> str:
    """The host to talk HTTP to: Docker Hub's API lives on registry-1.docker.io (reference §5.3)."""
    return "registry-1.docker.io" if host in _DOCKER_HUB_HOSTS else host


class Transport:
    def __init__(
        self,
        host: str,
        *,
        repository: str | None,
        credential: Credential | None,
        plain_http: bool = False,
        tls_verify: bool | str = True,
        client_cert: str | tuple[str, str] | None = None,
        timeout: tuple[float, float] = (10, 60),
        retry: RetryPolicy | None = None,
    ) -> None:
        self.host = host
        self.repository = repository
        self.base_url = f"{'http' if plain_http else 'https'}://{api_host(host)}"
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"kitlab/{__version__}"
        # Passed on every call, not set on the session: requests lets $REQUESTS_CA_BUNDLE override a
        # session's ``verify`` (psf/requests#3829), which would silently ignore the user's choice.
        self.tls: dict[str, Any] = {"verify": tls_verify, "cert": client_cert}
        base_scopes = (f"repository:{repository}:pull,push",) if repository else ()
        self.auth = Authenticator(self.session, host, credential, base_scopes, timeout, self.tls)

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        body: BodyFactory | bytes | None = None,
        stream: bool = False,
        scopes: tuple[str, ...] = (),
        retry: bool = True,
        timeout: tuple[float, float] | None = None,
    ) -> requests.Response:
        """Send with auth; retry transient failures. Returns any final response (caller checks it)."""
        attempt = 0
        auth_retried = False
        # A live stream (a chunk being read from a file) cannot be sent twice; its caller recovers.
        replayable = body is None or isinstance(body, bytes) or callable(body)
        while True:
            sent_headers = dict(headers or {})
            self.auth.apply(sent_headers, scopes)
            data: Any = body() if callable(body) else body
            try:
                resp = self.session.request(
                    method,
                    url,
                    headers=sent_headers,
                    params=params,
                    data=data,
                    stream=stream,
                    timeout=timeout or self.timeout,
                    **self.tls,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if not retry or attempt + 1 >= self.retry.attempts:
                    raise self.unreachable(exc) from None
                time.sleep(self.retry.delay(attempt))
                attempt += 1
                continue
            if resp.status_code == 401 and not auth_retried:
                auth_retried = True
                if self.auth.handle_unauthorized(resp, scopes) and replayable:
                    resp.close()
                    continue
            if resp.status_code in RETRYABLE_STATUS and retry and attempt + 1 < self.retry.attempts:
                delay = self.retry.delay(attempt, resp)
                resp.close()
                time.sleep(delay)
                attempt += 1
                continue
            return resp

    def unreachable(self, exc: BaseException) -> RegistryUnreachable:
        if isinstance(exc, requests.Timeout):
            return RegistryUnreachable(f"{self.host} did not answer in time; check the network and retry")
        if isinstance(exc, requests.exceptions.SSLError):
            return RegistryUnreachable(
                f"TLS handshake with {self.host} failed; check its certificate, or use a CA bundle "
                "(tls_verify) or plain HTTP for a local registry"
            )
        return RegistryUnreachable(f"cannot reach {self.host}: connection failed; is the registry running?")

    def raise_for(self, resp: requests.Response, what: str) -> NoReturn:
        """Turn a final non-success response into an error a user can act on."""
        status = resp.status_code
        detail = registry_error_detail(resp)
        resp.close()
        if status == 401:
            challenge = parse_challenge(resp.headers.get("WWW-Authenticate", ""))
            scope_short = challenge is not None and challenge.params.get("error") == "insufficient_scope"
            if scope_short and self.auth.has_credentials:
                raise AccessDenied(f"access to {self.host}/{self.repository} denied while trying to {what}")
            raise AuthenticationRequired(self.auth.rejected_message())
        if status == 403:
            raise AccessDenied(
                f"access denied: your account may not {what} on {self.host}"
                + (f"/{self.repository}" if self.repository else "")
            )
        if status == 404:
            raise RegistryNotFound(
                f"no such repository or tag: {what} on {self.host} failed ({detail or 'not found'})"
            )
        if status in RETRYABLE_STATUS:
            raise RegistryUnavailable(f"registry {self.host} unavailable (HTTP {status}), retry later")
        raise RegistryError(
            f"{what} on {self.host} failed: HTTP {status}" + (f" ({detail})" if detail else "")
        )


def registry_error_detail(resp: requests.Response) -> str:
    """``code: message`` from an OCI error body, if the body is one (small, so safe to read)."""
    if "json" not in resp.headers.get("Content-Type", ""):
        return ""
    try:
        errors = resp.json().get("errors") or []
        first = errors[0]
        return f"{first.get('code', '')}: {first.get('message', '')}".strip(": ")
    except (ValueError, AttributeError, IndexError, TypeError, requests.RequestException):
        return ""
