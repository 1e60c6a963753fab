"""A hand-made hostile registry for tests: a small threaded HTTP server that speaks just enough of the
distribution API to serve (and accept) a ModelKit, and lies or misbehaves on demand.

Where ``FaultProxy`` (``registry.py``) breaks the bytes between kitlab and a real registry, this one
crafts the answers themselves: slow or stalled blob bodies, a ``Content-Length`` that lies, wrong
content, 503 floods with any ``Retry-After``, an auth challenge whose token realm is on another host,
upload ``Location``s pointing elsewhere. Every request is logged with its headers, so a test can
prove what kitlab sent where (e.g. that no ``Authorization`` reached a foreign host).

    with HostileRegistry() as reg:
        digest = reg.add_kit("team/model", "v1", layer=b"...")   # or reg.add_parent_kit(...)
        reg.challenge = 'Bearer realm="http://localhost:PORT/token"'  # /token of any instance issues
        reg.blob_rate = 20_000                                   # bytes per second for blob bodies
        reg.flood = (503, "2")                                   # every request: 503, Retry-After: 2
        reg.requests                                             # [Seen(method, path, headers), ...]
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import ssl
import tarfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from kitlab.modelkit.manifest import Descriptor, build_manifest
from tests.support.registry import TlsMaterial

KIT_CONFIG = "application/vnd.kitops.modelkit.config.v1+json"
KIT_MODEL_LAYER = "application/vnd.kitops.modelkit.model.v1.tar"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class HostileRegistry:
    bind: str = "127.0.0.1"
    tls: TlsMaterial | None = None
    # -- behaviour knobs (plain attributes: change them at any time) -----------------------------
    blob_rate: float | None = None  # bytes per second for blob GET bodies
    stall_blobs: bool = False  # blob GETs send their headers, then nothing until closed
    stall_min_size: int = 0  # ... only blobs at least this large (a layer, not the config)
    announce_extra: int = 0  # added to the Content-Length of blob GETs (a lie)
    cut_after: int | None = None  # close a blob body after this many bytes
    wrong_content: bool = False  # serve other bytes of the right length
    flood: tuple[int, str] | None = None  # answer every /v2 request with (status, Retry-After)
    challenge: str | None = None  # WWW-Authenticate for requests without Authorization
    require_user_token: bool = False  # also challenge requests with the anonymous token
    upload_location: str | None = None  # Location answered to POST .../blobs/uploads/
    upload_range: str | None = None  # Range answered to every PATCH (e.g. "0-0": nothing kept)
    redirect_blobs: str | None = None  # base URL blob GETs are redirected to (307), like a CDN
    tags_loop: bool = False  # tag lists always link to a "next" page: the same one
    tags_padding: int = 0  # bytes of filler in every tag list (an answer too large to read)
    # -- state --------------------------------------------------------------------------------------
    manifests: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = http.server.ThreadingHTTPServer((self.bind, 0), self._handler_class())
        self._server.daemon_threads = True
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.tls.server_cert, self.tls.server_key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = int(self._server.server_address[1])
        self.host = f"{self.bind}:{self.port}"
        self.url = f"{'https' if self.tls else 'http'}://{self.host}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="hostile", daemon=True
        )

    def __enter__(self) -> HostileRegistry:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    # -- content -----------------------------------------------------------------------------------
    def add_blob(self, data: bytes) -> Descriptor:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return Descriptor("", digest, len(data))

    def add_kit(
        self, repo: str, tag: str, *, layer: bytes = b"weights", model_path: str = "model.bin"
    ) -> str:
        """A classic ModelKit with one model layer (a tar holding ``model.bin``); its manifest digest."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo("model.bin")
            info.size = len(layer)
            tar.addfile(info, io.BytesIO(layer))
        blob = self.add_blob(buf.getvalue())
        kitfile = {
            "manifestVersion": "1.0.0",
            "package": {"name": repo.rsplit("/", 1)[-1]},
            "model": {"name": "m", "path": model_path},
        }
        layers = [] if model_path != "model.bin" else [Descriptor(KIT_MODEL_LAYER, blob.digest, blob.size)]
        return self._add_manifest(repo, tag, kitfile, layers)

    def add_parent_kit(self, repo: str, tag: str, parent: str) -> str:
        """A ModelKit whose ``model.path`` names another ModelKit (kit's parent reference)."""
        return self.add_kit(repo, tag, model_path=parent)

    def _add_manifest(self, repo: str, tag: str, kitfile: dict, layers: list[Descriptor]) -> str:
        config = self.add_blob(json.dumps(kitfile).encode())
        data = build_manifest(Descriptor(KIT_CONFIG, config.digest, config.size), layers, "1.7.0")
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.manifests[f"{repo}:{tag}"] = self.manifests[f"{repo}:{digest}"] = (data, OCI_MANIFEST)
        return digest

    def seen(self, method: str | None = None, prefix: str = "") -> list[Seen]:
        with self._lock:
            return [
                s
                for s in self.requests
                if (method is None or s.method == method) and s.path.startswith(prefix)
            ]

    # -- HTTP ----------------------------------------------------------------------------------------
    def _handler_class(self) -> type[http.server.BaseHTTPRequestHandler]:
        reg = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                if "Content-Length" not in (headers or {}):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _handle(self) -> None:
                path = urllib.parse.urlsplit(self.path).path
                with reg._lock:
                    reg.requests.append(Seen(self.command, self.path, dict(self.headers.items())))
                if path.startswith("/token"):
                    # As a token service: a user token for credentials, an anonymous one otherwise.
                    token = "user-token" if self.headers.get("Authorization") else "anon-token"
                    self._reply(200, json.dumps({"token": token, "expires_in": 300}).encode())
                    return
                if path.startswith("/cdn/"):  # as the CDN a registry redirected to: any blob it knows
                    self._send_blob(path.removeprefix("/cdn/"))
                    return
                if path.startswith("/upload/") and self.command == "PATCH":
                    self._body()
                    headers = {"Location": path, "Range": reg.upload_range or "0-0"}
                    self._reply(202, headers=headers)
                    return
                if path.startswith("/upload/"):
                    reg.blobs["sha256:" + hashlib.sha256(self._body()).hexdigest()] = b""
                    self._reply(201)
                    return
                if reg.flood is not None:
                    self._body()
                    status, retry_after = reg.flood
                    self._reply(status, headers={"Retry-After": retry_after})
                    return
                auth = self.headers.get("Authorization", "")
                if reg.challenge and (not auth or (reg.require_user_token and auth == "Bearer anon-token")):
                    self._body()
                    self._reply(401, headers={"WWW-Authenticate": reg.challenge})
                    return
                if path == "/v2/":
                    self._reply(200, b"{}", {"Content-Type": "application/json"})
                    return
                if path.endswith("/tags/list") and self.command == "GET":
                    link = {"Link": f'<{path}?n=1>; rel="next"'} if reg.tags_loop else {}
                    tags: dict[str, object] = {"name": path, "tags": ["v1", 7, "x" * 500, None]}
                    if reg.tags_padding:
                        tags["pad"] = "x" * reg.tags_padding
                    body = json.dumps(tags).encode()
                    self._reply(200, body, {"Content-Type": "application/json", **link})
                    return
                repo, kind, ref = _split(path)
                if kind == "manifests" and self.command in ("GET", "HEAD"):
                    found = reg.manifests.get(f"{repo}:{ref}")
                    if found is None:
                        self._reply(404)
                    else:
                        self._reply(200, found[0], {"Content-Type": found[1]})
                elif kind == "manifests" and self.command == "PUT":
                    data = self._body()
                    reg.manifests[f"{repo}:{ref}"] = (data, self.headers.get("Content-Type", ""))
                    self._reply(201)
                elif kind == "blobs" and self.command == "HEAD":
                    self._reply(200 if ref in reg.blobs else 404)
                elif kind == "blobs" and self.command == "GET":
                    self._send_blob(ref)
                elif kind == "uploads" and self.command == "POST":
                    location = reg.upload_location or f"/upload/{time.monotonic_ns()}"
                    self._reply(202, headers={"Location": location})
                else:
                    self._body()
                    self._reply(404)

            def _send_blob(self, digest: str) -> None:
                if reg.redirect_blobs and not self.path.startswith("/cdn/"):
                    self._reply(307, headers={"Location": f"{reg.redirect_blobs}/cdn/{digest}"})
                    return
                data = reg.blobs.get(digest)
                if data is None:
                    self._reply(404)
                    return
                if reg.wrong_content:
                    data = bytes(b ^ 0x5A for b in data)
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data) + reg.announce_extra))
                self.end_headers()
                self.wfile.flush()
                if reg.stall_blobs and len(data) >= reg.stall_min_size:
                    reg._closing.wait()
                    return
                if reg.cut_after is not None:
                    data = data[: reg.cut_after]
                step = 1024 if reg.blob_rate else 1 << 16
                for start in range(0, len(data), step):
                    if reg._closing.is_set():
                        return
                    try:
                        self.wfile.write(data[start : start + step])
                        self.wfile.flush()
                    except OSError:
                        return
                    if reg.blob_rate:
                        time.sleep(step / reg.blob_rate)
                if reg.cut_after is not None or reg.announce_extra:
                    self.close_connection = True  # the rest never comes

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return Handler


def _split(path: str) -> tuple[str, str, str]:
    """``/v2/<repo>/manifests/<ref>`` → (repo, "manifests", ref); blobs alike; uploads → "uploads"."""
    rest = path.removeprefix("/v2/")
    if rest.endswith("/blobs/uploads/"):
        return rest.removesuffix("/blobs/uploads/"), "uploads", ""
    for kind in ("manifests", "blobs"):
        repo, sep, ref = rest.rpartition(f"/{kind}/")
        if sep:
            return repo, kind, ref
    return "", "", ""
