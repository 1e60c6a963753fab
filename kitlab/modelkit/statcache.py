"""Remember layer digests by file metadata so re-packing unchanged files does not read them again.

Key = sha256 over the layer's tar policy (writer version + compression) and, per tar entry, its name,
type, mode, size, mtime, ctime, inode and device. ctime is included because it changes on every write
even when a tool restores mtime (``cp -p``, ``rsync -t``). A hit is only used when the blob is still in
the store. The cache lives in ``<home>/cache/kitlab/`` — never under ``storage/`` — and is advisory:
losing it (``kit cache clear``) or a lost concurrent update only costs a re-read.

"Racily clean" guard (as in git): a file whose mtime/ctime is within ``RACY_WINDOW_NS`` of the moment
it was stat'ed could still change within the same timestamp tick, so such layers are not cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kitlab.atomicfile import write_atomically

RACY_WINDOW_NS = 1_000_000_000


def now_ns() -> int:
    """The clock the racy check compares file times with (a module function, so tests can move it on
    instead of sleeping past the window)."""
    return time.time_ns()


MAX_ENTRIES = 512
_VERSION = 1


class StatEntry(Protocol):
    """What the cache needs from a planned tar entry (``layers.TarEntry`` satisfies it). Read-only
    properties, so that frozen dataclasses and ``Path``-typed fields match."""

    @property
    def name(self) -> str: ...
    @property
    def path(self) -> Path | str: ...
    @property
    def is_dir(self) -> bool: ...
    @property
    def mode(self) -> int: ...


@dataclass(frozen=True)
class CachedLayer:
    digest: str
    size: int
    diff_id: str


@dataclass(frozen=True)
class LayerKey:
    """``value`` is None when the layer must not be cached (a file changed or is racily new)."""

    value: str | None
    reason: str = ""


def layer_key(policy: str, entries: Iterable[StatEntry]) -> LayerKey:
    """Stat every entry now and hash the metadata that determines the layer's bytes."""
    started = now_ns()
    h = hashlib.sha256()
    h.update(f"kitlab-statcache-v{_VERSION}\0{policy}\0".encode())
    racy = False
    for entry in entries:
        try:
            st = os.lstat(entry.path)
        except OSError as exc:
            return LayerKey(None, f"cannot stat {entry.name}: {exc.strerror}")
        if entry.is_dir:
            # A directory contributes only its name and mode to the tar; its times change whenever
            # an unrelated (ignored) child appears, which must not invalidate the layer.
            fields: tuple[object, ...] = (entry.name, "d", entry.mode)
        else:
            fields = (
                entry.name,
                "f",
                entry.mode,
                st.st_size,
                st.st_mtime_ns,
                st.st_ctime_ns,
                st.st_ino,
                st.st_dev,
            )
            if max(st.st_mtime_ns, st.st_ctime_ns) > started - RACY_WINDOW_NS:
                racy = True
        h.update(json.dumps(fields, ensure_ascii=False).encode("utf-8", "surrogateescape") + b"\n")
    if racy:
        return LayerKey(None, "files were modified less than a second ago")
    return LayerKey(h.hexdigest())


class StatCache:
    """JSON file ``{"version", "layers": {key: {digest, size, diffId, used}}}``, LRU-bounded."""

    def __init__(self, path: Path, max_entries: int = MAX_ENTRIES) -> None:
        self.path = path
        self.max_entries = max_entries
        self._layers: dict[str, dict[str, object]] | None = None
        self._dirty = False

    @classmethod
    def for_home(cls, home: Path) -> StatCache:
        return cls(home / "cache" / "kitlab" / "pack-statcache.json")

    def _load(self) -> dict[str, dict[str, object]]:
        if self._layers is None:
            try:
                doc = json.loads(self.path.read_bytes())
                ok = isinstance(doc, dict) and doc.get("version") == _VERSION
                self._layers = doc["layers"] if ok and isinstance(doc.get("layers"), dict) else {}
            except (OSError, ValueError):
                self._layers = {}
        return self._layers

    def get(self, key: LayerKey) -> CachedLayer | None:
        if key.value is None:
            return None
        found = self._load().get(key.value)
        if not isinstance(found, dict):
            return None
        try:
            hit = CachedLayer(str(found["digest"]), int(found["size"]), str(found["diffId"]))  # type: ignore[call-overload]
        except (KeyError, TypeError, ValueError):
            return None
        found["used"] = time.time()
        self._dirty = True
        return hit

    def put(self, key: LayerKey, layer: CachedLayer) -> None:
        if key.value is None:
            return
        self._load()[key.value] = {
            "digest": layer.digest,
            "size": layer.size,
            "diffId": layer.diff_id,
            "used": time.time(),
        }
        self._dirty = True

    def save(self) -> None:
        """Write atomically; errors are swallowed because the cache is only an optimisation."""
        if not self._dirty:
            return
        layers = self._load()
        if len(layers) > self.max_entries:
            newest = sorted(layers.items(), key=lambda kv: float(kv[1].get("used", 0)), reverse=True)  # type: ignore[arg-type]
            layers = dict(newest[: self.max_entries])
            self._layers = layers
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, json.dumps({"version": _VERSION, "layers": layers}), durable=False)
            self._dirty = False
