"""Real OCI registries for tests: Debian's ``docker-registry`` (distribution 2.8) on a free loopback port,
with no auth, htpasswd (bcrypt) auth, or token auth backed by a small JWT issuer started here; plus a
fault-injecting TCP proxy for retry/resume tests.

Everything is a plain context manager so the root conftest can wrap it in fixtures:

    with run_registry("token", tmp_path) as reg:      # or "none" / "htpasswd"; tls=True for HTTPS
        reg.host, reg.url, reg.username, reg.password, reg.creds, reg.issuer, reg.tls
    with FaultProxy(reg.host) as proxy:                # point a client at proxy.host instead
        proxy.drop_during("PATCH", after_body_bytes=0, nth=2)

The token issuer needs the ``cryptography`` package (RSA keys, X.509, JWT signing).

A missing ``docker-registry`` or ``htpasswd`` raises: a broken setup must fail the tests, never skip them.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import http.server
import json
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import requests

AuthKind = Literal["none", "htpasswd", "token"]

TOKEN_SERVICE = "kitlab-test-registry"
TOKEN_ISSUER = "kitlab-test-issuer"
# distribution 2.8 accepts a token up to 60 s after its `exp` (token.Leeway); the issuer subtracts it so
# `ttl` is the time the registry really accepts a token, which keeps expiry tests fast.
REGISTRY_TOKEN_LEEWAY = 60


class RegistrySetupError(RuntimeError):
    """The registry or one of its tools could not be started."""


def require_program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RegistrySetupError(f"required program {name!r} is not on PATH (apt-get install it)")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------------------------------------------
# Token issuer


class TokenIssuer:
    """A minimal Docker token server (``GET realm?service&scope`` with Basic auth, and the OAuth2 ``POST``
    form with ``grant_type=password|refresh_token``) issuing RS256 JWTs the registry trusts via ``x5c``.

    ``ttl`` (seconds the registry accepts a token) and ``advertised_expires_in`` (what the response's
    ``expires_in`` claims; None = ttl) are plain attributes tests may change at any time.
    ``issued`` records the scopes of every token handed out.
    """

    def __init__(self, username: str, password: str, *, ttl: int = 300, refresh_token: str | None = None):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.username = username
        self.password = password
        self.refresh_token = refresh_token or secrets.token_urlsafe(24)
        self.ttl = ttl
        self.advertised_expires_in: int | None = None
        # None grants every requested action; a set limits them (e.g. {"pull"} for a read-only user).
        self.allowed_actions: set[str] | None = None
        self.tokens: list[str] = []
        self.issued: list[list[str]] = []
        self.rejected = 0
        self._lock = threading.Lock()
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kitlab test token issuer")])
        now = dt.datetime.now(dt.timezone.utc)
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.cert_pem = self._cert.public_bytes(serialization.Encoding.PEM)
        self._cert_der_b64 = base64.b64encode(self._cert.public_bytes(serialization.Encoding.DER)).decode()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.realm = f"http://127.0.0.1:{self.port}/token"
        self._thread = threading.Thread(target=self._server.serve_forever, name="token-issuer", daemon=True)

    def __enter__(self) -> TokenIssuer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _sign(self, subject: str, scopes: list[str]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._cert_der_b64]}
        claims = {
            "iss": TOKEN_ISSUER,
            "sub": subject,
            "aud": TOKEN_SERVICE,
            "iat": now,
            "nbf": now - 5,
            "exp": now + self.ttl - REGISTRY_TOKEN_LEEWAY,
            "jti": secrets.token_hex(8),
            "access": _access_claim(scopes, self.allowed_actions) if subject else [],
        }

        def b64(obj: dict) -> str:
            raw = json.dumps(obj, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        signing_input = f"{b64(header)}.{b64(claims)}"
        sig = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"

    def _issue(self, subject: str, scopes: list[str]) -> dict:
        with self._lock:
            self.issued.append(scopes)
        token = self._sign(subject, scopes)
        with self._lock:
            self.tokens.append(token)
        expires_in = self.advertised_expires_in if self.advertised_expires_in is not None else self.ttl
        return {"token": token, "access_token": token, "expires_in": expires_in}

    def _handler_class(self) -> type[http.server.BaseHTTPRequestHandler]:
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _reply(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _deny(self) -> None:
                with issuer._lock:
                    issuer.rejected += 1
                self._reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})

            def do_GET(self) -> None:
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                scopes = query.get("scope", [])
                header = self.headers.get("Authorization", "")
                if not header:
                    self._reply(200, issuer._issue("", scopes))  # anonymous: a token with no access
                    return
                user, _, password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
                if user != issuer.username or password != issuer.password:
                    self._deny()
                    return
                self._reply(200, issuer._issue(user, scopes))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                grant = form.get("grant_type", [""])[0]
                scopes = " ".join(form.get("scope", [])).split()
                if grant == "refresh_token" and form.get("refresh_token", [""])[0] == issuer.refresh_token:
                    body = issuer._issue(issuer.username, scopes)
                elif (
                    grant == "password"
                    and form.get("username", [""])[0] == issuer.username
                    and form.get("password", [""])[0] == issuer.password
                ):
                    body = issuer._issue(issuer.username, scopes) | {"refresh_token": issuer.refresh_token}
                else:
                    self._deny()
                    return
                self._reply(200, body)

        return Handler


def _access_claim(scopes: list[str], allowed: set[str] | None) -> list[dict]:
    """Grant what was asked (``repository:name:pull,push`` → an ``access`` entry), within ``allowed``."""
    access = []
    for scope in scopes:
        parts = scope.split(":")
        if len(parts) < 3:
            continue
        kind, actions = parts[0], parts[-1]
        name = ":".join(parts[1:-1])
        granted = [a for a in actions.split(",") if allowed is None or a in allowed]
        access.append({"type": kind, "name": name, "actions": granted})
    return access


# ------------------------------------------------------------------------------------------------------
# TLS material


@dataclass(frozen=True)
class TlsMaterial:
    """A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    require_client_cert: bool


def make_tls_material(directory: Path, *, require_client_cert: bool = False) -> TlsMaterial:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> Path:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return path

    def issue(
        cn: str, key: ec.EllipticCurvePrivateKey, issuer_key: ec.EllipticCurvePrivateKey, issuer: x509.Name
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(name(cn))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=2))
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("kitlab test CA")
    ca_cert = (
        issue("kitlab test CA", ca_key, ca_key, ca_name)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        issue("127.0.0.1", server_key, ca_key, ca_name)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_cert = (
        issue("kitlab test client", client_key, ca_key, ca_name)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca_cert.public_bytes(pem))
    (directory / "server.pem").write_bytes(server_cert.public_bytes(pem))
    (directory / "client.pem").write_bytes(client_cert.public_bytes(pem))
    return TlsMaterial(
        ca=directory / "ca.pem",
        server_cert=directory / "server.pem",
        server_key=write_key(server_key, directory / "server.key"),
        client_cert=directory / "client.pem",
        client_key=write_key(client_key, directory / "client.key"),
        require_client_cert=require_client_cert,
    )


# ------------------------------------------------------------------------------------------------------
# Registry process


@dataclass
class RunningRegistry:
    host: str
    url: str
    storage: Path
    auth: AuthKind
    username: str | None = None
    password: str | None = None
    issuer: TokenIssuer | None = None
    tls: TlsMaterial | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def creds(self) -> str | None:
        """``user:pass`` for skopeo's ``--creds``."""
        return f"{self.username}:{self.password}" if self.username else None


def _config_yaml(port: int, storage: Path, auth_block: str, tls: TlsMaterial | None) -> str:
    tls_block = ""
    if tls is not None:
        tls_block = f"  tls:\n    certificate: {tls.server_cert}\n    key: {tls.server_key}\n"
        if tls.require_client_cert:
            tls_block += f"    clientcas:\n      - {tls.ca}\n"
    return (
        "version: 0.1\n"
        "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n  secret: {secrets.token_hex(16)}\n{tls_block}"
        f"{auth_block}"
    )


def _wait_ready(
    proc: subprocess.Popen, url: str, log: Path, tls: TlsMaterial | None, timeout: float = 15.0
) -> bool:
    """True when ``GET /v2/`` answers; False if the process died (e.g. port taken)."""
    verify: bool | str = str(tls.ca) if tls else True
    cert = (str(tls.client_cert), str(tls.client_key)) if tls else None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if requests.get(f"{url}/v2/", timeout=1, verify=verify, cert=cert).status_code in (200, 401):
                return True
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RegistrySetupError(f"docker-registry did not answer within {timeout}s:\n{log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@contextlib.contextmanager
def run_registry(
    auth: AuthKind = "none",
    workdir: Path | None = None,
    *,
    username: str = "kituser",
    password: str | None = None,
    token_ttl: int = 300,
    tls: bool = False,
    require_client_cert: bool = False,
) -> Iterator[RunningRegistry]:
    """Start ``docker-registry serve`` on a free 127.0.0.1 port; stop it (by PID) on exit.

    ``tls`` serves HTTPS with a certificate from a throwaway CA (``.tls.ca``); ``require_client_cert``
    also demands a client certificate signed by it (``.tls.client_cert``/``.tls.client_key``)."""
    binary = require_program("docker-registry")
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kitlab-registry-")))
        workdir.mkdir(parents=True, exist_ok=True)
        storage = workdir / "storage"
        storage.mkdir(exist_ok=True)
        password = password or "pw-" + secrets.token_urlsafe(12)
        auth_block = ""
        issuer: TokenIssuer | None = None
        if auth == "htpasswd":
            htpasswd = require_program("htpasswd")
            line = subprocess.run(
                [htpasswd, "-Bbn", username, password], check=True, capture_output=True, text=True
            ).stdout.strip()
            (workdir / "htpasswd").write_text(line + "\n")
            auth_block = f"auth:\n  htpasswd:\n    realm: kitlab-test\n    path: {workdir / 'htpasswd'}\n"
        elif auth == "token":
            issuer = stack.enter_context(TokenIssuer(username, password, ttl=token_ttl))
            (workdir / "token-ca.pem").write_bytes(issuer.cert_pem)
            auth_block = (
                "auth:\n  token:\n"
                f"    realm: {issuer.realm}\n    service: {TOKEN_SERVICE}\n    issuer: {TOKEN_ISSUER}\n"
                f"    rootcertbundle: {workdir / 'token-ca.pem'}\n"
            )
        tls_material = (
            make_tls_material(workdir / "tls", require_client_cert=require_client_cert) if tls else None
        )
        scheme = "https" if tls else "http"
        log = workdir / "registry.log"
        for _attempt in range(5):
            port = free_port()
            config = workdir / "config.yml"
            config.write_text(_config_yaml(port, storage, auth_block, tls_material))
            url = f"{scheme}://127.0.0.1:{port}"
            with log.open("wb") as log_fh:
                proc = subprocess.Popen([binary, "serve", str(config)], stdout=log_fh, stderr=log_fh)
            stack.callback(_stop, proc)
            if _wait_ready(proc, url, log, tls_material):
                break
            _stop(proc)  # lost the port to another process between bind-probe and serve: try another
        else:
            raise RegistrySetupError(f"docker-registry failed to start:\n{log.read_text()[-2000:]}")
        with_auth = auth != "none"
        yield RunningRegistry(
            host=f"127.0.0.1:{port}",
            url=url,
            storage=storage,
            auth=auth,
            username=username if with_auth else None,
            password=password if with_auth else None,
            issuer=issuer,
            tls=tls_material,
            process=proc,
        )


# ------------------------------------------------------------------------------------------------------
# Fault-injecting proxy


class FaultProxy:
    """A TCP proxy on a free loopback port in front of ``upstream`` ("host:port") that understands just
    enough HTTP/1.1 request framing (head + ``Content-Length`` body) to inject faults per request.

    Faults (each armed once, consumed when it fires):
      * ``drop_after(n)``: close both sides once ``n`` more bytes went upstream (raw count);
      * ``drop_during(method, after_body_bytes, nth=1)``: close both sides when the ``nth`` next request
        with that method has forwarded ``after_body_bytes`` of its body (0 = right after its head);
      * ``fail_next(k, status=503, retry_after=0)``: answer the next ``k`` requests itself with ``status``
        and that ``Retry-After`` (the request body is read and discarded);
      * ``stall_next(seconds)``: hold the next response for ``seconds`` before relaying it;
      * ``drop_response_after(n)``: close both sides after ``n`` more bytes came back downstream;
      * ``corrupt_response_at(n)``: flip the bit pattern of the ``n``-th next downstream byte.
    ``requests`` logs ``(method, path)`` of every request seen, ``ranges`` the ``Range`` header of those
    that had one; ``bytes_up``/``bytes_down`` count traffic.
    """

    def __init__(self, upstream: str):
        host, _, port = upstream.rpartition(":")
        self._upstream = (host, int(port))
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.requests: list[tuple[str, str]] = []
        self.ranges: list[str] = []
        self.bytes_up = 0
        self.bytes_down = 0
        self._drop_up_at: int | None = None
        self._drop_during: list[object] | None = None  # [method, after_body_bytes, nth]
        self._fail: tuple[int, int, int] = (0, 503, 0)
        self._stall: float | None = None
        self._drop_down_at: int | None = None
        self._corrupt_at: int | None = None
        self._sockets: set[socket.socket] = set()
        self._closed = False
        self._thread = threading.Thread(target=self._accept_loop, name="fault-proxy", daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        self._listener.close()
        self.close_connections()

    # -- arming ------------------------------------------------------------------------------------
    def drop_after(self, n: int) -> None:
        with self._lock:
            self._drop_up_at = self.bytes_up + n

    def drop_during(self, method: str, after_body_bytes: int, nth: int = 1) -> None:
        with self._lock:
            self._drop_during = [method.upper(), after_body_bytes, nth]

    def fail_next(self, k: int, status: int = 503, retry_after: int = 0) -> None:
        with self._lock:
            self._fail = (k, status, retry_after)
        self.close_connections()  # pooled keep-alive connections would otherwise dodge the fault

    def stall_next(self, seconds: float) -> None:
        with self._lock:
            self._stall = seconds

    def drop_response_after(self, n: int) -> None:
        with self._lock:
            self._drop_down_at = self.bytes_down + n

    def corrupt_response_at(self, n: int) -> None:
        with self._lock:
            self._corrupt_at = self.bytes_down + n

    def close_connections(self) -> None:
        with self._lock:
            socks = list(self._sockets)
            self._sockets.clear()
        for s in socks:
            _hard_close(s)

    # -- plumbing ----------------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self._upstream)
        except OSError:
            _hard_close(client)
            return
        with self._lock:
            self._sockets.update((client, upstream))
        conn = _Conn(client, upstream)
        threading.Thread(target=self._downstream, args=(conn,), daemon=True).start()
        try:
            self._upstream_loop(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def _upstream_loop(self, conn: _Conn) -> None:
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.client.recv(1 << 20)
                if not data:
                    return
                buf += data
            head, _, buf = buf.partition(b"\r\n\r\n")
            head += b"\r\n\r\n"
            lines = head.decode("latin-1").split("\r\n")
            method, path = [*lines[0].split(" "), "", ""][:2]
            headers = {
                k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
            }
            with self._lock:
                self.requests.append((method, path))
                if "range" in headers:
                    self.ranges.append(headers["range"])
                fail_k, fail_status, retry_after = self._fail
                if fail_k:
                    self._fail = (fail_k - 1, fail_status, retry_after)
                stall, self._stall = self._stall, None
                drop_at = None
                dd = self._drop_during
                if dd is not None and dd[0] == method:
                    dd[2] -= 1  # type: ignore[operator]
                    if dd[2] == 0:
                        drop_at = dd[1]
                        self._drop_during = None
            if headers.get("transfer-encoding", "").lower() == "chunked":
                # Not framed here; relay the rest of this connection raw.
                self._forward(conn, head + buf)
                while data := conn.client.recv(1 << 20):
                    self._forward(conn, data)
                return
            length = int(headers.get("content-length", "0") or 0)
            if fail_k:
                while len(buf) < length:
                    data = conn.client.recv(1 << 20)
                    if not data:
                        return
                    buf += data
                buf = buf[length:]
                reply = (
                    f"HTTP/1.1 {fail_status} Injected Fault\r\nContent-Length: 0\r\n"
                    f"Retry-After: {retry_after}\r\nConnection: close\r\n\r\n"
                )
                conn.client.sendall(reply.encode())
                return
            if stall:
                conn.stall_until = time.monotonic() + stall
            self._forward(conn, head)
            if drop_at == 0:
                return
            sent = 0
            while sent < length:
                if not buf:
                    buf = conn.client.recv(1 << 20)
                    if not buf:
                        return
                piece = buf[: length - sent]
                if drop_at is not None and sent + len(piece) >= drop_at:
                    self._forward(conn, piece[: drop_at - sent])
                    return
                buf = buf[len(piece) :]
                self._forward(conn, piece)
                sent += len(piece)

    def _forward(self, conn: _Conn, data: bytes) -> None:
        with self._lock:
            start = self.bytes_up
            self.bytes_up += len(data)
            drop_at = self._drop_up_at
            if drop_at is not None and self.bytes_up >= drop_at:
                self._drop_up_at = None
        if drop_at is not None and start + len(data) >= drop_at:
            conn.upstream.sendall(data[: drop_at - start])
            raise ConnectionAbortedError("injected upstream drop")
        conn.upstream.sendall(data)

    def _downstream(self, conn: _Conn) -> None:
        try:
            while data := conn.upstream.recv(1 << 20):
                wait = conn.stall_until - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                with self._lock:
                    start = self.bytes_down
                    self.bytes_down += len(data)
                    drop_at, corrupt_at = self._drop_down_at, self._corrupt_at
                    if drop_at is not None and self.bytes_down >= drop_at:
                        self._drop_down_at = None
                    if corrupt_at is not None and self.bytes_down > corrupt_at:
                        self._corrupt_at = None
                if corrupt_at is not None and start <= corrupt_at < start + len(data):
                    i = corrupt_at - start
                    data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :]
                if drop_at is not None and start + len(data) >= drop_at:
                    conn.client.sendall(data[: drop_at - start])
                    break
                conn.client.sendall(data)
        except OSError:
            pass
        finally:
            conn.close()


class _Conn:
    def __init__(self, client: socket.socket, upstream: socket.socket):
        self.client = client
        self.upstream = upstream
        self.stall_until = 0.0

    def close(self) -> None:
        _hard_close(self.client)
        _hard_close(self.upstream)


def _hard_close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
