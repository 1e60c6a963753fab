"""HTTP plumbing for one registry host: session, TLS options, timeouts, auth, retries and cancel.

* Retries (exponential backoff, ``Retry-After`` honoured) cover connection errors, timeouts, 429 and
  5xx, but only for requests whose body can be produced again (none, bytes, or a factory); a streamed
  chunk upload recovers at its own level (``client.py``). Every retry draws on the operation's one
  ``RetryBudget`` (``retry.py``), so nested loops no longer multiply.
* Cancel: every socket the session opens is tracked; while a cancel token is watched, a small thread
  polls it and shuts the sockets down, so a read or write blocked on a stalled registry ends at once
  and the caller raises ``Cancelled`` (docs/hardening.md: cancel within 2 s whatever the network does).
* Credentials go only to the registry's own origin: the ``Authorization`` header is never added to a
  URL on another host or scheme (an upload ``Location`` may point anywhere), and the token flow has
  its own rule (``auth.py``).
* Bodies read into memory (error replies, tag lists, token replies) are bounded.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import urllib.parse
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, BinaryIO, NoReturn, TypeAlias

import requests
import urllib3
import urllib3.connection
import urllib3.connectionpool
from requests.adapters import HTTPAdapter

from kitlab._version import __version__
from kitlab.errors import Cancelled, InvalidInput
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
from kitlab.modelkit.registry.remote import Remote
from kitlab.modelkit.registry.retry import RetryBudget, RetryPolicy, retry_after_seconds
from kitlab.progress import CancelToken

__all__ = ["RETRYABLE_STATUS", "RetryPolicy", "Transport", "api_host", "retry_after_seconds"]

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_DOCKER_HUB_HOSTS = frozenset({"docker.io", "index.docker.io"})
MAX_SMALL_BODY = 4 << 20  # error replies, tag list pages, upload answers: never more in memory
WATCH_INTERVAL = 0.1  # seconds between cancel checks of the socket watcher

Body: TypeAlias = "bytes | Iterable[bytes | FileSpan] | None"  # FileSpan: below
BodyFactory: TypeAlias = "Callable[[], Body]"
# What a broken transfer raises, from requests or (while streaming a body) from urllib3 directly.
TRANSFER_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.HTTPError,
    ConnectionError,  # a socket error outside urllib3's wrapping (not a local file's OSError)
    TimeoutError,
)


_DETAIL_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    AttributeError,
    IndexError,
    TypeError,
    KeyError,
    RecursionError,
    RegistryError,
    *TRANSFER_ERRORS,
)


def api_host(host: str) -> str:
    """The host to talk HTTP to: Docker Hub's API lives on registry-1.docker.io, as Docker and kit use it."""
    return "registry-1.docker.io" if host in _DOCKER_HUB_HOSTS else host


class _Sockets:
    """The sockets a session opened (weakly held), so a cancel can shut them down from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socks: weakref.WeakSet[socket.socket] = weakref.WeakSet()

    def add(self, sock: socket.socket | None) -> None:
        if sock is not None:
            with self._lock:
                self._socks.add(sock)

    def shutdown_all(self) -> None:
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError, ValueError):
                # The base method: an SSLSocket's own shutdown() unwraps TLS, which would race the
                # reader; shutting the descriptor down wakes any blocked recv/send with an error.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class FileSpan:
    """A request body piece: the next ``count`` bytes of a regular file from its position. A plain-HTTP
    connection sends it with ``sendfile`` (the kernel copies from the page cache to the socket, no
    bytes through Python); a TLS connection, which must encrypt them, reads and sends the bytes."""

    def __init__(self, fh: BinaryIO, count: int) -> None:
        self.fh = fh
        self.count = count

    def __len__(self) -> int:
        return self.count  # non-zero: urllib3 skips empty chunks

    def sendfile(self, sock: socket.socket) -> None:
        sent = sock.sendfile(self.fh, self.fh.tell(), self.count)  # moves the file's position on
        if sent != self.count:
            raise source_ended(self.count - sent)

    def read(self) -> bytes:
        data = self.fh.read(self.count)
        if len(data) != self.count:
            raise source_ended(self.count - len(data))
        return data


def source_ended(missing: int) -> InvalidInput:
    """An upload's source file gave fewer bytes than its descriptor says."""
    return InvalidInput(f"the blob source ended {missing} bytes early; was the file changed?")


class _TrackingAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections report their sockets to a ``_Sockets``."""

    def __init__(self, sockets: _Sockets) -> None:
        self._sockets = sockets
        super().__init__()

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kw: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **kw)
        sockets = self._sockets

        class Conn(urllib3.connection.HTTPConnection):
            def connect(self) -> None:
                super().connect()
                sockets.add(self.sock)

            def send(self, data: Any) -> None:
                if isinstance(data, FileSpan) and self.sock is not None:
                    data.sendfile(self.sock)
                else:
                    super().send(data)

        class TlsConn(urllib3.connection.HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                sockets.add(self.sock)

            def send(self, data: Any) -> None:
                super().send(data.read() if isinstance(data, FileSpan) else data)

        class Pool(urllib3.connectionpool.HTTPConnectionPool):
            ConnectionCls = Conn

        class TlsPool(urllib3.connectionpool.HTTPSConnectionPool):
            ConnectionCls = TlsConn

        self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TlsPool}


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps (cause, context, urllib3's ``reason`` and first arg), depth-limited."""
    todo, seen = [exc], 0
    while todo and seen < 12:
        cur = todo.pop()
        seen += 1
        yield cur
        for nxt in (cur.__cause__, cur.__context__, getattr(cur, "reason", None), *cur.args[:1]):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def _refused(exc: BaseException) -> bool:
    """No connection was made at all (refused, DNS, unreachable network)."""
    return any(
        isinstance(e, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError, socket.gaierror))
        for e in _causes(exc)
    )


def read_bounded(resp: requests.Response, limit: int, what: str, host: str) -> bytes:
    """The body of a streamed response, refused beyond ``limit`` bytes (announced or actual)."""
    length = resp.headers.get("Content-Length", "")
    if length.isdigit() and len(length) < 20 and int(length) > limit:
        resp.close()
        raise RegistryError(
            f"{what} from {host} is {int(length)} bytes, more than the {limit} kitlab accepts"
        )
    buf = bytearray()
    try:
        for piece in resp.iter_content(1 << 16):
            buf += piece
            if len(buf) > limit:
                raise RegistryError(f"{what} from {host} is larger than the {limit} bytes kitlab accepts")
    finally:
        resp.close()
    return bytes(buf)


class Transport:
    def __init__(
        self,
        host: str,
        *,
        repository: str | None,
        credential: Credential | None,
        remote: Remote | None = None,
        budget: RetryBudget | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        remote = remote or Remote()
        remote.check_allowed(host)  # every client of every operation, parents and mounts included
        self.host = host
        self.repository = repository
        self.remote = remote
        self.base_url = f"{'http' if remote.plain_http else 'https'}://{api_host(host)}"
        self._origin = urllib.parse.urlsplit(self.base_url)[:2]
        self.timeout = remote.timeout
        self.retry = remote.retries
        self.budget = budget or RetryBudget(remote.retries)
        self.last_refusal = ""
        self._sockets = _Sockets()
        self.session = requests.Session()
        adapter = _TrackingAdapter(self._sockets)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = f"kitlab/{__version__}"
        # Passed on every call, not set on the session: requests lets $REQUESTS_CA_BUNDLE override a
        # session's ``verify`` (psf/requests#3829), which would silently ignore the user's choice.
        self.tls: dict[str, Any] = {"verify": remote.tls_verify, "cert": remote.client_cert}
        base_scopes = (f"repository:{repository}:pull,push",) if repository else ()
        self.auth = Authenticator(
            self.session,
            host,
            credential,
            base_scopes,
            remote.timeout,
            self.tls,
            registry_url=self.base_url,
            trusted_realms=remote.trusted_token_realms,
        )
        self._tokens: list[CancelToken] = [cancel] if cancel is not None else []
        self._tokens_lock = threading.Lock()
        self._closed = threading.Event()
        self._watcher: threading.Thread | None = None
        if self._tokens:
            self._start_watcher()

    # -- cancel ------------------------------------------------------------------------------------
    def cancelled(self) -> bool:
        with self._tokens_lock:
            tokens = list(self._tokens)
        return any(t.cancelled for t in tokens)

    def check_cancel(self) -> None:
        if self.cancelled():
            raise Cancelled("operation cancelled")

    @contextlib.contextmanager
    def watch(self, cancel: CancelToken | None) -> Iterator[None]:
        """Also abort this transport's sockets when ``cancel`` fires, for the duration of the block."""
        if cancel is None:
            yield
            return
        with self._tokens_lock:
            self._tokens.append(cancel)
        self._start_watcher()
        try:
            yield
        finally:
            with self._tokens_lock:
                self._tokens.remove(cancel)

    def _start_watcher(self) -> None:
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch_loop, name="kitlab-cancel", daemon=True)
            self._watcher.start()

    def _watch_loop(self) -> None:
        while not self._closed.wait(WATCH_INTERVAL):
            if self.cancelled():
                self._sockets.shutdown_all()

    def close(self) -> None:
        self._closed.set()
        self.session.close()

    # -- requests ----------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _own_origin(self, url: str) -> bool:
        return urllib.parse.urlsplit(url)[:2] == self._origin

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        body: BodyFactory | Body = None,
        stream: bool = False,
        scopes: tuple[str, ...] = (),
        retry: bool = True,
        timeout: tuple[float, float] | None = None,
    ) -> requests.Response:
        """Send with auth; retry transient failures within the budget. Returns any final response
        (caller checks it); a non-streamed response's body is already read, bounded."""
        auth_retried = False
        # A live stream (a chunk being read from a file) cannot be sent twice; its caller recovers.
        replayable = body is None or isinstance(body, bytes) or callable(body)
        own_origin = self._own_origin(url)
        while True:
            self.check_cancel()
            sent_headers = dict(headers or {})
            if own_origin:
                self.auth.apply(sent_headers, scopes)
            data: Any = body() if callable(body) else body
            try:
                resp = self.session.request(
                    method,
                    url,
                    headers=sent_headers,
                    params=params,
                    data=data,
                    stream=True,
                    timeout=timeout or self.timeout,
                    **self.tls,
                )
            except TRANSFER_ERRORS as exc:
                self.check_cancel()
                if not retry:
                    raise self.unreachable(exc) from None
                self.wait_to_retry(exc)
                continue
            except requests.RequestException as exc:
                raise RegistryError(f"request to {self.host} failed ({type(exc).__name__})") from None
            if resp.status_code == 401 and not auth_retried and own_origin:
                auth_retried = True
                if self.auth.handle_unauthorized(resp, scopes) and replayable:
                    resp.close()
                    continue
            if resp.status_code in RETRYABLE_STATUS and retry:
                delay, why = self.budget.take(resp)
                if delay is not None:
                    resp.close()
                    self._sleep(delay)
                    continue
                self.last_refusal = why
            if not stream and method == "HEAD":
                resp.close()  # no body, whatever Content-Length says (it is the blob's size)
                resp._content = b""
                setattr(resp, "_content_consumed", True)  # noqa: B010
            elif not stream:
                try:
                    content = read_bounded(resp, MAX_SMALL_BODY, f"the answer to {method}", self.host)
                except TRANSFER_ERRORS as exc:
                    self.check_cancel()
                    raise self.unreachable(exc) from None
                # The body as requests would have read it, but bounded.
                resp._content = content
                setattr(resp, "_content_consumed", True)  # noqa: B010 (not in the type stubs)
            return resp

    def _sleep(self, delay: float) -> None:
        if not self.budget.wait(delay, self.cancelled):
            raise Cancelled("operation cancelled")

    def wait_to_retry(self, failure: BaseException | requests.Response, during: str = "") -> None:
        """Sleep before a retry, or raise the error for ``failure`` when the budget is spent."""
        resp = failure if isinstance(failure, requests.Response) else None
        delay, why = self.budget.take(resp)
        if delay is None:
            if resp is not None:
                self.last_refusal = why
                self.raise_for(resp, f"transfer with {self.repository}")
            assert isinstance(failure, BaseException)
            raise self.unreachable(failure, during, why) from None
        self._sleep(delay)

    def unreachable(self, exc: BaseException, during: str = "", why: str = "") -> RegistryUnreachable:
        """What went wrong on the network, in words that match it (not "is the registry running?" for
        a connection that broke mid-body)."""
        suffix = f" ({why})" if why else ""
        connect, read = self.timeout
        if any(
            isinstance(e, (requests.exceptions.SSLError, urllib3.exceptions.SSLError)) for e in _causes(exc)
        ):
            return RegistryUnreachable(
                f"TLS handshake with {self.host} failed; check its certificate, or use a CA bundle "
                "(tls_verify) or plain HTTP for a local registry" + suffix
            )
        if _refused(exc):  # first: urllib3's NewConnectionError subclasses ConnectTimeoutError
            return RegistryUnreachable(
                f"cannot reach {self.host}: connection failed; is the registry running?" + suffix
            )
        if any(
            isinstance(e, (requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError))
            for e in _causes(exc)
        ):
            return RegistryUnreachable(
                f"{self.host} did not accept a connection within {connect:g} s; check the network and "
                "retry" + suffix
            )
        if any(
            isinstance(e, (TimeoutError, requests.Timeout, urllib3.exceptions.TimeoutError))
            for e in _causes(exc)
        ):
            return RegistryUnreachable(
                f"{self.host} stopped sending data{during} (nothing for {read:g} s); check the network "
                "and retry" + suffix
            )
        return RegistryUnreachable(
            f"the connection to {self.host} broke{during}: the registry or the network closed it" + suffix
        )

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
            why = f"; {self.last_refusal}" if self.last_refusal else ""
            raise RegistryUnavailable(f"registry {self.host} unavailable (HTTP {status}), retry later{why}")
        raise RegistryError(
            f"{what} on {self.host} failed: HTTP {status}" + (f" ({detail})" if detail else "")
        )


def registry_error_detail(resp: requests.Response) -> str:
    """``code: message`` from an OCI error body, if the body is one (read bounded, shortened)."""
    if "json" not in resp.headers.get("Content-Type", ""):
        return ""
    try:
        consumed = getattr(resp, "_content_consumed", False)
        raw = resp.content if consumed else read_bounded(resp, 64 << 10, "an error reply", "")
        errors = json.loads(raw).get("errors") or []
        first = errors[0]
        detail = f"{first.get('code', '')}: {first.get('message', '')}".strip(": ")
    except _DETAIL_ERRORS:
        return ""
    return detail if len(detail) <= 300 else detail[:300] + "…"
