"""The one base handler every kitlab route uses.

Handlers stay thin: parse the request, call the library, return JSON. Errors from the library are
``KitlabError`` subclasses carrying a stable ``code``; this module is the single place that maps them to
HTTP statuses and to the response shape ``{"error": {"code", "message", "details"}}``.

It is also where a request's size is bounded before anything reads it (docs/hardening.md): the body
(``MAX_BODY_BYTES``, refused from its Content-Length before it is received), its JSON (nesting depth,
digits of a number, NaN) and each query argument; and where failures are logged: a client's mistake
in one WARNING line, an unexpected error at ERROR with its traceback.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import math
import re
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import tornado.web
from jupyter_server.base.handlers import APIHandler

from kitlab import errors
from kitlab.apijson import to_api
from kitlab.modelkit.store import LocalStore
from kitlab.server.jobs import JobManager
from kitlab.server.paths import resolve_in_root
from kitlab.server.settings import Kitlab

T = TypeVar("T")

log = logging.getLogger(__name__)

# A Kitfile is at most 1 MiB (kitlab/kitfile/yamlnodes.py); JSON escaping can double it.
MAX_BODY_BYTES = 2 << 20
# No request of this API nests deeper than a Kitfile's parameters, which the parser caps at 100.
MAX_JSON_DEPTH = 100
# Beyond this a number is no count, size or flag any route takes (Python refuses 4,300 digits).
MAX_INT_DIGITS = 40
# Linux PATH_MAX and NAME_MAX: longer paths cannot name a file, so they are refused as input.
MAX_QUERY_CHARS = 4096
MAX_NAME_BYTES = 255
# Quoted in one log line at most this long.
LOG_MESSAGE_CHARS = 300


class _BadNumber:
    """A number in a request body that cannot be one (kept until the field is named): too many digits,
    or beyond a float's range (``1e400`` would be sent back as ``Infinity``, which is not JSON)."""

    def __init__(self, why: str) -> None:
        self.why = why


def _parse_int(text: str) -> int | _BadNumber:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        return _BadNumber(f"a number of {digits} digits; at most {MAX_INT_DIGITS} are accepted")
    return int(text)


def _parse_float(text: str) -> float | _BadNumber:
    if len(text) > MAX_INT_DIGITS * 2:
        return _BadNumber(f"a number of {len(text)} characters; at most {MAX_INT_DIGITS * 2} are accepted")
    value = float(text)
    return value if math.isfinite(value) else _BadNumber("a number beyond the range of a float")


def _refuse_constant(name: str) -> Any:
    raise errors.InvalidInput(f"request body: {name} is not a JSON number")


def _field(path: list[str | int]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "request body"


def _check_json(value: Any) -> None:
    """Walk a parsed body without recursion: refuse over-deep nesting and over-long numbers, naming
    the field."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        item, path = stack.pop()
        if isinstance(item, _BadNumber):
            raise errors.InvalidInput(f"{_field(path)}: {item.why}")
        if len(path) > MAX_JSON_DEPTH:
            raise errors.InvalidInput(f"{_field(path[:8])}…: nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((v, [*path, str(k)[:100]]) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, [*path, i]) for i, v in enumerate(item))


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')


def _deep_field(text: str) -> str:
    """The field where ``text`` (JSON the parser gave up on for its depth) nests too deeply."""
    frames: list[list[Any]] = []  # [bracket, key or index] of each open container
    last_string = ""
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            frames.append([token, 0 if token == "[" else ""])
            if len(frames) > MAX_JSON_DEPTH:
                break
        elif token in "]}":
            if frames:
                frames.pop()
        elif token == ":" and frames:
            frames[-1][1] = last_string[1:-1][:100]
        elif token == "," and frames and frames[-1][0] == "[":
            frames[-1][1] += 1
        else:
            last_string = token
    return _field([frame[1] for frame in frames[:-1]][:8])


def parse_json_body(data: bytes) -> dict[str, Any]:
    """A request body as a JSON object, or ``InvalidInput`` naming the field that is wrong."""
    try:
        text = data.decode("utf-8") if data else "{}"
    except UnicodeDecodeError as exc:
        raise errors.InvalidInput("request body is not UTF-8 JSON") from exc
    try:
        body = json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant
        )
    except json.JSONDecodeError as exc:
        raise errors.InvalidInput(f"request body is not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise errors.InvalidInput(
            f"{_deep_field(text)}…: nested deeper than {MAX_JSON_DEPTH} levels"
        ) from None
    if not isinstance(body, dict):
        raise errors.InvalidInput("request body must be a JSON object")
    _check_json(body)
    return body


def path_error(exc: BaseException) -> str:
    """Why a path could not be resolved, in words that never quote it."""
    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
        return "a symbolic link loop"
    return getattr(exc, "strerror", None) or "not a usable path"


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= LOG_MESSAGE_CHARS else flat[:LOG_MESSAGE_CHARS] + "…"


# Codes not listed map to 500. Library subclasses inherit their parent's code unless they set their own.
STATUS_BY_CODE = {
    errors.InvalidInput.code: 400,
    errors.PathOutsideRoot.code: 403,
    errors.NotAllowed.code: 403,
    errors.NotFound.code: 404,
    errors.Conflict.code: 409,
    errors.Cancelled.code: 409,
    # Registry failures, mapped to what the user can do: log in, ask for access, retry later.
    "auth_required": 401,
    "denied": 403,
    "registry_error": 502,
    "registry_unavailable": 503,
    "registry_unreachable": 502,
    "digest_mismatch": 502,
    # A kit whose archive kitlab refuses to extract (hostile or corrupt).
    "extract_failed": 422,
    # The disk holding the store filled up; the partial download was removed.
    "storage_full": 507,
    # A key file or pasted key that is not a usable cosign key (docs/trust.md).
    "bad_key": 400,
}


@tornado.web.stream_request_body
class KitlabHandler(APIHandler):
    """Authenticated JSON handler with kitlab's error model.

    ``auth_resource`` lets jupyter_server's authorizer grant or deny kitlab as a whole. The body is
    streamed in, so an oversized one is refused before it is held in memory.
    """

    auth_resource = "kitlab"

    _body: bytearray
    _body_too_large = False

    async def prepare(self) -> None:  # type: ignore[override]
        self._body = bytearray()
        await super().prepare()
        declared = self.request.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise errors.InvalidInput(
                f"request body: {int(declared):,} bytes; at most {MAX_BODY_BYTES:,} are accepted"
            )

    def data_received(self, chunk: bytes) -> None:
        # A chunked body states no length: keep nothing past the limit, and refuse it when it is read.
        if self._body_too_large or len(self._body) + len(chunk) > MAX_BODY_BYTES:
            self._body_too_large = True
            self._body = bytearray()
        else:
            self._body += chunk

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """A refused request is the client's business: one WARNING line (code and message, never a
        traceback). Anything else is a bug worth its traceback."""
        request = f"{self.request.method} {self.request.path}"
        if isinstance(value, errors.KitlabError):
            status = STATUS_BY_CODE.get(value.code, 500)
            log.warning("%s: %d %s: %s", request, status, value.code, _one_line(value.message))
        elif isinstance(value, tornado.web.HTTPError):
            log.warning("%s: %d %s", request, value.status_code, _one_line(value.log_message or ""))
        else:
            log.error("%s: unexpected error", request, exc_info=(typ, value, tb))  # type: ignore[arg-type]

    @property
    def kitlab(self) -> Kitlab:
        return self.settings["kitlab_settings"]

    @property
    def jobs(self) -> JobManager:
        return self.settings["kitlab_jobs"]

    def store(self) -> LocalStore:
        return LocalStore(self.kitlab.home())

    @property
    def root(self) -> Path:
        """The server's root directory: every path a request names is confined to it."""
        return self.settings["kitlab_root"]

    def write_json(self, body: Any, status: int = 200) -> None:
        """Answer with ``body`` in the API's JSON convention (``kitlab/apijson.py``)."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(to_api(body)))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        if isinstance(exc, errors.KitlabError):
            status = STATUS_BY_CODE.get(exc.code, 500)
            body = {"code": exc.code, "message": exc.message, "details": exc.details}
        elif isinstance(exc, tornado.web.HTTPError):
            status = exc.status_code
            body = {"code": "http_error", "message": exc.log_message or self._reason, "details": None}
        else:
            status = status_code
            # Unexpected failures: the message may carry paths or internals, so only the type is shown.
            body = {"code": "internal", "message": f"internal error ({type(exc).__name__})", "details": None}
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": body}))

    def text_argument(self, name: str, default: str = "") -> str:
        """A query argument, refused (400, named) past ``MAX_QUERY_CHARS``."""
        value = self.get_query_argument(name, default)
        if len(value) > MAX_QUERY_CHARS:
            raise errors.InvalidInput(f"{name}: {len(value):,} characters; at most {MAX_QUERY_CHARS:,}")
        return value

    def folder_argument(self, name: str = "path") -> Path:
        """The ``?path=`` query argument as an existing folder inside the server root."""
        api_path = self.text_argument(name)
        if any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES for part in api_path.split("/")):
            raise errors.InvalidInput(f"{name}: a name in the path is longer than {MAX_NAME_BYTES} bytes")
        try:
            folder = resolve_in_root(self.root, api_path)
        except (RuntimeError, OSError) as exc:  # Path.resolve() on a symlink loop (RuntimeError < 3.13)
            raise errors.InvalidInput(f"{name}: {path_error(exc)}") from None
        if not folder.is_dir():
            raise errors.NotFound(f"no folder {api_path[:200]!r} in the workspace")
        return folder

    async def run_blocking(self, func: Callable[..., T], *args: Any) -> T:
        """Run file-system or network work on a thread so the event loop keeps serving."""
        return await asyncio.get_running_loop().run_in_executor(None, func, *args)

    async def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object, or a 400 that names the field that is wrong. Large
        bodies are parsed and checked on a thread: the event loop never walks a megabyte of JSON."""
        if self._body_too_large:
            raise errors.InvalidInput(f"request body: more than {MAX_BODY_BYTES:,} bytes")
        data = bytes(self._body)
        if len(data) <= 64 << 10:
            return parse_json_body(data)
        return await self.run_blocking(parse_json_body, data)
