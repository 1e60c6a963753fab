"""The one base handler every kitlab route uses.

Handlers stay thin: parse the request, call the library, return JSON. Errors from the library are
``KitlabError`` subclasses carrying a stable ``code``; this module is the single place that maps them to
HTTP statuses and to the response shape ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import tornado.web
from jupyter_server.base.handlers import APIHandler

from kitlab import errors
from kitlab.modelkit.store import LocalStore
from kitlab.server.jobs import JobManager
from kitlab.server.paths import resolve_in_root
from kitlab.server.settings import Kitlab

T = TypeVar("T")

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
}


class KitlabHandler(APIHandler):
    """Authenticated JSON handler with kitlab's error model.

    ``auth_resource`` lets jupyter_server's authorizer grant or deny kitlab as a whole.
    """

    auth_resource = "kitlab"

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
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

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

    def folder_argument(self, name: str = "path") -> Path:
        """The ``?path=`` query argument as an existing folder inside the server root."""
        folder = resolve_in_root(self.root, self.get_query_argument(name, ""))
        if not folder.is_dir():
            raise errors.NotFound(f"no folder {self.get_query_argument(name, '')!r} in the workspace")
        return folder

    async def run_blocking(self, func: Callable[..., T], *args: Any) -> T:
        """Run file-system or network work on a thread so the event loop keeps serving."""
        return await asyncio.get_running_loop().run_in_executor(None, func, *args)

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object, or a 400 that says why not."""
        try:
            body = json.loads(self.request.body or b"{}")
        except json.JSONDecodeError as exc:
            raise errors.InvalidInput(f"request body is not JSON: {exc.msg} at line {exc.lineno}") from exc
        except UnicodeDecodeError as exc:
            raise errors.InvalidInput("request body is not UTF-8 JSON") from exc
        if not isinstance(body, dict):
            raise errors.InvalidInput("request body must be a JSON object")
        return body
