"""URL routes of the kitlab server extension: every resource lives under ``<base_url>/kitlab/``."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from kitlab._version import __version__
from kitlab.apijson import to_api
from kitlab.errors import InvalidInput
from kitlab.kitfile import (
    YamlLimitError,
    check_document_limits,
    form_suggestions,
    kitfile_json_schema,
    ui_schema,
)
from kitlab.modelkit.diff import diff_kits, diff_workspace
from kitlab.modelkit.inspect import inspect_kit
from kitlab.modelkit.pack import plan_pack
from kitlab.modelkit.reference import Reference, parse_reference
from kitlab.modelkit.registry import Remote, RetryPolicy, known_hosts, login, logout, status
from kitlab.modelkit.remotekits import MAX_PAGE, delete_tag, inspect_remote, list_repositories, list_tags
from kitlab.modelkit.store import KitSummary
from kitlab.scan.types import ScanLimits
from kitlab.scan.workspace import scan_workspace
from kitlab.server import documents
from kitlab.server.handlers import KitlabHandler
from kitlab.server.jobs import ACTIVE_STATES
from kitlab.server.paths import resolve_in_root, to_api_path
from kitlab.trust import default_key_dir, generate_key_pair, keyring, load_public_key
from kitlab.trust.summary import key_fingerprint
from kitlab.trust.verdict import VerdictCache, kit_verdict

API_VERSION = 1
# A person is waiting on these requests: fail within a few seconds rather than retry like a transfer.
# One retry budget per request: two tries, at most 5 s from the first failure.
INTERACTIVE_RETRIES = RetryPolicy(attempts=2, backoff=0.2, max_backoff=1, max_retry_after=2, max_wait=5)
INTERACTIVE_TIMEOUT = (5.0, 15.0)  # connect, read: a silent registry fails the request in 15 s, not 60
# The plan lists at most this many files per layer; the count is always exact.
PLAN_FILES_SHOWN = 200
# Registry and repository of at most 255 characters (the distribution spec's name limit), a tag of 128
# or a digest: longer is no reference, and would name files the store cannot create.
MAX_REFERENCE_CHARS = 512
# A page of the jobs list: the default is the default job_history, so one read shows every kept job.
JOBS_PAGE_DEFAULT, JOBS_PAGE_MAX = 100, 500
# A page of a registry's repositories or tags: what a person scrolls through before asking for more.
REMOTE_PAGE_DEFAULT = 100


def checked_reference(value: str, field: str) -> str:
    if len(value) > MAX_REFERENCE_CHARS:
        raise InvalidInput(
            f"{field}: {len(value):,} characters; a reference has at most {MAX_REFERENCE_CHARS}"
        )
    return value


def checked_kitfile_input(body: dict[str, Any]) -> dict[str, Any]:
    """Refuse raw YAML (``text``, or the ``original`` a form edit is laid into) past the parser's size
    and nesting limits with 400 (not a Kitfile problem)."""
    for text in (body.get("text"), body.get("original")):
        if not isinstance(text, str):
            continue
        try:
            check_document_limits(text)
        except YamlLimitError as exc:
            where = f" (line {exc.line}, column {exc.column})" if exc.line else ""
            raise InvalidInput(f"text: {exc.message}{where}") from None
    return body


# Response models: dataclasses, serialised by kitlab/apijson.py's to_api (camelCase keys).
@dataclass
class VersionInfo:
    version: str
    api_version: int
    kitops_home: str
    store: str


@dataclass
class PlanLayer:
    kind: str
    path: str
    size: int
    file_count: int
    files: list[str]
    unchanged: bool


@dataclass
class PlanWarning:
    path: str
    message: str
    severity: str = "warning"


@dataclass
class PlanSecret:
    """A file a layer would carry that looks like a secret (never its contents)."""

    path: str
    field: str
    kinds: list[str]


@dataclass
class PackPlanView:
    folder: str  # contents path of the folder planned: where "Write .kitignore" writes
    layers: list[PlanLayer]
    warnings: list[PlanWarning]
    total_size: int
    unchanged_size: int
    secrets: list[PlanSecret]  # a pack job refuses these unless its params say allowSecrets
    suggested_kitignore: str  # the .kitignore that would leave them out ("" when there are none)


@dataclass
class KitSummaryView:
    repository: str
    references: list[str]
    display: str
    tags: list[str]
    digest: str
    name: str
    author: str
    size: int
    created: str | None
    stored_at: float | None
    error: str  # a kit that cannot be read is listed with why (docs/hardening.md)


@dataclass
class RegistryStatus:
    host: str
    logged_in: bool
    username: str | None


class VersionHandler(KitlabHandler):
    """Handshake: the frontend compares its own version with the server's and warns on a mismatch."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        home = self.kitlab.home()
        self.write_json(VersionInfo(__version__, API_VERSION, str(home), str(home / "storage")))


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
        body = checked_kitfile_input(await self.json_body())
        self.write_json(self._document(folder, await self.run_blocking(documents.save, folder, body)))


class KitfileValidateHandler(KitlabHandler):
    """Live validation for the form and the YAML tab: problems by field path, nothing written."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        folder = self.folder_argument()
        body = checked_kitfile_input(await self.json_body())
        self.write_json(await self.run_blocking(documents.validate, folder, body))


class ScanHandler(KitlabHandler):
    """Scan a folder and draft a Kitfile, with a reason per entry and a hygiene report."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        folder = self.folder_argument()
        limits = ScanLimits(max_files=self.kitlab.scan_max_files, max_seconds=self.kitlab.scan_max_seconds)
        report = await self.run_blocking(functools.partial(scan_workspace, folder, self.root, limits=limits))
        self.write_json(report.to_dict())


class RemoteBaseHandler(KitlabHandler):
    """A registry request a person waits on: the reference from the query, checked against
    ``allowed_registries``, and the network options (``plainHttp``, ``tlsVerify``) with short retries."""

    def reference_argument(self, name: str, example: str) -> Reference:
        value = checked_reference(self.text_argument(name), name)
        if not value:
            raise InvalidInput(f"the {name} parameter is required, e.g. {example}")
        ref = parse_reference(value)
        self.kitlab.check_registry_allowed(ref.registry)
        return ref

    def interactive_remote(self) -> Remote:
        return self.kitlab.remote(
            plain_http=self.text_argument("plainHttp", "false") == "true",
            tls_verify=self.text_argument("tlsVerify", "true") != "false",
            retries=INTERACTIVE_RETRIES,
            timeout=INTERACTIVE_TIMEOUT,
        )

    def page_arguments(self) -> tuple[int, str]:
        """``n`` (names a page, at most ``MAX_PAGE``) and ``last`` (the name the page starts after)."""
        limit = _page_argument(self, "n", REMOTE_PAGE_DEFAULT, 1, MAX_PAGE)
        return limit, checked_reference(self.text_argument("last"), "last")


class RemoteCatalogHandler(RemoteBaseHandler):
    """A page of a registry's repositories (``?registry=host&n=&last=``), where it offers a catalog."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        registry = self.text_argument("registry")
        if not registry or len(registry) > 255:
            raise InvalidInput("the registry parameter is required (host[:port], at most 255 characters)")
        self.kitlab.check_registry_allowed(registry)
        limit, last = self.page_arguments()
        page = await self.run_blocking(
            functools.partial(
                list_repositories, registry, remote=self.interactive_remote(), limit=limit, last=last
            )
        )
        self.write_json({"registry": registry, "repositories": page.items, "next": page.next})


class RemoteTagsHandler(RemoteBaseHandler):
    """A page of a repository's tags (``?repository=host/name&n=&last=``)."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        ref = self.reference_argument("repository", "ghcr.io/org/model")
        limit, last = self.page_arguments()
        page = await self.run_blocking(
            functools.partial(list_tags, ref, remote=self.interactive_remote(), limit=limit, last=last)
        )
        self.write_json({"repository": ref.repo_key, "tags": page.items, "next": page.next})


class RemoteKitHandler(RemoteBaseHandler):
    """A kit on a registry (``?reference=``): GET inspects it without pulling (the shape of GET
    ``kits/{ref}``), DELETE removes the tag where the registry allows it."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        ref = self.reference_argument("reference", "ghcr.io/org/model:v1")
        detail = await self.run_blocking(
            functools.partial(inspect_remote, ref, remote=self.interactive_remote())
        )
        self.write_json({"reference": self.text_argument("reference"), **detail})

    @tornado.web.authenticated
    @authorized
    async def delete(self) -> None:
        ref = self.reference_argument("reference", "ghcr.io/org/model:v1")
        await self.run_blocking(functools.partial(delete_tag, ref, remote=self.interactive_remote()))
        self.set_status(204)
        self.finish()


class DiffHandler(RemoteBaseHandler):
    """Two kits compared (``?a=&b=``, each local or on a registry as in ``kitlab diff``), or kit ``a``
    with what packing the folder ``path`` now would write (``?a=&path=``): layers added, removed or
    changed and Kitfile fields; only manifests, configs and the plan are read."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        a, b = (checked_reference(self.text_argument(name), name) for name in ("a", "b"))
        if not a or bool(b) == bool(self.text_argument("path")):
            raise InvalidInput("give a and either b (a kit) or path (a folder), e.g. a=model:v1&b=model:v2")
        store, remote = self.store(), self.interactive_remote()
        if b:
            compare = functools.partial(diff_kits, a, b, store=store, remote=remote)
        else:
            folder = self.folder_argument()
            compare = functools.partial(
                diff_workspace, a, folder, store=store, remote=remote, name=to_api_path(self.root, folder)
            )
        result = await self.run_blocking(compare)
        self.write_json(result.to_api())


class PlanHandler(KitlabHandler):
    """What packing the folder would write, layer by layer; nothing is written or read twice."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        folder = self.folder_argument()
        result = await self.run_blocking(functools.partial(plan_pack, folder, store=self.store()))
        layers = [
            PlanLayer(
                kind=layer.kind,
                path=layer.path,
                size=layer.size,
                file_count=len(layer.files),
                files=layer.files[:PLAN_FILES_SHOWN],
                unchanged=layer.unchanged,
            )
            for layer in result.planned
        ]
        secrets = [
            PlanWarning(
                path=s.path,
                message=f"{s.describe()}: packing stops unless secrets are allowed; .kitignore leaves it out",
            )
            for s in result.secrets
        ]
        self.write_json(
            PackPlanView(
                folder=to_api_path(self.root, folder),
                layers=layers,
                warnings=[*secrets, *(PlanWarning(path="", message=w) for w in result.warnings)],
                total_size=sum(layer.size for layer in result.planned),
                unchanged_size=sum(layer.size for layer in result.planned if layer.unchanged),
                secrets=[PlanSecret(s.path, s.field, list(s.kinds)) for s in result.secrets],
                suggested_kitignore=await self.run_blocking(
                    documents.kitignore_for_secrets, folder, [s.path for s in result.secrets]
                ),
            )
        )


class KitignoreHandler(KitlabHandler):
    """POST ``{"paths": [...]}`` adds those files to the folder's ``.kitignore`` ("Write .kitignore"
    for the secrets a plan found), keeping every line already there."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        folder = self.folder_argument()
        paths = (await self.json_body()).get("paths")
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise InvalidInput('expected {"paths": ["<file to leave out>", ...]}')
        result = await self.run_blocking(documents.write_kitignore, folder, paths)
        result["path"] = to_api_path(self.root, folder / result.pop("name"))
        self.write_json(result)


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
        checked_reference(ref, "reference")
        detail = await self.run_blocking(inspect_kit, self.store(), ref)
        self.write_json({"reference": ref, **detail})

    @tornado.web.authenticated
    @authorized
    async def put(self, ref: str) -> None:
        checked_reference(ref, "reference")
        source = (await self.json_body()).get("source")
        if not isinstance(source, str) or not source:
            raise InvalidInput('expected {"source": "<reference of the kit to tag>"}')
        checked_reference(source, "source")
        store = self.store()
        await self.run_blocking(store.tag, source, ref)
        kits = await self.run_blocking(store.list_kits)
        target = parse_reference(ref)
        match = next(k for k in kits if k.repo_key == target.repo_key and target.tag in k.tags)
        self.write_json(kit_summary(match))

    @tornado.web.authenticated
    @authorized
    async def delete(self, ref: str) -> None:
        checked_reference(ref, "reference")
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
        body = await self.json_body()
        host, username, password = (body.get(k) for k in ("host", "username", "password"))
        if not (isinstance(host, str) and isinstance(username, str) and isinstance(password, str)) or not all(
            (host, username, password)
        ):
            raise InvalidInput("host, username and password are required")
        for field, value, most in (
            ("host", host, 255),
            ("username", username, 1024),
            ("password", password, 8192),
        ):
            if len(value) > most:
                raise InvalidInput(f"{field}: longer than {most} characters")
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
                    timeout=INTERACTIVE_TIMEOUT,
                ),
                kitops_home=self.kitlab.home(),
            )
        )
        self.write_json(await self.run_blocking(registry_status, host, self.kitlab.home()))


class RegistryHandler(KitlabHandler):
    @tornado.web.authenticated
    @authorized
    async def delete(self, host: str) -> None:
        if len(host) > 255:
            raise InvalidInput("host: longer than 255 characters")
        await self.run_blocking(functools.partial(logout, host, kitops_home=self.kitlab.home()))
        self.set_status(204)
        self.finish()


def kit_summary(kit: KitSummary) -> KitSummaryView:
    # References that parse back to this kit: unqualified names mean localhost, untagged kits by digest.
    name = kit.repo_key.removeprefix("localhost/") if kit.repo_key != "localhost/_" else ""
    references = [f"{name}:{tag}" for tag in kit.tags] if name else []
    return KitSummaryView(
        repository=kit.repo_key,
        references=references or [f"{name}@{kit.digest}" if name else kit.digest],
        display=kit.repo,
        tags=kit.tags,
        digest=kit.digest,
        name=kit.model_name,
        author=kit.author,
        size=kit.size,
        created=kit.created,
        stored_at=kit.stored_at,
        error=kit.error,
    )


def registry_status(host: str, home: Path) -> RegistryStatus:
    state = status(host, kitops_home=home)
    username = state["username"]
    return RegistryStatus(
        host=host,
        logged_in=bool(state["logged_in"]),
        username=username if isinstance(username, str) else None,
    )


def _page_argument(handler: KitlabHandler, name: str, default: int, least: int, most: int) -> int:
    text = handler.text_argument(name, str(default))
    if not text.isdigit() or len(text) > 6 or not least <= int(text) <= most:
        raise InvalidInput(f"{name}: expected a whole number from {least} to {most}")
    return int(text)


class JobsHandler(KitlabHandler):
    """POST creates a job (202: it runs in the background); GET lists jobs a page at a time, newest
    first, serialised on a thread so a long list never holds up the event loop."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        offset = _page_argument(self, "offset", 0, 0, 100_000)
        limit = _page_argument(self, "limit", JOBS_PAGE_DEFAULT, 1, JOBS_PAGE_MAX)
        jobs, total = self.jobs.page(offset, limit)

        def serialise() -> str:
            return json.dumps(to_api({"jobs": [job.view() for job in jobs], "total": total}))

        text = await self.run_blocking(serialise)
        self.set_header("Content-Type", "application/json")
        self.finish(text)

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = await self.json_body()
        kind = body.get("kind")
        params = body.get("params", {})
        if not isinstance(kind, str) or not isinstance(params, dict):
            raise InvalidInput('expected {"kind": string, "params": object}')
        if "keyPassword" in params or "signingKey" in params:
            await self.unlock_signing_key(kind, params)
        # Checking the params reads the file system (folders, notebooks): on a thread, like every read.
        job = await self.run_blocking(self.jobs.create, kind, params)
        self.set_header("Location", url_path_join(self.base_url, "kitlab", "jobs", job.id))
        self.write_json(job.view(), status=202)

    async def unlock_signing_key(self, kind: str, params: dict[str, Any]) -> None:
        """Decrypt the user's key named by ``signingKey`` with ``keyPassword`` now (a wrong password fails
        this request) and replace the password by a single-use token: the job record never holds it."""
        password, name = params.pop("keyPassword", None), params.get("signingKey")
        if kind not in ("push", "pack-push") or params.get("sign") is not True:
            raise InvalidInput("signingKey and keyPassword go with a push or pack-push job with sign: true")
        if not isinstance(password, str) or not isinstance(name, str):
            raise InvalidInput(
                "params.signingKey and params.keyPassword: both are needed to sign with your key"
            )
        unlocked = self.kitlab.unlocked_keys()
        params["unlockedKey"] = await self.run_blocking(unlocked.unlock, self.kitlab.home(), name, password)


class JobHandler(KitlabHandler):
    """GET reads one job. DELETE cancels a queued or running job (202, as POST .../cancel does) and
    forgets one that has ended (204): the history is the user's to clear."""

    @tornado.web.authenticated
    @authorized
    def get(self, job_id: str) -> None:
        self.write_json(self.jobs.get(job_id).view())

    @tornado.web.authenticated
    @authorized
    def delete(self, job_id: str) -> None:
        if self.jobs.get(job_id).state in ACTIVE_STATES:
            self.write_json(self.jobs.cancel(job_id).view(), status=202)
            return
        self.jobs.remove(job_id)
        self.set_status(204)
        self.finish()


class JobCancelHandler(KitlabHandler):
    """POST asks a job to stop (it reaches 'cancelled' within about a second)."""

    @tornado.web.authenticated
    @authorized
    def post(self, job_id: str) -> None:
        self.write_json(self.jobs.cancel(job_id).view(), status=202)


class KeysHandler(KitlabHandler):
    """Signing key pairs and trusted public keys (public parts only; docs/trust.md, "In JupyterLab").
    POST generates a password-protected pair in kit's home (``{"name", "password"}``)."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        home = self.kitlab.home()
        signing = await self.run_blocking(keyring.signing_keys, home)
        trusted = await self.run_blocking(keyring.trusted_keys, home)
        admin = await self.run_blocking(admin_keys, self.kitlab.trusted_keys)
        self.write_json({"signingKeys": signing, "trustedKeys": trusted, "adminKeys": admin})

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = await self.json_body()
        name = keyring.checked_name(body.get("name"))
        password = keyring.password_bytes(body.get("password"), "password")
        directory = default_key_dir(self.kitlab.home())
        pair = await self.run_blocking(functools.partial(generate_key_pair, directory, password, name=name))
        self.write_json(await self.run_blocking(keyring.key_info, pair.public_path), status=201)


class KeyImportHandler(KitlabHandler):
    """Copy a cosign key pair from the workspace into kit's home (``{"name", "path"}``: the path of
    ``X.key``, with ``X.pub`` beside it). The private key is never sent back."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = await self.json_body()
        path = body.get("path")
        if not isinstance(path, str) or not path:
            raise InvalidInput("path: the key file's path in the workspace (cosign.key)")
        source = resolve_in_root(self.root, path)
        name = body.get("name") or source.stem
        info = await self.run_blocking(keyring.import_signing_key, self.kitlab.home(), source, name)
        self.write_json(info, status=201)


class TrustedKeysHandler(KitlabHandler):
    """Add a trusted public key pasted as PEM (``{"name", "publicKey"}``)."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = await self.json_body()
        info = await self.run_blocking(
            keyring.add_trusted_key, self.kitlab.home(), body.get("name"), body.get("publicKey")
        )
        self.write_json(info, status=201)


class TrustedKeyHandler(KitlabHandler):
    @tornado.web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        await self.run_blocking(keyring.remove_trusted_key, self.kitlab.home(), name)
        self.set_status(204)
        self.finish()


def admin_keys(paths: list[str]) -> list[keyring.KeyInfo]:
    return [keyring.key_info(Path(path)) for path in paths]


def verdict_keys(kitlab: Any) -> list[tuple[str, Any]]:
    """The keys a verdict accepts: the administrator's trusted_keys, the user's trusted keys and the
    public halves of the user's own signing keys, each with a label saying which it is."""
    home = kitlab.home()
    labelled = [(Path(p).name, Path(p)) for p in kitlab.trusted_keys]
    labelled += [
        (f"{k.name} (trusted)", keyring.trusted_dir(home) / k.file) for k in keyring.trusted_keys(home)
    ]
    labelled += [(f"{k.name} (yours)", default_key_dir(home) / k.file) for k in keyring.signing_keys(home)]
    return [(label, load_public_key(path)) for label, path in labelled]


class TrustHandler(RemoteBaseHandler):
    """A kit's verdict (``?reference=registry/repo@sha256:…``): verified by which key, unsigned or
    invalid, and the SBOM and provenance that key signed. Cached per digest and keys; ``refresh=true``
    checks again."""

    cache = VerdictCache()

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        ref = self.reference_argument("reference", "ghcr.io/org/model@sha256:…")
        if not ref.digest:
            raise InvalidInput("reference: name the kit by digest (registry/repository@sha256:…)")
        keys = await self.run_blocking(verdict_keys, self.kitlab)
        if not keys:
            raise InvalidInput("no keys to verify with: add a trusted public key or generate a key pair")
        cache_key = (str(ref), *sorted(key_fingerprint(k) for _, k in keys))
        verdict = None if self.text_argument("refresh") == "true" else self.cache.get(cache_key)
        if verdict is None:
            verdict = await self.run_blocking(
                functools.partial(kit_verdict, ref, keys, remote=self.interactive_remote())
            )
            self.cache.put(cache_key, verdict)
        self.write_json(verdict)


# (path relative to /kitlab/, handler). The auth test walks this list, so every route must be here.
ROUTES: list[tuple[str, type[KitlabHandler]]] = [
    ("version", VersionHandler),
    ("schema", SchemaHandler),
    ("kitfile", KitfileHandler),
    ("kitfile/validate", KitfileValidateHandler),
    ("scan", ScanHandler),
    ("remote/catalog", RemoteCatalogHandler),
    ("remote/tags", RemoteTagsHandler),
    ("remote/kit", RemoteKitHandler),
    ("plan", PlanHandler),
    ("diff", DiffHandler),
    ("kitignore", KitignoreHandler),
    ("kits", KitsHandler),
    (r"kits/(?P<ref>.+)", KitHandler),
    ("registries", RegistriesHandler),
    (r"registries/(?P<host>[^/]+)", RegistryHandler),
    ("jobs", JobsHandler),
    (r"jobs/(?P<job_id>[^/]+)", JobHandler),
    (r"jobs/(?P<job_id>[^/]+)/cancel", JobCancelHandler),
    ("keys", KeysHandler),
    ("keys/import", KeyImportHandler),
    ("keys/trusted", TrustedKeysHandler),
    (r"keys/trusted/(?P<name>[^/]+)", TrustedKeyHandler),
    ("trust", TrustHandler),
]
