"""URL routes of the kitlab server extension: every resource lives under ``<base_url>/kitlab/``."""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from kitlab._version import __version__
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


# (path relative to /kitlab/, handler). The auth test walks this list, so every route must be here.
ROUTES: list[tuple[str, type[KitlabHandler]]] = [
    ("version", VersionHandler),
]


def setup_routes(web_app: Any) -> None:
    base_url = web_app.settings["base_url"]
    handlers = [(url_path_join(base_url, "kitlab", path), handler) for path, handler in ROUTES]
    web_app.add_handlers(".*$", handlers)
