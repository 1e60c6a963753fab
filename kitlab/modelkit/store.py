"""kit's local ModelKit store (``$KITOPS_HOME/storage``), shared byte-for-byte with the ``kit`` CLI.

Layout (docs/kit-format.md, "The local store"): ``oci-layout``, root ``index.json`` (oras' shared index, used
by kit's GC), ``blobs/sha256/<hex>``, and per repository ``<base64url(REPO)>-index.json`` + ``-tags.json``.

Safety beyond kit:
* blobs are hashed while written to ``storage/.kitlab-tmp/``, fsynced, verified and renamed into place
  (kit's oras store does not fsync; we do, and start the disk writes early so the fsync costs little);
* index and tag files are read-modify-written under an exclusive ``flock`` on ``storage/.kitlab.lock``
  and replaced atomically, so concurrent kitlab processes lose nothing and a killed process leaves files
  kit can still read (kit itself takes no lock, so a *kit* process running at the same time can still
  overwrite our update — that is kit's limitation);
* nothing named ``index.json`` is ever created below ``storage/``: kit's migration check treats any such
  file in a subdirectory as a pre-1.0 store and deletes that directory.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from kitlab.atomicfile import WRITEBACK_WINDOW, fsync_dir, start_writeback, write_atomically, writer_alive
from kitlab.errors import InvalidInput, KitlabError, NotFound
from kitlab.kitfile import from_config_json
from kitlab.kitfile.boundedjson import loads_bounded
from kitlab.kitfile.config import MAX_CONFIG_BYTES
from kitlab.kitfile.gojson import GoStruct, go_json_dumps
from kitlab.kitfile.model import Kitfile
from kitlab.modelkit.home import kitops_home
from kitlab.modelkit.manifest import (
    CREATED_ANNOTATION,
    FORMAT_KIT,
    KIT_CONFIG_MEDIA_TYPE,
    MAX_MANIFEST_BYTES,
    OCI_INDEX_MEDIA_TYPE,
    Descriptor,
    Manifest,
    NoKitfile,
    NotAModelKit,
    parse_manifest,
)
from kitlab.modelkit.mediatypes import KITFILE_ANNOTATION
from kitlab.modelkit.mediatypes import OCI_MANIFEST as OCI_MANIFEST_MEDIA_TYPE
from kitlab.modelkit.reference import Reference, format_repository_for_display, is_digest, parse_reference
from kitlab.progress import CancelToken

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

CHUNK = 1 << 20
# Limits on what the store parses (docs/hardening.md): an index or tags file lists every kit of a
# repository (~200 bytes each, so a million kits fit), a manifest or config blob is small.
MAX_INDEX_BYTES = 256 << 20
MAX_INDEX_DEPTH = 16
MAX_SMALL_BLOB_BYTES = max(MAX_MANIFEST_BYTES, MAX_CONFIG_BYTES)
TMP_DIR_NAME = ".kitlab-tmp"
LOCK_NAME = ".kitlab.lock"
# kit's GetAllLocalRepos discovers repositories only through file names matching this.
_REPO_INDEX_RE = re.compile(r"^([-A-Za-z0-9_-]*={0,3})-index\.json$")
_TMP_PREFIX = "blob-"
# Chunks at least this large are hashed on a helper thread while this one writes them: hashlib and
# file writes both release the GIL, so on two cores the hash costs no wall time.
_OVERLAP_MIN = 1 << 20


class BlobCorrupt(KitlabError):
    """A blob's content does not match its digest or size."""

    code = "corrupt"


def encode_repo(repo_key: str) -> str:
    """Go ``base64.URLEncoding`` (URL alphabet, ``=`` padding) of ``registry/repository``."""
    return base64.urlsafe_b64encode(repo_key.encode("utf-8")).decode("ascii")


def decode_repo(encoded: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(encoded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _hex_of(digest: str) -> str:
    if not is_digest(digest) or not digest.startswith("sha256:"):
        raise InvalidInput(f"unsupported digest {digest!r} (only sha256 is stored locally)")
    return digest.removeprefix("sha256:")


class BlobWriter:
    """Streams one blob into the store: hash while writing to a temp file, then verify and rename.

    Use as a context manager; a clean exit commits, an exception (or ``Cancelled``) removes the temp
    file. ``digest``/``size`` are available after commit.
    """

    def __init__(
        self,
        store: LocalStore,
        *,
        expected_digest: str | None = None,
        expected_size: int | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self._store = store
        self._expected_digest = expected_digest
        self._expected_size = expected_size
        self._cancel = cancel
        self._hash = hashlib.sha256()
        self._hasher: ThreadPoolExecutor | None = None
        self._size = 0
        self._flushed_to = 0  # end of the last range handed to the kernel for writeback
        self._file: IO[bytes] | None = None
        self._tmp_path: Path | None = None
        self.digest = ""
        self.size = 0
        self.committed = False

    def __enter__(self) -> BlobWriter:
        tmp_dir = self._store.ensure_layout()
        name = f"{_TMP_PREFIX}{os.getpid()}-{secrets.token_hex(8)}"
        self._tmp_path = tmp_dir / name
        fd = os.open(self._tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file = os.fdopen(fd, "wb")
        return self

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._file is None:
            raise RuntimeError("BlobWriter used outside its context")
        if self._cancel is not None:
            self._cancel.check()
        if len(data) >= _OVERLAP_MIN:
            if self._hasher is None:
                # Imported here: it pulls in logging, and the CLI's cached re-pack never needs it.
                from concurrent.futures import ThreadPoolExecutor

                self._hasher = ThreadPoolExecutor(1, thread_name_prefix="kitlab-hash")
            hashed = self._hasher.submit(self._hash.update, data)
            try:
                self._file.write(data)
            finally:
                hashed.result()
        else:
            self._hash.update(data)
            self._file.write(data)
        self._size += len(data)
        if self._size - self._flushed_to >= WRITEBACK_WINDOW:
            self._start_writeback()
        return len(data)

    def _start_writeback(self) -> None:
        """Start (not wait for) writeback of the bytes written so far (``start_writeback``)."""
        assert self._file is not None
        self._file.flush()
        # From the previous window's start: its pages are clean by now and get dropped.
        start_writeback(self._file.fileno(), max(0, self._flushed_to - WRITEBACK_WINDOW), self._size)
        self._flushed_to = self._size

    @property
    def bytes_written(self) -> int:
        return self._size

    def commit(self) -> Descriptor:
        """Finish the blob; returns a descriptor with an empty media type (the caller knows it)."""
        if self.committed:
            return Descriptor("", self.digest, self.size)
        if self._file is None or self._tmp_path is None:
            raise RuntimeError("BlobWriter used outside its context")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._close_file()
        digest = "sha256:" + self._hash.hexdigest()
        if self._expected_digest is not None and digest != self._expected_digest:
            raise BlobCorrupt(f"content digest {digest} does not match expected {self._expected_digest}")
        if self._expected_size is not None and self._size != self._expected_size:
            raise BlobCorrupt(f"content size {self._size} does not match expected {self._expected_size}")
        final = self._store.blob_path(digest)
        if final.exists():
            self._tmp_path.unlink()
        else:
            os.replace(self._tmp_path, final)
            fsync_dir(final.parent)
        self._tmp_path = None
        self.digest, self.size, self.committed = digest, self._size, True
        return Descriptor("", digest, self._size)

    def _close_file(self) -> None:
        if self._hasher is not None:
            self._hasher.shutdown()
            self._hasher = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def abort(self) -> None:
        self._close_file()
        if self._tmp_path is not None:
            self._tmp_path.unlink(missing_ok=True)
            self._tmp_path = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            try:
                self.commit()
            finally:
                self.abort()
        else:
            self.abort()


@dataclass
class KitSummary:
    """One manifest in one repository, as ``kit list`` reports it.

    ``model_name`` is what kit's NAME/``modelName`` column shows: the Kitfile's *package* name.
    ``size`` is kit's SIZE: the sum of the layer sizes. Empty strings mean kit's ``<none>``.
    """

    repo: str
    repo_key: str
    tags: list[str]
    digest: str
    model_name: str
    size: int
    author: str
    created: str | None = None
    stored_at: float | None = None  # when the manifest first came into this store (its blob's mtime)
    format: str = FORMAT_KIT
    kitfile: Kitfile | None = field(default=None, repr=False)
    error: str = ""  # set when the manifest or config could not be read; metadata is then empty

    @classmethod
    def of_kit(
        cls,
        repo: str,
        repo_key: str,
        tags: list[str],
        digest: str,
        manifest: Manifest,
        kitfile: Kitfile | None,
        **more: Any,
    ) -> KitSummary:
        """The row of a readable kit (local or remote): NAME and MAINTAINER from its Kitfile (empty
        without one), SIZE from its manifest."""
        return cls(
            repo=repo,
            repo_key=repo_key,
            tags=tags,
            digest=digest,
            model_name=kitfile.package.name if kitfile else "",
            size=manifest.layers_size,
            author=kitfile.package.authors[0] if kitfile and kitfile.package.authors else "",
            format=manifest.format,
            kitfile=kitfile,
            **more,
        )


class LocalStore:
    """kit's storage directory: ``home/storage`` (home: explicit, ``$KITOPS_HOME``, XDG, ``~``)."""

    def __init__(self, home: Path | str | None = None) -> None:
        self.home = kitops_home(home)
        self.storage = self.home / "storage"
        self.blobs_dir = self.storage / "blobs" / "sha256"
        self.tmp_dir = self.storage / TMP_DIR_NAME
        self.lock_path = self.storage / LOCK_NAME
        self.root_index_path = self.storage / "index.json"
        self._layout_ready = False

    # ---- layout ---------------------------------------------------------------------------------

    def ensure_layout(self) -> Path:
        """Create the OCI layout if missing (like oras' ``oci.New``); returns the temp dir for blobs.

        Checked once per ``LocalStore`` object; the first call also sweeps temp files of dead writers.
        """
        if self._layout_ready and self.tmp_dir.is_dir():
            return self.tmp_dir
        self.blobs_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(exist_ok=True)
        layout = self.storage / "oci-layout"
        if layout.exists():
            try:
                doc = loads_bounded(
                    layout.read_bytes()[:4096], what="oci-layout", max_bytes=4096, max_depth=4
                )
                version = doc.get("imageLayoutVersion")
            except (InvalidInput, AttributeError) as exc:
                raise InvalidInput(f"{layout} is not a valid OCI layout file") from exc
            if version != "1.0.0":
                raise InvalidInput(f"unsupported OCI layout version {version!r} in {layout}")
        else:
            self._write_atomic(layout, b'{"imageLayoutVersion":"1.0.0"}')
        if not self.root_index_path.exists():
            with self._locked():
                if not self.root_index_path.exists():
                    self._write_json(self.root_index_path, _go_index(self._empty_root_index()))
        self._sweep_stale_temp()
        self._layout_ready = True
        return self.tmp_dir

    def _sweep_stale_temp(self) -> None:
        """Remove temp blobs left by kitlab processes that died (their pid is in the name)."""
        for entry in self.tmp_dir.iterdir():
            parts = entry.name.removeprefix(_TMP_PREFIX).split("-", 1)
            if entry.name.startswith(_TMP_PREFIX) and parts[0].isdigit() and not writer_alive(int(parts[0])):
                entry.unlink(missing_ok=True)

    @staticmethod
    def _empty_root_index() -> dict[str, Any]:
        return {"schemaVersion": 2, "mediaType": OCI_INDEX_MEDIA_TYPE, "manifests": []}

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.storage.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def _write_atomic(self, path: Path, data: bytes) -> None:
        write_atomically(path, data)

    def _write_json(self, path: Path, obj: Any) -> None:
        self._write_atomic(path, go_json_dumps(obj))

    @staticmethod
    def _read_json(path: Path, default: Any) -> Any:
        """An index or tags file, size- and depth-bounded (docs/hardening.md): a hostile or broken
        file is an ``InvalidInput`` naming it, never a ``RecursionError`` or a read of gigabytes."""
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_INDEX_BYTES + 1)
        except FileNotFoundError:
            return default
        return loads_bounded(data, what=path.name, max_bytes=MAX_INDEX_BYTES, max_depth=MAX_INDEX_DEPTH)

    # ---- blobs ----------------------------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        return self.blobs_dir / _hex_of(digest)

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def blob_writer(
        self,
        *,
        expected_digest: str | None = None,
        expected_size: int | None = None,
        cancel: CancelToken | None = None,
    ) -> BlobWriter:
        return BlobWriter(self, expected_digest=expected_digest, expected_size=expected_size, cancel=cancel)

    def put_blob_stream(
        self,
        source: IO[bytes] | Iterable[bytes],
        *,
        expected_digest: str | None = None,
        expected_size: int | None = None,
        cancel: CancelToken | None = None,
    ) -> Descriptor:
        """Store a blob from a binary file object or an iterable of chunks."""
        if expected_digest is not None and self.has_blob(expected_digest):
            return Descriptor("", expected_digest, self.blob_path(expected_digest).stat().st_size)
        chunks: Iterable[bytes]
        if hasattr(source, "read"):
            reader: IO[bytes] = source  # type: ignore[assignment]
            chunks = iter(lambda: reader.read(CHUNK), b"")
        else:
            chunks = source
        with self.blob_writer(
            expected_digest=expected_digest, expected_size=expected_size, cancel=cancel
        ) as writer:
            for chunk in chunks:
                writer.write(chunk)
        return Descriptor("", writer.digest, writer.size)

    def put_blob_bytes(self, data: bytes, *, media_type: str = "") -> Descriptor:
        desc = self.put_blob_stream([data])
        return Descriptor(media_type, desc.digest, desc.size)

    def open_blob(self, digest: str) -> IO[bytes]:
        try:
            return self.blob_path(digest).open("rb")
        except FileNotFoundError as exc:
            raise NotFound(f"blob {digest} not found in local storage") from exc

    def read_blob(self, desc: Descriptor) -> bytes:
        """Whole small blob (manifest/config), verified against digest and size like oras' FetchAll.

        A descriptor declaring more than ``MAX_SMALL_BLOB_BYTES`` is refused before reading: a hostile
        manifest cannot make a listing read gigabytes into memory."""
        if desc.size < 0 or desc.size > MAX_SMALL_BLOB_BYTES:
            raise InvalidInput(
                f"blob {desc.digest} declares {desc.size} bytes; a manifest or config is at most "
                f"{MAX_SMALL_BLOB_BYTES:,}"
            )
        with self.open_blob(desc.digest) as f:
            data = f.read(desc.size + 1)
        if len(data) != desc.size or "sha256:" + hashlib.sha256(data).hexdigest() != desc.digest:
            raise BlobCorrupt(f"blob {desc.digest} does not match its descriptor")
        return data

    # ---- per-repo index and tags ------------------------------------------------------------------

    def repo_index_path(self, repo_key: str) -> Path:
        return self.storage / f"{encode_repo(repo_key)}-index.json"

    def repo_tags_path(self, repo_key: str) -> Path:
        return self.storage / f"{encode_repo(repo_key)}-tags.json"

    def _load_repo_index(self, repo_key: str) -> dict[str, Any]:
        doc = self._read_json(self.repo_index_path(repo_key), {"schemaVersion": 2, "manifests": []})
        if not isinstance(doc, dict) or not isinstance(doc.get("manifests") or [], list):
            raise InvalidInput(f"index for {repo_key} is malformed")
        doc["manifests"] = doc.get("manifests") or []
        return doc

    def _save_repo_index(self, repo_key: str, doc: dict[str, Any]) -> None:
        path = self.repo_index_path(repo_key)
        manifests: list[dict[str, Any]] = []
        seen: set[str] = set()
        for desc in doc["manifests"]:
            if desc.get("digest") not in seen:
                manifests.append(desc)
                seen.add(desc.get("digest"))
        if not manifests:
            path.unlink(missing_ok=True)
            return
        # kit never writes mediaType here; _go_index keeps one only if a file already had it.
        self._write_json(path, _go_index({**doc, "manifests": manifests}))

    def _load_tags(self, repo_key: str) -> dict[str, dict[str, Any]]:
        doc = self._read_json(self.repo_tags_path(repo_key), {})
        if not isinstance(doc, dict):
            raise InvalidInput(f"tags for {repo_key} are malformed")
        return doc

    def _save_tags(self, repo_key: str, tags: dict[str, dict[str, Any]]) -> None:
        path = self.repo_tags_path(repo_key)
        if not tags:
            path.unlink(missing_ok=True)
            return
        # A Go map: gojson writes the keys sorted.
        self._write_json(path, {tag: _go_descriptor(desc) for tag, desc in tags.items()})

    def _add_to_root_index(self, desc: Descriptor) -> None:
        doc = self._read_json(self.root_index_path, self._empty_root_index())
        manifests = doc.get("manifests") or []
        if not any(m.get("digest") == desc.digest for m in manifests):
            manifests.append(_as_dict(desc.plain()))
        doc["manifests"] = manifests
        self._write_json(self.root_index_path, _go_index(doc))

    def add_manifest(
        self,
        repo_key: str,
        manifest_bytes: bytes,
        tags: Iterable[str] = (),
        *,
        media_type: str = OCI_MANIFEST_MEDIA_TYPE,
    ) -> Descriptor:
        """Store the manifest blob and list it in ``repo_key`` with ``tags`` (a tag moves if it existed).

        Every blob the manifest references must already be in the store; that is re-checked under the
        lock, so a concurrent ``remove`` cannot garbage-collect them between check and commit.
        """
        manifest = parse_manifest(manifest_bytes)
        blob = self.put_blob_bytes(manifest_bytes, media_type=media_type)
        desc = Descriptor(media_type, blob.digest, blob.size)
        tags = list(tags)
        with self._locked():
            missing = [d.digest for d in [manifest.config, *manifest.layers] if not self.has_blob(d.digest)]
            if missing:
                raise NotFound(f"blobs missing from local storage (removed concurrently?): {missing}")
            index = self._load_repo_index(repo_key)
            if not any(m.get("digest") == desc.digest for m in index["manifests"]):
                index["manifests"].append(_as_dict(desc))
            self._save_repo_index(repo_key, index)
            if tags:
                tag_map = self._load_tags(repo_key)
                for tag in tags:
                    tag_map[tag] = _as_dict(desc)
                self._save_tags(repo_key, tag_map)
            self._add_to_root_index(desc)
        return desc

    # ---- reading --------------------------------------------------------------------------------

    def _as_reference(self, ref: Reference | str) -> Reference:
        return parse_reference(ref) if isinstance(ref, str) else ref

    def resolve(self, ref: Reference | str) -> Descriptor:
        """Tag → the repo's tags file; digest → the repo's index (kit's ``localIndex.resolve``)."""
        ref = self._as_reference(ref)
        display = ref.display()
        if ref.digest:
            for m in self._load_repo_index(ref.repo_key)["manifests"]:
                if m.get("digest") == ref.digest:
                    return Descriptor.from_json(m)
            raise NotFound(f"model {display} not found")
        if not ref.tag:
            raise InvalidInput(f"reference {display} needs a tag or digest")
        found = self._load_tags(ref.repo_key).get(ref.tag)
        if found is None:
            raise NotFound(f"model {display} not found")
        return Descriptor.from_json(found)

    def get_manifest_bytes(self, desc: Descriptor) -> bytes:
        return self.read_blob(desc)

    def get_manifest(self, desc: Descriptor) -> Manifest:
        return parse_manifest(self.read_blob(desc))

    def get_config_bytes(self, manifest: Manifest) -> bytes:
        return self.read_blob(manifest.config)

    def get_config(self, manifest: Manifest) -> Kitfile:
        """The Kitfile: the config blob (classic) or the Kitfile annotation (ModelPack; see
        docs/kit-format.md)."""
        if manifest.format == FORMAT_KIT:
            if manifest.config.media_type != KIT_CONFIG_MEDIA_TYPE:
                raise NotAModelKit("configuration descriptor does not describe a Kitfile")
            return from_config_json(self.read_blob(manifest.config))
        annotation = manifest.annotations.get(KITFILE_ANNOTATION)
        if not annotation:
            raise NoKitfile("ModelPack artifact carries no Kitfile annotation")
        return from_config_json(annotation.encode("utf-8"))

    def repositories(self) -> list[str]:
        """Repository keys with an index file, in kit's discovery order (sorted file names)."""
        if not self.storage.is_dir():
            return []
        repos = []
        for name in sorted(os.listdir(self.storage)):
            m = _REPO_INDEX_RE.match(name)
            repo = decode_repo(m.group(1)) if m else None
            if repo:
                repos.append(repo)
        return repos

    def manifests_in(self, repo_key: str) -> list[Descriptor]:
        return [Descriptor.from_json(m) for m in self._load_repo_index(repo_key)["manifests"]]

    def tags_for(self, repo_key: str, digest: str) -> list[str]:
        return sorted(t for t, d in self._load_tags(repo_key).items() if d.get("digest") == digest)

    def _stored_at(self, digest: str) -> float | None:
        """The manifest blob's mtime: when this kit was first packed or pulled here. kit writes no
        creation date into ModelKits, and blobs are never rewritten, so this is the date kits have."""
        try:
            return self.blob_path(digest).stat().st_mtime
        except OSError:
            return None

    def list_kits(self) -> list[KitSummary]:
        """Like ``kit list``: every manifest of every repo, sorted by (display repo, digest).

        Manifests that are not ModelKits are skipped (kit v1.7 would crash on them); a ModelPack
        without a Kitfile annotation is listed without metadata, as newer kit does. A kit (or a
        repository index) that cannot be read is listed with its ``error``: one bad kit never hides
        the rest of the store (docs/hardening.md).
        """
        out: list[KitSummary] = []
        for repo_key in self.repositories():
            display = format_repository_for_display(repo_key) or "<none>"
            try:
                tags_doc = self._load_tags(repo_key)
                descriptors = self.manifests_in(repo_key)
            except KitlabError as exc:  # one unreadable repository is reported; the rest still list
                out.append(KitSummary(display, repo_key, [], "", "", 0, "", error=exc.message))
                continue
            for desc in descriptors:
                tags = sorted(
                    t for t, d in tags_doc.items() if isinstance(d, dict) and d.get("digest") == desc.digest
                )
                try:
                    manifest = self.get_manifest(desc)
                except NotAModelKit:
                    continue
                except KitlabError as exc:  # missing or corrupt blob: show it rather than hide the kit
                    out.append(KitSummary(display, repo_key, tags, desc.digest, "", 0, "", error=exc.message))
                    continue
                error = ""
                try:
                    kitfile: Kitfile | None = self.get_config(manifest)
                except NoKitfile:
                    kitfile = None  # a ModelPack without Kitfile annotation: listed without metadata
                except KitlabError as exc:
                    kitfile, error = None, exc.message
                out.append(
                    KitSummary.of_kit(
                        display,
                        repo_key,
                        tags,
                        desc.digest,
                        manifest,
                        kitfile,
                        created=manifest.annotations.get(CREATED_ANNOTATION),
                        stored_at=self._stored_at(desc.digest),
                        error=error,
                    )
                )
        out.sort(key=lambda s: (s.repo, s.digest))
        return out

    # ---- tag and remove -------------------------------------------------------------------------

    def tag(self, src: Reference | str, dst: Reference | str) -> Descriptor:
        """``kit tag``: give the manifest ``src`` resolves to the tag ``dst`` (any local repo)."""
        src_ref, dst_ref = self._as_reference(src), self._as_reference(dst)
        if not dst_ref.tag:
            raise InvalidInput(f"target {dst_ref.display()} needs a tag")
        desc = self.resolve(src_ref)
        with self._locked():
            index = self._load_repo_index(dst_ref.repo_key)
            if not any(m.get("digest") == desc.digest for m in index["manifests"]):
                index["manifests"].append(_as_dict(desc))
                self._save_repo_index(dst_ref.repo_key, index)
            tag_map = self._load_tags(dst_ref.repo_key)
            tag_map[dst_ref.tag] = _as_dict(desc)
            self._save_tags(dst_ref.repo_key, tag_map)
        return desc

    def remove(self, ref: Reference | str, *, force: bool = False) -> list[Descriptor]:
        """``kit remove REF[,tag…]``: by digest or with ``force`` delete the manifest and all its tags in
        that repo; by tag, untag when other tags remain, else delete. Deleted manifests not listed in
        any other repo are garbage-collected with every blob no other manifest uses."""
        ref = self._as_reference(ref)
        refs = [ref.with_reference(tag=ref.tag, digest=ref.digest)]
        refs += [ref.with_reference(tag=t) for t in ref.extra_tags]
        removed = []
        for one in refs:
            with self._locked():
                desc = self.resolve(one)
                removed.append(desc)
                tag_map = self._load_tags(one.repo_key)
                tags = sorted(t for t, d in tag_map.items() if d.get("digest") == desc.digest)
                if not one.digest and not force and len(tags) > 1:
                    del tag_map[one.tag]
                    self._save_tags(one.repo_key, tag_map)
                    continue
                for tag in tags:
                    del tag_map[tag]
                self._save_tags(one.repo_key, tag_map)
                index = self._load_repo_index(one.repo_key)
                index["manifests"] = [m for m in index["manifests"] if m.get("digest") != desc.digest]
                self._save_repo_index(one.repo_key, index)
                self._collect_garbage(desc)
        return removed

    def remove_all(self, *, include_tagged: bool = False) -> list[tuple[str, Descriptor]]:
        """``kit remove --all`` (untagged kits only) or ``--all --force`` (everything, tags included).

        Returns the (repo_key, descriptor) pairs removed.
        """
        removed: list[tuple[str, Descriptor]] = []
        for repo_key in self.repositories():
            registry, _, repository = repo_key.partition("/")
            for desc in self.manifests_in(repo_key):
                if not include_tagged and self.tags_for(repo_key, desc.digest):
                    continue
                self.remove(Reference(registry, repository, digest=desc.digest))
                removed.append((repo_key, desc))
        return removed

    def _referenced_manifests(self) -> set[str]:
        return {d.digest for repo in self.repositories() for d in self.manifests_in(repo)}

    def _collect_garbage(self, desc: Descriptor) -> None:
        """Delete ``desc``'s manifest and its unshared blobs if no repo lists the manifest any more.

        Root index first, then blobs: oras reads every manifest the root index lists at start-up, so
        the index must never name a missing blob. Runs under the store lock.
        """
        still_listed = self._referenced_manifests()
        if desc.digest in still_listed or not self.has_blob(desc.digest):
            return
        try:
            manifest = self.get_manifest(desc)
            children = {d.digest for d in [manifest.config, *manifest.layers]}
        except (InvalidInput, BlobCorrupt):
            children = set()
        root = self._read_json(self.root_index_path, self._empty_root_index())
        root["manifests"] = [m for m in root.get("manifests") or [] if m.get("digest") != desc.digest]
        self._write_json(self.root_index_path, _go_index(root))

        in_use: set[str] = set()
        other_manifests = still_listed | {m.get("digest") for m in root["manifests"]}
        for digest in other_manifests:
            with contextlib.suppress(KitlabError, OSError, ValueError):
                data = self.blob_path(digest).read_bytes()
                other = parse_manifest(data)
                in_use.update(d.digest for d in [other.config, *other.layers])
        self.blob_path(desc.digest).unlink(missing_ok=True)
        for digest in children - in_use - other_manifests:
            self.blob_path(digest).unlink(missing_ok=True)


def _as_dict(desc: Descriptor) -> dict[str, Any]:
    """In memory, index entries are plain dicts (as read from disk); GoStruct only when writing."""
    out: dict[str, Any] = {"mediaType": desc.media_type, "digest": desc.digest, "size": desc.size}
    if desc.annotations:
        out["annotations"] = dict(desc.annotations)
    if desc.artifact_type:
        out["artifactType"] = desc.artifact_type
    return out


_DESCRIPTOR_FIELDS = (
    "mediaType",
    "digest",
    "size",
    "urls",
    "annotations",
    "data",
    "platform",
    "artifactType",
)
_ALWAYS = ("mediaType", "digest", "size")


def _go_descriptor(obj: dict[str, Any]) -> GoStruct:
    """A descriptor in Go's ``ocispec.Descriptor`` field order; unknown keys are dropped as Go would."""
    return GoStruct((k, obj[k]) for k in _DESCRIPTOR_FIELDS if k in obj and (k in _ALWAYS or obj[k]))


def _go_index(doc: dict[str, Any]) -> GoStruct:
    """An index in Go's ``ocispec.Index`` field order (``manifests`` is never omitted)."""
    out = GoStruct([("schemaVersion", doc.get("schemaVersion", 2))])
    for key in ("mediaType", "artifactType"):
        if doc.get(key):
            out.append((key, doc[key]))
    out.append(("manifests", [_go_descriptor(m) for m in doc.get("manifests") or []]))
    if doc.get("annotations"):
        out.append(("annotations", dict(doc["annotations"])))
    return out


def require_tag_or_digest(ref: Reference) -> None:
    """Commands other than pack need a concrete reference (kit: "requires a tag or digest")."""
    if not ref.tag and not ref.digest:
        raise InvalidInput(f"{ref.display()}: a tag or digest is required")
    if ref.extra_tags:
        raise InvalidInput("extra tags (',') are only allowed when packing")
