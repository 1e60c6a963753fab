"""URL routes of the kitlab server extension: every resource lives under ``<base_url>/kitlab/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from kitlab import documents
from kitlab._version import __version__
from kitlab.errors import InvalidInput
from kitlab.handlers import KitlabHandler
from kitlab.kitfile import kitfile_json_schema, kitfile_to_dict, ui_schema
from kitlab.paths import to_api_path

API_VERSION = 1


class VersionHandler(KitlabHandler):
    """Handshake: the frontend compares its own version with the server's and warns on a mismatch."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        home = self.kitlab.home()
        self.write_json(
            {
                "version": __version__,
                "apiVersion": API_VERSION,
                "kitopsHome": str(home),
                "store": str(home / "storage"),
            }
        )


class SchemaHandler(KitlabHandler):
    """The Kitfile JSON Schema and UI hints: the form is generated from the same source the parser uses."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        self.write_json({"schema": kitfile_json_schema(), "uiSchema": ui_schema()})


class KitfileHandler(KitlabHandler):
    """GET reads the folder's Kitfile with its problems; PUT validates and saves it (comments kept)."""

    def _document(self, folder: Path, doc: dict[str, Any]) -> dict[str, Any]:
        doc["path"] = to_api_path(self.root, folder / doc.pop("name"))
        return doc

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        folder = self.folder_argument()
        self.write_json(self._document(folder, await self.run_blocking(documents.read, folder)))

    @tornado.web.authenticated
    @authorized
    async def put(self) -> None:
        folder = self.folder_argument()
        body = self.json_body()
        self.write_json(self._document(folder, await self.run_blocking(documents.save, folder, body)))


class KitfileValidateHandler(KitlabHandler):
    """Live validation for the form and the YAML tab: problems by field path, nothing written."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        folder = self.folder_argument()
        kf, problems = await self.run_blocking(documents.check, folder, self.json_body())
        self.write_json(
            {"problems": [p.to_dict() for p in problems], "kitfile": kitfile_to_dict(kf) if kf else None}
        )


class JobsHandler(KitlabHandler):
    """POST creates a job (202: it runs in the background); GET lists every job, newest first."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        self.write_json({"jobs": [job.to_dict() for job in self.jobs.list()]})

    @tornado.web.authenticated
    @authorized
    def post(self) -> None:
        body = self.json_body()
        kind = body.get("kind")
        params = body.get("params", {})
        if not isinstance(kind, str) or not isinstance(params, dict):
            raise InvalidInput('expected {"kind": string, "params": object}')
        job = self.jobs.create(kind, params)
        self.set_header("Location", url_path_join(self.base_url, "kitlab", "jobs", job.id))
        self.write_json(job.to_dict(), status=202)


class JobHandler(KitlabHandler):
    """GET reads one job; DELETE asks it to stop (it reaches 'cancelled' within about a second)."""

    @tornado.web.authenticated
    @authorized
    def get(self, job_id: str) -> None:
        self.write_json(self.jobs.get(job_id).to_dict())

    @tornado.web.authenticated
    @authorized
    def delete(self, job_id: str) -> None:
        self.write_json(self.jobs.cancel(job_id).to_dict(), status=202)


# (path relative to /kitlab/, handler). The auth test walks this list, so every route must be here.
ROUTES: list[tuple[str, type[KitlabHandler]]] = [
    ("version", VersionHandler),
    ("schema", SchemaHandler),
    ("kitfile", KitfileHandler),
    ("kitfile/validate", KitfileValidateHandler),
    ("jobs", JobsHandler),
    (r"jobs/(?P<job_id>[^/]+)", JobHandler),
]
