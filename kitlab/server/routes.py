"""URL routes of the kitlab server extension: every resource lives under ``<base_url>/kitlab/``."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from kitlab._version import __version__
from kitlab.errors import InvalidInput
from kitlab.kitfile import form_suggestions, kitfile_json_schema, ui_schema
from kitlab.modelkit.inspect import inspect_kit
from kitlab.modelkit.pack import pack
from kitlab.modelkit.reference import parse_reference
from kitlab.modelkit.registry import RetryPolicy, known_hosts, login, logout, status
from kitlab.modelkit.store import KitSummary
from kitlab.modelkit.transfer import remote_tags
from kitlab.scan.types import ScanLimits
from kitlab.scan.workspace import scan_workspace
from kitlab.server import documents
from kitlab.server.apijson import camel_keys
from kitlab.server.handlers import KitlabHandler
from kitlab.server.paths import to_api_path

API_VERSION = 1
# A person is waiting on these requests: fail within a few seconds rather than retry like a transfer.
# One retry budget per request: two tries, at most 5 s from the first failure.
INTERACTIVE_RETRIES = RetryPolicy(attempts=2, backoff=0.2, max_backoff=1, max_retry_after=2, max_wait=5)
# The plan lists at most this many files per layer; the count is always exact.
PLAN_FILES_SHOWN = 200


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
        self.write_json(
            {"schema": kitfile_json_schema(), "uiSchema": ui_schema(), "suggestions": form_suggestions()}
        )


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
        self.write_json(await self.run_blocking(documents.validate, folder, self.json_body()))


class ScanHandler(KitlabHandler):
    """Scan a folder and draft a Kitfile, with a reason per entry and a hygiene report."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        folder = self.folder_argument()
        limits = ScanLimits(max_files=self.kitlab.scan_max_files, max_seconds=self.kitlab.scan_max_seconds)
        report = await self.run_blocking(functools.partial(scan_workspace, folder, self.root, limits=limits))
        self.write_json(camel_keys(report.to_dict()))


class RemoteHandler(KitlabHandler):
    """Tags of a repository on a registry (``?repository=host/name``)."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        repository = self.get_query_argument("repository", "")
        if not repository:
            raise InvalidInput("the repository parameter is required, e.g. ghcr.io/org/model")
        ref = parse_reference(repository)
        self.kitlab.check_registry_allowed(ref.registry)
        remote = self.kitlab.remote(
            plain_http=self.get_query_argument("plainHttp", "false") == "true",
            tls_verify=self.get_query_argument("tlsVerify", "true") != "false",
            retries=INTERACTIVE_RETRIES,
        )
        tags = await self.run_blocking(functools.partial(remote_tags, ref, remote=remote))
        self.write_json({"repository": repository, "tags": tags})


class PlanHandler(KitlabHandler):
    """What packing the folder would write, layer by layer; nothing is written or read twice."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        folder = self.folder_argument()
        result = await self.run_blocking(functools.partial(pack, folder, store=self.store(), plan_only=True))
        layers = [
            {
                "kind": layer.kind,
                "path": layer.path,
                "size": layer.size,
                "fileCount": len(layer.files),
                "files": layer.files[:PLAN_FILES_SHOWN],
                "unchanged": layer.unchanged,
            }
            for layer in result.plan
        ]
        self.write_json(
            {
                "layers": layers,
                "warnings": [{"path": "", "message": w, "severity": "warning"} for w in result.warnings],
                "totalSize": sum(layer.size for layer in result.plan),
                "unchangedSize": sum(layer.size for layer in result.plan if layer.unchanged),
            }
        )


class KitsHandler(KitlabHandler):
    """The kits in the local store that kitlab shares with the kit CLI."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        kits = await self.run_blocking(self.store().list_kits)
        self.write_json({"kits": [kit_summary(k) for k in kits]})


class KitHandler(KitlabHandler):
    """One kit by reference: GET inspects, PUT tags (``{"source": ref}``), DELETE removes."""

    @tornado.web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        detail = await self.run_blocking(inspect_kit, self.store(), ref)
        self.write_json({"reference": ref, **detail})

    @tornado.web.authenticated
    @authorized
    async def put(self, ref: str) -> None:
        source = self.json_body().get("source")
        if not isinstance(source, str) or not source:
            raise InvalidInput('expected {"source": "<reference of the kit to tag>"}')
        store = self.store()
        await self.run_blocking(store.tag, source, ref)
        kits = await self.run_blocking(store.list_kits)
        target = parse_reference(ref)
        match = next(k for k in kits if k.repo_key == target.repo_key and target.tag in k.tags)
        self.write_json(kit_summary(match))

    @tornado.web.authenticated
    @authorized
    async def delete(self, ref: str) -> None:
        await self.run_blocking(self.store().remove, ref)
        self.set_status(204)
        self.finish()


class RegistriesHandler(KitlabHandler):
    """Stored logins (never the secrets) and login, which verifies credentials before saving them."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        home = self.kitlab.home()
        hosts = await self.run_blocking(known_hosts, home)
        statuses = [await self.run_blocking(registry_status, host, home) for host in hosts]
        self.write_json({"registries": statuses})

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        host, username, password = (body.get(k) for k in ("host", "username", "password"))
        if not all(isinstance(v, str) and v for v in (host, username, password)):
            raise InvalidInput("host, username and password are required")
        self.kitlab.check_registry_allowed(host)
        await self.run_blocking(
            functools.partial(
                login,
                host,
                username,
                password,
                remote=self.kitlab.remote(
                    plain_http=bool(body.get("plainHttp", False)),
                    tls_verify=bool(body.get("tlsVerify", True)),
                    retries=INTERACTIVE_RETRIES,
                ),
                kitops_home=self.kitlab.home(),
            )
        )
        self.write_json(await self.run_blocking(registry_status, host, self.kitlab.home()))


class RegistryHandler(KitlabHandler):
    @tornado.web.authenticated
    @authorized
    async def delete(self, host: str) -> None:
        await self.run_blocking(functools.partial(logout, host, kitops_home=self.kitlab.home()))
        self.set_status(204)
        self.finish()


def kit_summary(kit: KitSummary) -> dict[str, Any]:
    # References that parse back to this kit: unqualified names mean localhost, untagged kits by digest.
    name = kit.repo_key.removeprefix("localhost/") if kit.repo_key != "localhost/_" else ""
    references = [f"{name}:{tag}" for tag in kit.tags] if name else []
    return {
        "repository": kit.repo_key,
        "references": references or [f"{name}@{kit.digest}" if name else kit.digest],
        "display": kit.repo,
        "tags": kit.tags,
        "digest": kit.digest,
        "name": kit.model_name,
        "author": kit.author,
        "size": kit.size,
        "created": kit.created,
        "storedAt": kit.stored_at,
        "error": kit.error,  # a kit that cannot be read is listed with why (docs/hardening.md)
    }


def registry_status(host: str, home: Path) -> dict[str, Any]:
    state = status(host, kitops_home=home)
    return {"host": host, "loggedIn": state["logged_in"], "username": state["username"]}


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
    ("scan", ScanHandler),
    ("remote", RemoteHandler),
    ("plan", PlanHandler),
    ("kits", KitsHandler),
    (r"kits/(?P<ref>.+)", KitHandler),
    ("registries", RegistriesHandler),
    (r"registries/(?P<host>[^/]+)", RegistryHandler),
    ("jobs", JobsHandler),
    (r"jobs/(?P<job_id>[^/]+)", JobHandler),
]
