"""OCI distribution client for one repository: blobs (streamed both ways), manifests, tags.

Why not oras-py on the data path (measured: docs/registries.md, "Why not oras-py"): its default push holds the
whole layer in memory (``fd.read()``), pull never verifies digests, there are no timeouts, no
progress, no cross-repo mount, retries ignore 429/503 and ``Retry-After``, a dropped chunked upload
restarts blindly, and Basic-auth registries either fail (the realm is taken for a URL) or get every
body sent twice. This client, on ``requests``:

* uploads from a file object in bounded pieces: one monolithic ``PUT`` for blobs under 100 MiB or
  for hosts that need it (kit's list: ghcr.io, Google, ECR), otherwise ``PATCH`` chunks of
  ``chunk_size`` (≥ ``OCI-Chunk-Min-Length``); after a dropped chunk it asks the registry
  (``GET`` upload URL → ``Range``) how much it kept and resumes there, opening the source again at
  that offset; if the registry discarded the session (distribution 2.8 does after a partial chunk:
  "upload resumed at wrong offset") it starts a new one;
* downloads in 2 MiB pieces into ``<dest>.part``, hashing each on a helper thread while the next is
  received and written, resumes a
  ``.part`` with a ``Range`` request, renames into place only when size and digest match, and
  deletes the ``.part`` when they do not;
* reports progress as bytes arrive (``read1``: whatever the socket has, at most a piece) and honours
  cancellation at once: the transport shuts the sockets down when the token fires, so a stalled
  registry cannot hold a cancel (docs/hardening.md);
* checks what the registry announces before trusting it: a ``Content-Length`` that does not match the
  descriptor fails at once with the numbers, instead of after minutes of timeouts and retries.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import hashlib
import json
import os
import re
import stat
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import requests

from kitlab.atomicfile import WRITEBACK_WINDOW, start_writeback
from kitlab.errors import InvalidInput
from kitlab.modelkit.registry.credentials import Credential, DefaultCredentials
from kitlab.modelkit.registry.errors import (
    DigestMismatch,
    RegistryError,
    RegistryUnreachable,
    TagDeletionUnsupported,
)
from kitlab.modelkit.registry.remote import Remote
from kitlab.modelkit.registry.retry import RetryBudget
from kitlab.modelkit.registry.transport import (
    RETRYABLE_STATUS,
    TRANSFER_ERRORS,
    FileSpan,
    Transport,
    read_bounded,
    registry_error_detail,
)
from kitlab.progress import CancelToken, ProgressEvent, ProgressFn

MiB = 1 << 20
MONOLITHIC_LIMIT = 100 * MiB
DEFAULT_CHUNK_SIZE = 100 * MiB  # kit's chunk size (pkg/lib/repo/remote/upload-format.go)
PIECE = 8 * MiB  # largest unit of reads and writes
# Download pieces: up to HASH_QUEUE + 1 per blob are held (waiting to be hashed, and the one being
# received), so 5 parallel downloads hold at most 30 MiB; larger pieces measured no faster. The queue
# absorbs the helper thread being scheduled late on a busy machine.
FETCH_PIECE = 2 * MiB
HASH_QUEUE = 2
# On loopback a read brings about a whole piece; over a real link it brings what one round of packets
# held (about 256 KiB through benchmarks/linkproxy.py). Such reads are gathered until a piece holds half
# of FETCH_PIECE before it is written and handed to the hashing thread: a hand-off per read cost more
# CPU than the bytes it moved (benchmarks/README.md, issue 16). Half, so that a read never has to be cut
# short to fit a piece; and at most GATHER_READS reads, so a trickle of tiny reads cannot pile up objects.
GATHER_READS = 32
SEND_PIECE = 1 * MiB  # upload body pieces: progress and cancel checks between them
MAX_MANIFEST_BYTES = 8 * MiB
MAX_TAG_PAGES = 1000  # a registry's tag list pages: a loop of "next" links ends here
MAX_TAGS = 1_000_000
MAX_TAG_CHARS = 128  # the distribution spec's tag length
MAX_NAME_CHARS = 255  # a repository name (the distribution spec's limit); tags are shorter
MAX_LIST_PAGE_BYTES = 4 * MiB  # one page of a catalog or tag list
MAX_STALLED_CHUNKS = 3  # chunk answers in a row whose Range shows no progress

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_ACCEPT = ", ".join((OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST))

OpenFn = Callable[[int], BinaryIO]
_DIGEST_RE = re.compile(r"^(sha256|sha384|sha512):([a-f0-9]+)$")
_STREAM_ERRORS = TRANSFER_ERRORS
REPORT_EVERY = 0.2  # progress events: every SEND_PIECE bytes, or this many seconds while bytes trickle


def needs_monolithic_upload(host: str) -> bool:
    """Hosts that reject or mishandle chunked uploads (kit: upload-format.go; kitops#821 for ECR)."""
    name = host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()
    return (
        name == "ghcr.io"
        or name.endswith(".pkg.dev")
        or name.endswith("gcr.io")
        or name.endswith(".amazonaws.com")
        or name.endswith(".amazonaws.com.cn")
    )


def _parse_digest(digest: str) -> tuple[str, str]:
    m = _DIGEST_RE.match(digest)
    if not m:
        raise InvalidInput(f"not a supported digest: {digest!r}")
    return m.group(1), m.group(2)


def _with_query(url: str, **params: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _range_end(value: str | None) -> int | None:
    """``Range: 0-<end>`` from an upload status → the last byte index the registry holds."""
    if not value:
        return None
    m = re.match(r"^(?:bytes=)?0-(\d+)$", value.strip())
    return int(m.group(1)) if m else None


class _Reporter:
    def __init__(
        self, progress: ProgressFn | None, stage: str, item: str, index: int, count: int, total: int
    ) -> None:
        self._progress = progress
        self._fixed = (stage, item, index, count)
        self.total = total
        self.done = 0
        self._reported_at = 0.0
        self._reported = -1

    def set(self, done: int) -> None:
        self.done = done
        if self._progress is not None:
            now = time.monotonic()
            final = done == self.total or done < self._reported
            if not final and done - self._reported < SEND_PIECE and now - self._reported_at < REPORT_EVERY:
                return
            self._reported_at, self._reported = now, done
            stage, item, index, count = self._fixed
            self._progress(ProgressEvent(stage, item, index, count, done, self.total))

    def advance(self, n: int) -> None:
        self.set(self.done + n)


class _StreamBody:
    """A request body of exactly ``length`` bytes read from ``fh`` in pieces.

    ``__len__`` makes requests send ``Content-Length`` instead of chunked transfer encoding, and having
    no ``read`` makes urllib3 iterate it (our piece size) rather than read 16 KiB at a time.
    """

    def __init__(
        self,
        fh: BinaryIO,
        length: int,
        reporter: _Reporter,
        cancel: CancelToken,
        moved: Callable[[int], None] = lambda _n: None,
    ) -> None:
        self._fh = fh
        self._length = length
        self._reporter = reporter
        self._cancel = cancel
        self._moved = moved

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[bytes | FileSpan]:
        remaining = self._length
        regular = _is_regular_file(self._fh)
        while remaining:
            self._cancel.check()
            n = min(SEND_PIECE, remaining)
            if regular:
                yield FileSpan(self._fh, n)  # plain HTTP sends it with sendfile (transport.py)
            else:
                data = self._fh.read(n)
                if not data:
                    raise InvalidInput(
                        f"the blob source ended {remaining} bytes early; was the file changed?"
                    )
                n = len(data)
                yield data
            remaining -= n
            self._reporter.advance(n)
            self._moved(n)


def _is_regular_file(fh: BinaryIO) -> bool:
    """A blob file in the store (as opposed to a layer streamed while it is packed, or bytes in memory)."""
    try:
        return stat.S_ISREG(os.fstat(fh.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):
        return False


class RegistryClient:
    """One repository on one registry. ``host`` is ``name[:port]``; ``repository`` the path below it.

    ``remote`` holds the network options (``Remote``); ``budget`` the operation's retry budget (a new
    one when omitted); ``cancel`` a token that aborts this client's connections when it fires.
    Use one client per thread: it owns a ``requests.Session`` and per-host auth state.
    """

    def __init__(
        self,
        host: str,
        repository: str,
        remote: Remote | None = None,
        *,
        budget: RetryBudget | None = None,
        cancel: CancelToken | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        monolithic_limit: int = MONOLITHIC_LIMIT,
    ) -> None:
        remote = remote or Remote()
        remote.check_allowed(host)  # before a credential helper is run for a refused host
        credentials = remote.credentials
        if isinstance(credentials, Credential):
            credential: Credential | None = credentials
        else:
            credential = (credentials or DefaultCredentials()).lookup(host)
        self.host = host
        self.repository = repository
        self.chunk_size = chunk_size
        self.monolithic_limit = monolithic_limit
        self._t = Transport(
            host, repository=repository, credential=credential, remote=remote, budget=budget, cancel=cancel
        )

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._t.close()

    @property
    def transport(self) -> Transport:
        return self._t

    def _path(self, suffix: str) -> str:
        return self._t.url(f"/v2/{self.repository}/{suffix}")

    def _resolve(self, location: str) -> str:
        return urllib.parse.urljoin(self._t.base_url + "/", location)

    # -- simple calls -------------------------------------------------------------------------------
    def blob_exists(self, digest: str) -> bool:
        resp = self._t.request("HEAD", self._path(f"blobs/{digest}"))
        resp.close()
        if resp.status_code == 200:
            return True
        if resp.status_code == 404:
            return False
        self._t.raise_for(resp, f"check blob {digest}")

    def mount_blob(self, digest: str, from_repo: str) -> bool:
        """Link a blob another repository of this registry already has. False: the registry declined
        (unknown blob, no access, or mounting unsupported); the caller then uploads."""
        _parse_digest(digest)
        resp = self._t.request(
            "POST",
            self._path("blobs/uploads/"),
            params={"mount": digest, "from": from_repo},
            headers={"Content-Length": "0"},
            scopes=(f"repository:{from_repo}:pull",),
        )
        resp.close()
        if resp.status_code == 201:
            return True
        if resp.status_code == 202:
            # The registry opened an ordinary upload instead; do not leave it dangling.
            self._cancel_upload(resp.headers.get("Location"))
            return False
        self._t.raise_for(resp, f"mount blob {digest} from {from_repo}")

    def list_tags(self, *, page_size: int | None = None) -> list[str]:
        """All tags, following ``Link: rel=next`` pages; bounded (pages, tags, a page seen twice)."""
        tags: list[str] = []
        url: str | None = self._path("tags/list")
        params = {"n": str(page_size)} if page_size else None
        seen: set[str] = set()
        while url:
            if url in seen or len(seen) >= MAX_TAG_PAGES or len(tags) > MAX_TAGS:
                raise RegistryError(
                    f"{self.host} kept sending tag list pages ({len(seen)} pages, {len(tags)} tags); "
                    "kitlab stopped reading them"
                )
            seen.add(url)
            page, links = self._list_names(
                url, params, "tags", f"list tags of {self.repository}", MAX_TAG_CHARS
            )
            tags.extend(page)
            following = links.get("next", {}).get("url")
            url, params = (self._resolve(following), None) if following else (None, None)
        return tags

    def _list_names(
        self, url: str, params: Mapping[str, str] | None, key: str, what: str, max_chars: int
    ) -> tuple[list[str], dict[str, Any]]:
        """One response of a distribution list (``key``: ``tags`` or ``repositories``): its names (strings
        of 1 to ``max_chars`` characters; anything else is dropped) and its ``Link`` headers. The body is
        streamed and read bounded (``MAX_LIST_PAGE_BYTES``)."""
        scopes = ("registry:catalog:*",) if key == "repositories" else ()
        resp = self._t.request("GET", url, params=params, scopes=scopes, stream=True)
        if resp.status_code != 200:
            self._t.raise_for(resp, what)
        links = resp.links
        try:
            body = read_bounded(resp, MAX_LIST_PAGE_BYTES, what, self.host)
            found = json.loads(body).get(key) or []
            return [n for n in found if isinstance(n, str) and 0 < len(n) <= max_chars], links
        except (ValueError, AttributeError, TypeError, RecursionError):
            raise RegistryError(f"{self.host} returned a malformed answer to {what}") from None

    def _page(self, url: str, key: str, limit: int, last: str, what: str) -> tuple[list[str], str | None]:
        """One page of a distribution list (``n``, ``last``); the ``last`` of the next page, or None."""
        params = {"n": str(limit), **({"last": last} if last else {})}
        found, links = self._list_names(url, params, key, what, MAX_NAME_CHARS)
        # Lists are in lexical order (distribution spec); a registry that ignores n and last (the tag
        # lists of distribution 2.8) sends everything, so the page is cut here.
        names = [n for n in found if n > last]
        more = "next" in links or len(names) > limit
        names = names[:limit]
        return names, (names[-1] if more and names else None)

    def catalog_page(self, *, limit: int, last: str = "") -> tuple[list[str], str | None]:
        """Up to ``limit`` repository names after ``last`` (the registry's ``_catalog``, where it
        offers one: many public registries answer 401, 403 or 404)."""
        return self._page(self._t.url("/v2/_catalog"), "repositories", limit, last, "list repositories")

    def tags_page(self, *, limit: int, last: str = "") -> tuple[list[str], str | None]:
        """Up to ``limit`` tags after ``last``: one request, for a person browsing."""
        return self._page(self._path("tags/list"), "tags", limit, last, f"list tags of {self.repository}")

    # -- manifests ----------------------------------------------------------------------------------
    def put_manifest(self, ref: str, data: bytes, media_type: str) -> str:
        """Store a manifest under a tag or digest; returns its digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        resp = self._t.request(
            "PUT", self._path(f"manifests/{ref}"), headers={"Content-Type": media_type}, body=data
        )
        if resp.status_code not in (200, 201):
            self._t.raise_for(resp, f"push manifest {self.repository}:{ref}")
        resp.close()
        echoed = resp.headers.get("Docker-Content-Digest")
        if echoed and echoed.startswith("sha256:") and echoed != digest:
            raise DigestMismatch(f"{self.host} stored the manifest under {echoed}, expected {digest}")
        return digest

    def get_manifest(self, ref: str) -> tuple[bytes, str, str]:
        """``(bytes, media_type, digest)``; verified against ``ref`` when ``ref`` is a digest."""
        resp = self._t.request(
            "GET", self._path(f"manifests/{ref}"), headers={"Accept": MANIFEST_ACCEPT}, stream=True
        )
        if resp.status_code != 200:
            self._t.raise_for(resp, f"get manifest {self.repository}:{ref}")
        try:
            body = read_bounded(resp, MAX_MANIFEST_BYTES, f"manifest {ref}", self.host)
        except _STREAM_ERRORS as exc:
            self._t.check_cancel()
            raise self._t.unreachable(exc, f" while sending manifest {ref}") from None
        media_type = resp.headers.get("Content-Type", "").split(";")[0].strip()
        if not media_type or media_type in ("application/json", "application/octet-stream"):
            with contextlib.suppress(ValueError, AttributeError):
                media_type = str(json.loads(body).get("mediaType") or media_type)
        expected = ref if _DIGEST_RE.match(ref) else resp.headers.get("Docker-Content-Digest")
        algo = expected.split(":", 1)[0] if expected and _DIGEST_RE.match(expected) else "sha256"
        digest = f"{algo}:{hashlib.new(algo, body).hexdigest()}"
        if expected and _DIGEST_RE.match(expected) and expected != digest:
            raise DigestMismatch(f"manifest {ref} from {self.host} does not match its digest {expected}")
        return body, media_type, digest

    def delete_manifest(self, digest: str) -> None:
        _parse_digest(digest)
        resp = self._t.request(
            "DELETE", self._path(f"manifests/{digest}"), scopes=(f"repository:{self.repository}:delete",)
        )
        resp.close()
        if resp.status_code in (200, 202):
            return
        if resp.status_code == 405:
            raise RegistryError(f"{self.host} does not allow deleting manifests (deletion is disabled)")
        self._t.raise_for(resp, f"delete manifest {digest}")

    def delete_tag(self, tag: str) -> None:
        """Remove one tag (the distribution spec's ``DELETE /manifests/<tag>``); the kit stays under
        its other tags. A registry that deletes only by digest refuses (distribution 2.8 does)."""
        resp = self._t.request(
            "DELETE", self._path(f"manifests/{tag}"), scopes=(f"repository:{self.repository}:delete",)
        )
        if resp.status_code in (200, 202):
            resp.close()
            return
        if resp.status_code in (400, 405):
            detail = registry_error_detail(resp)
            resp.close()
            raise TagDeletionUnsupported(
                f"{self.host} does not delete tags (HTTP {resp.status_code}"
                + (f": {detail})" if detail else ")")
            )
        self._t.raise_for(resp, f"delete tag {self.repository}:{tag}")

    def get_small_blob(self, digest: str, size: int, limit: int) -> bytes:
        """A config-sized blob in memory, verified against its digest (inspect without pulling)."""
        algo, expected_hex = _parse_digest(digest)
        if size < 0 or size > limit:
            raise RegistryError(f"blob {digest} declares {size} bytes; at most {limit} are read")
        resp = self._t.request("GET", self._path(f"blobs/{digest}"), stream=True)
        if resp.status_code != 200:
            self._t.raise_for(resp, f"download blob {digest}")
        data = read_bounded(resp, limit, f"blob {digest}", self.host)
        if len(data) != size or hashlib.new(algo, data).hexdigest() != expected_hex:
            raise DigestMismatch(f"blob {digest} from {self.host} does not match its digest or size")
        return data

    # -- blob upload --------------------------------------------------------------------------------
    def upload_blob(
        self,
        digest: str,
        size: int,
        open_fn: OpenFn,
        *,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        item: str | None = None,
        index: int = 0,
        count: int = 1,
        check_exists: bool = True,
    ) -> bool:
        """Upload a blob streamed from ``open_fn(offset)`` (a binary file positioned at ``offset``).

        Returns False if the registry already had it (nothing sent), True once it is stored.
        """
        _parse_digest(digest)
        cancel = cancel or CancelToken()
        reporter = _Reporter(progress, "upload", item or digest, index, count, size)
        if check_exists and self.blob_exists(digest):
            reporter.set(size)
            return False
        with self._t.watch(cancel):
            if size < self.monolithic_limit or needs_monolithic_upload(self.host):
                self._upload_monolithic(digest, size, open_fn, reporter, cancel)
            else:
                self._upload_chunked(digest, size, open_fn, reporter, cancel)
        return True

    def _start_upload(self) -> tuple[str, int]:
        resp = self._t.request("POST", self._path("blobs/uploads/"), headers={"Content-Length": "0"})
        resp.close()
        if resp.status_code != 202 or not resp.headers.get("Location"):
            self._t.raise_for(resp, f"start an upload to {self.repository}")
        min_chunk = int(resp.headers.get("OCI-Chunk-Min-Length", "0") or 0)
        return self._resolve(resp.headers["Location"]), min_chunk

    def _cancel_upload(self, location: str | None) -> None:
        if not location:
            return
        # Best effort: registries garbage-collect abandoned uploads anyway.
        with contextlib.suppress(RegistryError):
            self._t.request("DELETE", self._resolve(location), retry=False).close()

    def _backoff(self, failure: BaseException | requests.Response, during: str = "") -> None:
        """Sleep before a retry (drawn from the operation's budget), or give up with the right error."""
        self._t.check_cancel()
        self._t.wait_to_retry(failure, during)

    def _finish_upload(self, location: str, digest: str) -> None:
        resp = self._t.request("PUT", _with_query(location, digest=digest), headers={"Content-Length": "0"})
        resp.close()
        if resp.status_code == 201:
            return
        if resp.status_code == 404 and self.blob_exists(digest):
            return  # an earlier attempt completed but its answer was lost
        self._raise_upload_failure(resp, digest)

    def _raise_upload_failure(self, resp: requests.Response, digest: str) -> NoReturn:
        if resp.status_code == 400 and "DIGEST_INVALID" in resp.text:
            raise DigestMismatch(
                f"{self.host} computed a different digest than {digest} for the uploaded data; "
                "did the file change while uploading?"
            )
        self._t.raise_for(resp, f"upload blob {digest}")

    def _upload_monolithic(
        self, digest: str, size: int, open_fn: OpenFn, reporter: _Reporter, cancel: CancelToken
    ) -> None:
        """POST for a session, then one PUT carrying the whole blob. A failed PUT leaves the session
        unusable (the registry may hold part of the body), so each retry starts a new one."""
        reauthenticated = False
        while True:
            cancel.check()
            location, _ = self._start_upload()
            reporter.set(0)
            failure: BaseException | requests.Response
            try:
                with open_fn(0) as fh:
                    resp = self._t.request(
                        "PUT",
                        _with_query(location, digest=digest),
                        headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
                        body=_StreamBody(fh, size, reporter, cancel, self._t.budget.moved) if size else b"",
                        retry=False,
                    )
            except RegistryUnreachable as exc:
                failure = exc.__context__ or exc
            except BaseException:
                self._cancel_upload(location)
                raise
            else:
                resp.close()
                if resp.status_code == 201:
                    return
                if resp.status_code == 401 and not reauthenticated:
                    reauthenticated = True  # e.g. the token expired mid-body; auth has renewed it
                    continue
                if resp.status_code not in RETRYABLE_STATUS:
                    self._raise_upload_failure(resp, digest)
                failure = resp
            self._backoff(failure)

    def _upload_chunked(
        self, digest: str, size: int, open_fn: OpenFn, reporter: _Reporter, cancel: CancelToken
    ) -> None:
        location, min_chunk = self._start_upload()
        chunk = max(self.chunk_size, min_chunk)
        offset = 0
        stalled = 0
        fh: BinaryIO | None = None
        try:
            while offset < size:
                cancel.check()
                if fh is None:
                    fh = open_fn(offset)
                    reporter.set(offset)
                n = min(chunk, size - offset)
                headers = {
                    "Content-Type": "application/octet-stream",
                    "Content-Range": f"{offset}-{offset + n - 1}",
                    "Content-Length": str(n),
                }
                failure: BaseException | requests.Response
                try:
                    # Not replayable: the body is a live read of fh, so the transport must not resend it.
                    resp = self._t.request(
                        "PATCH",
                        location,
                        headers=headers,
                        body=_StreamBody(fh, n, reporter, cancel, self._t.budget.moved),
                        retry=False,
                    )
                except RegistryUnreachable as exc:
                    failure = exc.__context__ or exc
                else:
                    resp.close()
                    if resp.status_code == 202 and resp.headers.get("Location"):
                        location = self._resolve(resp.headers["Location"])
                        previous = offset
                        offset += n
                        end = _range_end(resp.headers.get("Range"))
                        if end is not None and end + 1 != offset:
                            offset = end + 1  # the registry kept a different amount: follow it
                            fh.close()
                            fh = None
                        stalled = stalled + 1 if offset <= previous else 0
                        if stalled >= MAX_STALLED_CHUNKS:
                            raise RegistryError(
                                f"{self.host} accepted {MAX_STALLED_CHUNKS} chunks of {digest} in a row "
                                f"but kept only {offset} of {size} bytes; the upload was abandoned"
                            )
                        continue
                    if resp.status_code not in (*RETRYABLE_STATUS, 401, 416):
                        self._raise_upload_failure(resp, digest)
                    failure = resp
                # Something went wrong mid-chunk: ask the registry what it kept and go on from there.
                self._backoff(failure, f" while uploading {digest}")
                fh.close()
                fh = None
                location, offset = self._recover(location, offset)
        except BaseException:
            if fh is not None:
                fh.close()
                fh = None
            self._cancel_upload(location)
            raise
        if fh is not None:
            fh.close()
        self._finish_upload(location, digest)

    def _recover(self, location: str, last_offset: int) -> tuple[str, int]:
        """Upload status after a failed chunk: ``(location, offset)`` to continue from; a fresh upload
        at offset 0 if the registry dropped the session."""
        resp = self._t.request("GET", location)
        resp.close()
        if resp.status_code in (200, 204):
            end = _range_end(resp.headers.get("Range"))
            # distribution reports "0-0" for an empty upload as well as for one byte.
            offset = 0 if end is None or (end == 0 and last_offset == 0) else end + 1
            return self._resolve(resp.headers.get("Location") or location), offset
        if resp.status_code in (400, 404):
            new_location, _ = self._start_upload()
            return new_location, 0
        self._t.raise_for(resp, "resume the upload")

    # -- blob download ------------------------------------------------------------------------------
    def fetch_blob(
        self,
        digest: str,
        dest: Path,
        *,
        size: int | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        item: str | None = None,
        index: int = 0,
        count: int = 1,
    ) -> Path:
        """Download a blob to ``dest``, verified. ``<dest>.part`` holds the bytes so far: it survives a
        network failure so the next call resumes, and is deleted if the content proves wrong."""
        algo, expected_hex = _parse_digest(digest)
        cancel = cancel or CancelToken()
        dest = Path(dest)
        partial = _Partial.load(dest.with_name(dest.name + ".part"), algo, size, cancel)
        reporter = _Reporter(progress, "download", item or digest, index, count, size or 0)
        reporter.set(partial.have)
        url = self._path(f"blobs/{digest}")
        with self._t.watch(cancel):
            while size is None or partial.have < size:
                cancel.check()
                headers = {"Accept-Encoding": "identity"}
                if partial.have:
                    headers["Range"] = f"bytes={partial.have}-"
                resp = self._t.request("GET", url, headers=headers, stream=True)
                failure: BaseException | requests.Response = resp
                try:
                    if resp.status_code == 416 and partial.have:
                        break  # nothing beyond what we hold; verification below decides
                    if resp.status_code not in (200, 206):
                        if resp.status_code not in RETRYABLE_STATUS:
                            self._t.raise_for(resp, f"download blob {digest}")
                    else:
                        if resp.status_code == 200 and partial.have:
                            partial.restart()  # the server ignored Range
                        self._check_announced(resp, partial, size, digest)
                        length = resp.headers.get("Content-Length", "")
                        if reporter.total == 0 and length.isdigit() and len(length) < 20:
                            reporter.total = partial.have + int(length)
                        try:
                            self._stream_into(resp, partial, size, reporter, cancel, digest)
                        except _STREAM_ERRORS as exc:
                            cancel.check()
                            self._t.check_cancel()
                            failure = exc  # keep what arrived; the next round asks for the rest
                        else:
                            if size is None or partial.have >= size:
                                break
                            failure = ConnectionError("response ended early")
                finally:
                    resp.close()
                self._backoff(
                    failure, f" after {partial.have} of {size if size is not None else '?'} bytes of {digest}"
                )
        have, got = partial.have, partial.hasher.hexdigest()
        if (size is not None and have != size) or got != expected_hex:
            partial.discard()
            raise DigestMismatch(
                f"blob {digest} from {self.host} failed verification: received {have} bytes"
                + (f" of {size}" if size is not None else "")
                + f" hashing to {algo}:{got[:12]}…; the download was discarded"
            )
        os.replace(partial.path, dest)
        return dest

    def _check_announced(
        self, resp: requests.Response, partial: _Partial, size: int | None, digest: str
    ) -> None:
        """A ``Content-Length`` that contradicts the descriptor is an error now, with its numbers."""
        length = resp.headers.get("Content-Length", "")
        if size is None or not length:
            return
        if not length.isdigit() or len(length) > 19 or partial.have + int(length) != size:
            resp.close()
            partial.discard()
            raise DigestMismatch(
                f"blob {digest} from {self.host}: the registry announced {length[:24]} bytes"
                + (f" from offset {partial.have}" if partial.have else "")
                + f" for a blob of {size} bytes; nothing was kept"
            )

    def _stream_into(
        self,
        resp: requests.Response,
        partial: _Partial,
        size: int | None,
        reporter: _Reporter,
        cancel: CancelToken,
        digest: str,
    ) -> None:
        with partial.path.open("ab" if partial.have else "wb") as out, _PieceSink(out, partial) as sink:
            while True:
                # read1: whatever arrived (≤ the rest of a piece), so progress moves with the bytes on a
                # slow link.
                data = resp.raw.read1(sink.room, decode_content=False)
                if not data:
                    break
                cancel.check()
                if size is not None and sink.received + len(data) > size:
                    sink.close()
                    out.close()
                    partial.discard()
                    raise DigestMismatch(
                        f"blob {digest} from {self.host} is larger than the expected {size} bytes; discarded"
                    )
                sink.add(data)
                reporter.set(sink.received)
                self._t.budget.moved(len(data))


class _PieceSink:
    """Writes the downloaded bytes and hands them to a helper thread to hash while the caller receives
    the next: socket reads, file writes and ``hashlib`` all release the GIL, so on two cores the hash
    (the costliest step) costs no download time. Reads shorter than a piece are gathered first
    (``GATHER_READS``). At most ``HASH_QUEUE`` pieces wait for the helper. ``partial.have`` counts
    what is written and hashed; writeback starts every ``WRITEBACK_WINDOW`` so the fsync when the blob
    is stored waits for the last window."""

    def __init__(self, out: BinaryIO, partial: _Partial) -> None:
        self._out = out
        self._partial = partial
        self.received = self._flushed_to = partial.have
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        # Hashes submitted in order, each with the byte count held once it is done.
        self._pending: collections.deque[tuple[concurrent.futures.Future[None], int]] = collections.deque()
        self._gathered: list[bytes] = []
        self._gathered_bytes = 0

    def __enter__(self) -> _PieceSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait(self, keep: int) -> None:
        """Until at most ``keep`` pieces wait for their hash; the hashed ones count as held."""
        while len(self._pending) > keep:
            hashed, held = self._pending.popleft()
            hashed.result()
            self._partial.have = held

    @property
    def room(self) -> int:
        """How much the next read may bring: the rest of the piece being gathered."""
        return FETCH_PIECE - self._gathered_bytes

    def add(self, data: bytes) -> None:
        """Take received bytes (at most ``room``); the piece is written and handed on once it holds
        half of ``FETCH_PIECE`` or ``GATHER_READS`` reads."""
        self.received += len(data)
        self._gathered.append(data)
        self._gathered_bytes += len(data)
        if self._gathered_bytes >= FETCH_PIECE // 2 or len(self._gathered) == GATHER_READS:
            self._put()

    def _put(self) -> None:
        pieces, self._gathered, self._gathered_bytes = self._gathered, [], 0
        self._out.writelines(pieces)
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kitlab-fetch")
        hashed = self._pool.submit(_hash_all, self._partial.hasher.update, pieces)
        self._pending.append((hashed, self.received))
        self._wait(HASH_QUEUE)
        if self.received - self._flushed_to >= WRITEBACK_WINDOW:
            self._out.flush()
            start_writeback(self._out.fileno(), self._flushed_to, self.received)
            self._flushed_to = self.received

    def close(self) -> None:
        """Write what is gathered and wait for the last hash (``partial`` then holds everything
        received, also after a failed read); a failed write raises."""
        try:
            if self._gathered:
                self._put()
            self._wait(0)
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None


def _hash_all(update: Callable[[bytes], None], pieces: list[bytes]) -> None:
    for piece in pieces:
        update(piece)


class _Partial:
    """A ``.part`` file and the running hash of exactly the bytes it holds."""

    def __init__(self, path: Path, algo: str) -> None:
        self.path = path
        self.algo = algo
        self.hasher = hashlib.new(algo)
        self.have = 0

    @classmethod
    def load(cls, path: Path, algo: str, size: int | None, cancel: CancelToken) -> _Partial:
        partial = cls(path, algo)
        try:
            held = path.stat().st_size
        except FileNotFoundError:
            return partial
        if size is not None and held > size:
            partial.discard()
            return partial
        with path.open("rb") as fh:
            while data := fh.read(PIECE):
                cancel.check()
                partial.hasher.update(data)
                partial.have += len(data)
        return partial

    def restart(self) -> None:
        self.hasher = hashlib.new(self.algo)
        self.have = 0

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.restart()
