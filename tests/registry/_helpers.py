"""Helpers shared by the registry tests (plain functions; fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from kitlab.modelkit.registry import Credential, RegistryClient, Remote, RetryPolicy, Secret
from tests.support.registry import RunningRegistry

MiB = 1 << 20
FAST_RETRY = RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.05)


def credential_of(reg: RunningRegistry) -> Credential:
    if reg.username is None or reg.password is None:
        return Credential()
    return Credential(username=reg.username, password=Secret(reg.password))


_CLIENT_OPTIONS = ("chunk_size", "monolithic_limit", "budget", "cancel")


def client_for(host: str, repository: str, **kw: Any) -> RegistryClient:
    """A client; ``kw`` mixes ``Remote`` fields (network options) and the client's own options."""
    own = {k: kw.pop(k) for k in _CLIENT_OPTIONS if k in kw}
    kw.setdefault("retries", FAST_RETRY)
    return RegistryClient(host, repository, Remote(**kw), **own)


def make_client(
    reg: RunningRegistry, repository: str, *, host: str | None = None, **kw: Any
) -> RegistryClient:
    kw.setdefault("credentials", credential_of(reg))
    kw.setdefault("plain_http", True)
    return client_for(host or reg.host, repository, **kw)


class BoundedReader(io.RawIOBase):
    """A file that refuses unbounded ``read()`` and records the largest read: proof of streaming."""

    def __init__(self, path: Path, offset: int, reads: list[int]) -> None:
        self._fh = path.open("rb")
        self._fh.seek(offset)
        self._reads = reads

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise AssertionError("the whole blob was read into memory")
        self._reads.append(size)
        return self._fh.read(size)

    def close(self) -> None:
        self._fh.close()
        super().close()


@dataclass
class Blob:
    path: Path
    digest: str
    size: int
    opened_at: list[int]
    reads: list[int] = field(default_factory=list)

    def open_at(self, offset: int) -> BinaryIO:
        self.opened_at.append(offset)
        return BoundedReader(self.path, offset, self.reads)  # type: ignore[return-value]


def make_blob(path: Path, size: int) -> Blob:
    h = hashlib.sha256()
    with path.open("wb") as fh:
        left = size
        while left:
            piece = os.urandom(min(left, 8 * MiB))
            fh.write(piece)
            h.update(piece)
            left -= len(piece)
    return Blob(path, "sha256:" + h.hexdigest(), size, [])


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while data := fh.read(8 * MiB):
            h.update(data)
    return "sha256:" + h.hexdigest()
