"""Uploads read from a regular file (a blob in the store): over plain HTTP its bytes go by ``sendfile``,
over TLS they are read and encrypted; both arrive whole, and a source shorter than its descriptor fails
clearly and leaves no blob on the registry (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from kitlab.errors import InvalidInput
from kitlab.modelkit.registry import RegistryClient
from tests.registry._helpers import MiB, client_for, file_sha256, make_client
from tests.support.registry import RunningRegistry

# Small limits so the chunked path (PATCH pieces, then a closing PUT) runs on a few MiB.
SMALL = {"monolithic_limit": 4 * MiB, "chunk_size": 2 * MiB}


@pytest.fixture(params=["plain", "tls"])
def client(
    request: pytest.FixtureRequest,
    registries: dict[str, RunningRegistry],
    https_registry: RunningRegistry,
) -> Iterator[RegistryClient]:
    if request.param == "plain":
        made = make_client(registries["none"], "fromfile/repo", **SMALL)
    else:
        tls = str(https_registry.tls.ca)
        made = client_for(https_registry.host, "fromfile/repo", tls_verify=tls, **SMALL)
    with made:
        yield made


def _opener(path: Path, opened: list[BinaryIO]):
    def open_at(offset: int) -> BinaryIO:
        fh = path.open("rb")
        fh.seek(offset)
        opened.append(fh)
        return fh

    return open_at


@pytest.mark.parametrize("size", [3 * MiB, 7 * MiB], ids=["one PUT", "PATCH chunks"])
def test_a_file_source_arrives_whole(client: RegistryClient, blob_factory, tmp_path: Path, size: int) -> None:
    blob = blob_factory(size)
    opened: list[BinaryIO] = []
    assert client.upload_blob(blob.digest, blob.size, _opener(blob.path, opened)) is True
    assert all(fh.closed for fh in opened)
    dest = client.fetch_blob(blob.digest, tmp_path / "back.bin", size=blob.size)
    assert file_sha256(dest) == blob.digest


def test_a_file_shorter_than_its_descriptor_fails_and_nothing_is_stored(
    client: RegistryClient, blob_factory
) -> None:
    blob = blob_factory(3 * MiB)
    opened: list[BinaryIO] = []
    with pytest.raises(InvalidInput, match=f"ended {MiB} bytes early"):
        client.upload_blob(blob.digest, blob.size + MiB, _opener(blob.path, opened))
    assert all(fh.closed for fh in opened)
    assert not client.blob_exists(blob.digest)
