"""Browsing a registry without pulling: its repositories (where it offers a catalog), a page of tags,
one kit's manifest and Kitfile, a repository's kits as ``kit list`` shows them, and removing a tag
(docs/registries.md, "Browsing a registry").

Every list is one bounded page (``limit`` names after ``last``), so a registry of a million tags costs
a person browsing one request per page, never the whole list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kitlab.errors import Conflict, InvalidInput, NotAllowed
from kitlab.kitfile import from_config_json
from kitlab.kitfile.boundedjson import loads_bounded
from kitlab.kitfile.config import MAX_CONFIG_BYTES
from kitlab.kitfile.model import Kitfile
from kitlab.modelkit.manifest import FORMAT_KIT, MAX_MANIFEST_BYTES, NotAModelKit
from kitlab.modelkit.mediatypes import CLI_VERSION_ANNOTATION, KITFILE_ANNOTATION
from kitlab.modelkit.pull import RemoteKit, get_remote_manifest
from kitlab.modelkit.reference import Reference
from kitlab.modelkit.registry import RegistryClient, Remote
from kitlab.modelkit.registry.errors import TagDeletionUnsupported
from kitlab.modelkit.store import KitSummary
from kitlab.modelkit.transfer import as_reference, require_remote

# At most this many names a page; the registry may send fewer.
MAX_PAGE = 1000
# A registry that deletes by digest only: the tags compared with the one to delete, at most.
MAX_SHARED_TAGS_CHECKED = 100


@dataclass
class Page:
    """Names in the registry's order; ``next`` is the ``last`` that asks for the following page."""

    items: list[str]
    next: str | None


def _bounded(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


def list_repositories(registry: str, *, remote: Remote, limit: int = 100, last: str = "") -> Page:
    """A page of the registry's repositories (its ``_catalog``)."""
    require_remote(Reference(registry=registry, repository="_"), "list repositories of")
    with RegistryClient(registry, "", remote) as client:
        return Page(*client.catalog_page(limit=_bounded(limit), last=last))


def list_tags(repository: Reference | str, *, remote: Remote, limit: int = 100, last: str = "") -> Page:
    """A page of a repository's tags (a tag or digest in the reference is ignored)."""
    ref = as_reference(repository)
    require_remote(ref, "list tags of")
    with remote.client(ref) as client:
        return Page(*client.tags_page(limit=_bounded(limit), last=last))


def remote_kitfile_json(client: RegistryClient, kit: RemoteKit) -> bytes | None:
    """A remote kit's Kitfile JSON, read without pulling layers as ``LocalStore.get_config`` reads a
    stored one: the config blob of a classic kit, the Kitfile annotation of a ModelPack (None when it
    carries none)."""
    if kit.manifest.format == FORMAT_KIT:
        config = kit.manifest.config
        return client.get_small_blob(config.digest, config.size, MAX_CONFIG_BYTES)
    annotation = kit.manifest.annotations.get(KITFILE_ANNOTATION)
    return annotation.encode("utf-8") if annotation else None


def inspect_remote(reference: Reference | str, *, remote: Remote) -> dict[str, Any]:
    """What ``inspect_kit`` says of a stored kit, read from the registry: the manifest and its Kitfile
    (``remote_kitfile_json``; None when it carries none)."""
    ref = as_reference(reference)
    require_remote(ref, "inspect")
    with remote.client(ref) as client:
        kit = get_remote_manifest(client, ref)
        data = remote_kitfile_json(client, kit)
    manifest = loads_bounded(kit.manifest_bytes, what="manifest", max_bytes=MAX_MANIFEST_BYTES)
    annotations = manifest.get("annotations") or {}
    kitfile = None if data is None else loads_bounded(data, what="Kitfile", max_bytes=MAX_CONFIG_BYTES)
    return {
        "digest": kit.digest,
        "cliVersion": annotations.get(CLI_VERSION_ANNOTATION, "unknown"),
        "kitfile": kitfile,
        "manifest": manifest,
    }


def list_remote_kits(repository: Reference | str, *, remote: Remote) -> list[KitSummary]:
    """``kit list REPOSITORY``: one row per tag of the repository (or only the reference's tag or
    digest), in the registry's order, read from manifests and Kitfiles without pulling layers. Tags
    that are not ModelKits are left out, as kit leaves them out."""
    ref = as_reference(repository)
    require_remote(ref, "list")
    rows: list[KitSummary] = []
    with remote.client(ref) as client:
        targets = [ref] if ref.reference else [ref.with_reference(tag=t) for t in client.list_tags()]
        for one in targets:
            try:
                kit = get_remote_manifest(client, one)
            except NotAModelKit:
                continue
            data = remote_kitfile_json(client, kit)
            kitfile: Kitfile | None = None if data is None else from_config_json(data)
            rows.append(
                KitSummary.of_kit(
                    ref.repository, ref.repo_key, [one.reference], kit.digest, kit.manifest, kitfile
                )
            )
    return rows


def delete_tag(reference: Reference | str, *, remote: Remote) -> None:
    """Remove the reference's tag from its registry; the kit's content stays under its other tags.

    A registry that deletes only by digest (distribution 2.8) removes the tag by deleting the kit, and
    only when no other tag names it (of at most ``MAX_SHARED_TAGS_CHECKED`` tags): deleting by digest
    takes every tag of the kit with it.
    """
    ref = as_reference(reference)
    require_remote(ref, "delete")
    if not ref.tag or ref.digest or ref.extra_tags:
        raise InvalidInput(f"{ref.display()}: name one tag to delete (repository:tag)")
    with remote.client(ref) as client:
        try:
            client.delete_tag(ref.tag)
            return
        except TagDeletionUnsupported:
            pass
        digest = client.get_manifest(ref.tag)[2]
        tags, more = client.tags_page(limit=MAX_SHARED_TAGS_CHECKED)
        if more:
            raise NotAllowed(
                f"{ref.registry} deletes whole kits only, and {ref.repo_key} has more than "
                f"{MAX_SHARED_TAGS_CHECKED} tags to check for this kit; delete it with the registry's tools"
            )
        shared = [tag for tag in tags if tag != ref.tag and client.get_manifest(tag)[2] == digest]
        if shared:
            raise Conflict(
                f"{ref.registry} deletes whole kits only, and {', '.join(shared[:5])} "
                f"{'name' if len(shared) > 1 else 'names'} the same kit as {ref.tag}: deleting it would "
                "remove those tags too"
            )
        client.delete_manifest(digest)
