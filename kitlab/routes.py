"""URL routes of the kitlab server extension: every resource lives under ``<base_url>/kitlab/``."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from kitlab._version import __version__
from kitlab.errors import InvalidInput
from kitlab.handlers import KitlabHandler

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
    ("jobs", JobsHandler),
    (r"jobs/(?P<job_id>[^/]+)", JobHandler),
]
