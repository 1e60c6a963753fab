"""Job kinds: each turns a job's JSON params into library calls, with paths confined to the root.

Runners execute on worker threads (see ``kitlab.server.jobs``); they receive a ``Reporter`` for progress and
cancellation and return a JSON-serialisable result. Param errors raise ``InvalidInput`` so the job
fails with a message the user can act on.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nbformat

from kitlab.apijson import to_api
from kitlab.atomicfile import write_atomically
from kitlab.errors import InvalidInput, NotAllowed, NotFound, PathOutsideRoot
from kitlab.loaders.notebook import write_notebook
from kitlab.loaders.pickle_safety import PickleReport, scan_planned_pickles, scan_tree
from kitlab.modelkit.pack import pack, plan_pack
from kitlab.modelkit.packpush import pack_and_push
from kitlab.modelkit.pull import PullResult, pull
from kitlab.modelkit.push import push
from kitlab.modelkit.reference import parse_reference
from kitlab.modelkit.registry import Remote
from kitlab.modelkit.secrets import find_kit_secrets, refuse_secrets
from kitlab.modelkit.store import LocalStore
from kitlab.modelkit.unpack import unpack
from kitlab.scan.modelfacts import model_facts
from kitlab.server.jobs import JobRunner, Reporter
from kitlab.server.paths import resolve_in_root, to_api_path
from kitlab.server.settings import Kitlab
from kitlab.trust import SignatureError, VerifyResult, load_public_key, sign
from kitlab.trust.attest import (
    PREDICATE_CYCLONEDX,
    PREDICATE_SLSA_PROVENANCE_V1,
    attest,
    verified_predicates,
)
from kitlab.trust.provenance import provenance
from kitlab.trust.pull import pull_verified, verify_stored
from kitlab.trust.sbom import kit_sbom, workspace_facts
from kitlab.trust.summary import key_fingerprint, trust_note

COMPRESSIONS = ("none", "gzip", "gzip-fastest", "zstd")


def text_param(params: dict[str, Any], key: str, *, default: str | None = None) -> str:
    value = params.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise InvalidInput(f"job parameter {key!r} must be a non-empty string")
    return value


def bool_param(params: dict[str, Any], key: str, default: bool = False) -> bool:
    value = params.get(key, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"job parameter {key!r} must be true or false")
    return value


def safety_summary(reports: list[PickleReport], root: Path) -> list[dict[str, Any]]:
    """The pickle findings worth showing: dangerous and unknown files, with the globals that decided."""
    return [
        {
            "path": to_api_path(root, Path(r.path)),
            "verdict": r.verdict,
            "globals": [f"{g.module}.{g.name}" for g in r.globals if g.classification != "expected"],
        }
        for r in reports
        if r.verdict in ("dangerous", "unknown")
    ]


def safety_warnings(findings: list[dict[str, Any]]) -> list[str]:
    """The job warnings for pickles that are not proven safe (pack and pack & push show them)."""
    return [
        f"{f['path']} is a {f['verdict']} pickle ({', '.join(f['globals']) or 'not fully analysable'}): "
        "whoever loads it runs what it imports"
        for f in findings
    ]


def record_lineage(notebook: Path, reference: str, digest: str) -> None:
    """Append the pushed kit to the notebook's metadata, so the notebook knows where it went."""
    nb = nbformat.read(notebook, as_version=4)
    lineage = nb.metadata.setdefault("kitlab", {}).setdefault("pushed", [])
    lineage.append(
        {"reference": reference, "digest": digest, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    )
    write_atomically(notebook, nbformat.writes(nb))


class Operations:
    """The job kinds of one server: its root, its store, its settings."""

    def __init__(self, settings: Kitlab, root: Path) -> None:
        self.settings = settings
        self.root = root

    def store(self) -> LocalStore:
        return LocalStore(self.settings.home())

    def runners(self) -> dict[str, JobRunner]:
        return {
            "pack": self.run_pack,
            "push": self.run_push,
            "pack-push": self.run_pack_push,
            "pull": self.run_pull,
            "unpack": self.run_unpack,
        }

    # --------------------------------------------------------------------------------- parameters
    def compression(self, params: dict[str, Any]) -> str:
        value = text_param(params, "compression", default=self.settings.default_compression)
        if value not in COMPRESSIONS:
            raise InvalidInput(f"compression must be one of {', '.join(COMPRESSIONS)}")
        return value

    def remote(self, params: dict[str, Any], reference: str) -> Remote:
        """The job's ``Remote``; the reference's registry is checked now (before any work), and every
        other registry the job reaches (a parent kit's) when its client is made."""
        self.settings.check_registry_allowed(parse_reference(reference).registry)
        return self.settings.remote(
            plain_http=bool_param(params, "plainHttp"), tls_verify=bool_param(params, "tlsVerify", True)
        )

    def folder(self, params: dict[str, Any]) -> Path:
        return resolve_in_root(self.root, text_param(params, "path", default=""))

    def warn_unsafe_pickles(self, folder: Path, reporter: Reporter) -> list[dict[str, Any]]:
        """The pickle scan that guards pulled kits runs before packing, on exactly the files the kit
        will hold, and warns (packing goes on: the user may be shipping their own trusted pickles)."""
        reporter.stage("safety scan")
        reports = scan_planned_pickles(plan_pack(folder, store=self.store()).layers)
        findings = safety_summary(reports, self.root)
        for finding in findings:
            names = ", ".join(finding["globals"]) or "unresolved imports"
            reporter.log(f"warning: {finding['path']} is a {finding['verdict']} pickle ({names})")
        return findings

    def model_pack(self, params: dict[str, Any], folder: Path) -> dict[str, Any]:
        """``useModelPack``: pack a CNCF ModelPack whose config carries what the scanner reads from the
        model's files (``kitlab/scan/modelfacts.py``); the keyword arguments of ``pack``."""
        if not bool_param(params, "useModelPack"):
            return {}
        return {"use_model_pack": True, "model_facts": model_facts(folder)}

    def refuse_secrets_in_kit(self, params: dict[str, Any], reference: str, reporter: Reporter) -> None:
        """A stored kit is checked for secrets before it is pushed (one packed by kit, or with secrets
        allowed, was not checked then): the push stops unless ``allowSecrets`` (docs/hardening.md)."""
        reporter.stage("secret check")
        store = self.store()
        found = find_kit_secrets(store, store.get_manifest(store.resolve(reference)))
        for warning in refuse_secrets(found, allow=bool_param(params, "allowSecrets"), action="pushed"):
            reporter.log(f"warning: {warning}")

    def after_push(self, params: dict[str, Any], reference: str, digest: str) -> str | None:
        notebook = params.get("notebook")
        if not notebook:
            return None
        path = resolve_in_root(self.root, text_param(params, "notebook"))
        record_lineage(path, reference, digest)
        return to_api_path(self.root, path)

    def signing_key(self, params: dict[str, Any]) -> Any:
        """With ``sign: true``, the server's key, loaded before anything is pushed: a missing key or
        password fails the job while the registry is still untouched."""
        if not bool_param(params, "sign"):
            return None
        token = params.get("unlockedKey")
        if not token:
            return self.settings.signing_private_key()
        key = self.settings.unlocked_keys().take(str(token))
        if key is None:
            raise NotAllowed(
                f"the key {params.get('signingKey')!r} was unlocked for another run of this job (or before "
                "the server restarted); start the push again with its password"
            )
        return key

    def sign_pushed(
        self,
        key: Any,
        reference: str,
        digest: str,
        remote: Remote,
        reporter: Reporter,
        folder: Path | None = None,
    ) -> dict[str, Any] | None:
        """Sign exactly the pushed digest with the server's key, and attach the signed SBOM and, when
        the kit was packed from ``folder``, the provenance of that workspace (docs/trust.md)."""
        if key is None:
            return None
        pinned = parse_reference(reference).with_reference(digest=digest)
        reporter.stage("sign")
        signed = sign(pinned, key, remote=remote)
        reporter.log(f"signed {digest}" + (f" ({signed.signature_tag})" if signed.signature_tag else ""))
        reporter.stage("attest")
        facts = workspace_facts(folder) if folder is not None else None
        sbom = kit_sbom(pinned, remote=remote, store=self.store(), facts=facts)
        attested = [attest(pinned, key, PREDICATE_CYCLONEDX, sbom, remote=remote, replace=True)]
        if folder is not None:
            predicate = provenance(folder, reference)
            attested.append(
                attest(pinned, key, PREDICATE_SLSA_PROVENANCE_V1, predicate, remote=remote, replace=True)
            )
        reporter.log("attached " + ", ".join(a.predicate_type for a in attested))
        return {
            "tag": signed.signature_tag,
            "referrer": signed.referrer,
            "attestations": [a.predicate_type for a in attested],
        }

    # ------------------------------------------------------------------------------------ runners
    def run_pack(self, params: dict[str, Any], reporter: Reporter) -> dict[str, Any]:
        folder = self.folder(params)
        reference = params.get("reference") or None
        safety = self.warn_unsafe_pickles(folder, reporter)
        reporter.stage("pack")
        result = pack(
            folder,
            tags=[text_param(params, "reference")] if reference else [],
            compression=self.compression(params),
            store=self.store(),
            progress=reporter.progress,
            cancel=reporter.cancel,
            allow_secrets=bool_param(params, "allowSecrets"),
            allow_kitlab_only_names=bool_param(params, "allowKitlabOnlyNames"),
            **self.model_pack(params, folder),
        )
        for warning in result.warnings:
            reporter.log(f"warning: {warning}")
        return {
            "reference": result.reference,
            "digest": result.manifest_digest,
            "layers": [
                {
                    "kind": lay.kind,
                    "path": lay.path,
                    "mediaType": lay.media_type,
                    "digest": lay.digest,
                    "size": lay.size,
                    "unchanged": lay.cached,
                }
                for lay in result.layers
            ],
            "warnings": [*result.warnings, *safety_warnings(safety)],
            "safety": safety,
        }

    def run_push(self, params: dict[str, Any], reporter: Reporter) -> dict[str, Any]:
        reference = text_param(params, "reference")
        destination = params.get("destination") or reference
        remote = self.remote(params, destination)
        key = self.signing_key(params)
        self.refuse_secrets_in_kit(params, reference, reporter)
        reporter.stage("push")
        result = push(
            reference,
            destination,
            store=self.store(),
            progress=reporter.progress,
            cancel=reporter.cancel,
            remote=remote,
            also_tags=params.get("tags", []),
            concurrency=self.settings.transfer_concurrency,
        )
        signature = self.sign_pushed(key, result.reference, result.digest, remote, reporter)
        return to_api(
            {
                **asdict(result),
                "notebook": self.after_push(params, result.reference, result.digest),
                "signature": signature,
            }
        )

    def run_pack_push(self, params: dict[str, Any], reporter: Reporter) -> dict[str, Any]:
        folder = self.folder(params)
        reference = text_param(params, "reference")
        remote = self.remote(params, reference)
        safety = self.warn_unsafe_pickles(folder, reporter)
        key = self.signing_key(params)
        reporter.stage("pack and push")
        result = pack_and_push(
            folder,
            reference,
            compression=self.compression(params),
            store=self.store(),
            progress=reporter.progress,
            cancel=reporter.cancel,
            remote=remote,
            allow_secrets=bool_param(params, "allowSecrets"),
            allow_kitlab_only_names=bool_param(params, "allowKitlabOnlyNames"),
            concurrency=self.settings.transfer_concurrency,
            **self.model_pack(params, folder),
        )
        signature = self.sign_pushed(key, result.reference, result.digest, remote, reporter, folder)
        notebook = self.after_push(params, result.reference, result.digest)
        pushed = asdict(result)
        warnings = [*pushed.pop("warnings", []), *safety_warnings(safety)]
        return to_api(
            {**pushed, "warnings": warnings, "safety": safety, "notebook": notebook, "signature": signature}
        )

    def pull(
        self, reference: str, remote: Remote, reporter: Reporter, *, asked: bool = False
    ) -> tuple[PullResult, VerifyResult | None]:
        """A pull, verified first when the administrator requires signatures or the job ``asked``
        (``verify: true``; docs/trust.md): an unsigned or badly signed kit fails the job before
        anything is downloaded."""
        keys = self.settings.signature_keys(asked)
        if keys is None:
            reporter.stage("pull")
            return pull(
                reference,
                store=self.store(),
                progress=reporter.progress,
                cancel=reporter.cancel,
                remote=remote,
                warn=reporter.log,
                concurrency=self.settings.transfer_concurrency,
            ), None
        reporter.stage("verify")
        result, verified = pull_verified(
            reference,
            keys,
            store=self.store(),
            progress=reporter.progress,
            cancel=reporter.cancel,
            remote=remote,
            concurrency=self.settings.transfer_concurrency,
            warn=reporter.log,
        )
        reporter.log(
            f"verified: {len(verified.signatures)} signature(s) by a trusted key cover {verified.digest}"
        )
        return result, verified

    def run_pull(self, params: dict[str, Any], reporter: Reporter) -> dict[str, Any]:
        reference = text_param(params, "reference")
        pulled, verified = self.pull(
            reference, self.remote(params, reference), reporter, asked=bool_param(params, "verify")
        )
        return to_api({**asdict(pulled), "signature": self.signature_summary(verified)})

    def signature_summary(self, verified: VerifyResult | None) -> dict[str, Any] | None:
        """What a job result says about the signature check (None: not checked): only after proof."""
        if verified is None or not verified.signatures:
            return None
        index = verified.signatures[0].key_index
        key = load_public_key(self.settings.trusted_keys[index])
        return {
            "verified": True,
            "digest": verified.digest,
            "signatures": len(verified.signatures),
            "key": Path(self.settings.trusted_keys[index]).name,
            "fingerprint": key_fingerprint(key),
        }

    def check_stored_signature(
        self, reference: str, digest: str, params: dict[str, Any], reporter: Reporter
    ) -> VerifyResult | None:
        """With ``require_signature``, a kit already in the store is unpacked only if its registry holds
        a trusted signature for exactly the stored digest, and so does each parent kit's registry for
        the parent's stored digest; a locally packed kit has none."""
        keys = self.settings.signature_keys(bool_param(params, "verify"))
        if keys is None:
            return None
        parsed = parse_reference(reference)
        if parsed.registry == "localhost":
            raise NotAllowed(
                f"{parsed.display()} was packed locally and carries no signature; this server unpacks only "
                "kits signed by a trusted key (require_signature)"
            )
        reporter.stage("verify")
        verified = verify_stored(parsed, keys, store=self.store(), remote=self.remote(params, reference))
        if verified.digest != digest:
            raise SignatureError(f"{parsed.display()} changed in the store while it was checked; try again")
        return verified

    def trust_note(self, reference: str, verified: VerifyResult | None, params: dict[str, Any]) -> str:
        """The notebook's first cell after a verified unpack: the signer and, from attestations signed
        by the same trusted key, what produced the kit (kitlab/trust/summary.py)."""
        if verified is None or not verified.signatures:
            return ""
        index = verified.signatures[0].key_index
        key = load_public_key(self.settings.trusted_keys[index])
        pinned = parse_reference(reference).with_reference(digest=verified.digest)
        predicates = verified_predicates(pinned, key, remote=self.remote(params, reference))
        label = Path(self.settings.trusted_keys[index]).name
        return trust_note(verified, key, label, predicates, checked_by="this server against its trusted keys")

    def run_unpack(self, params: dict[str, Any], reporter: Reporter) -> dict[str, Any]:
        """Unpack into a workspace folder, pulling first when the kit is not in the local store (as
        kit does), and optionally write a notebook that loads it, after a pickle safety scan."""
        reference = text_param(params, "reference")
        dest = resolve_in_root(self.root, text_param(params, "path"))
        filters = params.get("filters", [])
        if not isinstance(filters, list) or not all(isinstance(f, str) for f in filters):
            raise InvalidInput("job parameter 'filters' must be a list of kit filters, e.g. ['model']")
        store = self.store()
        try:
            digest = store.resolve(reference).digest
        except NotFound:
            if parse_reference(reference).registry == "localhost":
                raise
            pulled, verified = self.pull(
                reference, self.remote(params, reference), reporter, asked=bool_param(params, "verify")
            )
            digest = pulled.digest
        else:
            verified = self.check_stored_signature(reference, digest, params, reporter)
        reporter.stage("unpack")
        unpacked = unpack(
            reference,
            dest,
            store=store,
            filters=filters,
            overwrite=bool_param(params, "overwrite"),
            ignore_existing=bool_param(params, "ignoreExisting"),
            progress=reporter.progress,
            cancel=reporter.cancel,
            root=self.root,  # the destination is opened from the root without following links
        )
        for name in unpacked.refused:
            reporter.log(f"not written: {name} (a kit never writes into a .git folder)")
        result: dict[str, Any] = {
            "reference": reference,
            "digest": digest,
            "path": to_api_path(self.root, dest),
            "refused": unpacked.refused,
            "signature": self.signature_summary(verified),
        }
        # The scan and the notebook go by path: the folder must still be the one unpacked into,
        # not a symlink swapped in since (docs/hardening.md).
        if resolve_in_root(self.root, text_param(params, "path")) != dest:
            raise PathOutsideRoot("the destination folder was replaced during the unpack")
        reporter.stage("safety scan")
        reports = scan_tree(dest)
        result["safety"] = safety_summary(reports, self.root)
        for warning in safety_warnings(result["safety"]):
            reporter.log(f"warning: {warning}")
        if bool_param(params, "notebook"):
            note = self.trust_note(reference, verified, params)
            notebook = write_notebook(
                dest, reference=reference, digest=digest, safety=reports, trust_note=note
            )
            result["notebook"] = to_api_path(self.root, notebook)
        return result


def job_runners(settings: Kitlab, root: Path) -> dict[str, JobRunner]:
    return Operations(settings, root).runners()
