"""Retry, resume and verification under injected faults (a TCP proxy in front of the real registry)."""

from __future__ import annotations

import time

import pytest

from kitlab.errors import Cancelled
from kitlab.modelkit.registry import (
    DigestMismatch,
    RegistryUnavailable,
    RegistryUnreachable,
    RetryPolicy,
)
from kitlab.modelkit.registry.transport import retry_after_seconds
from kitlab.progress import CancelToken, ProgressEvent
from tests.registry._helpers import FAST_RETRY, MiB, client_for, file_sha256, make_client
from tests.support.registry import free_port

# Small chunks keep the chunked path fast: 12 MiB in three 4 MiB PATCHes.
CHUNKED = {"chunk_size": 4 * MiB, "monolithic_limit": 1 * MiB}


def _patches(proxy):
    return [m for m, _ in proxy.requests if m == "PATCH"]


def test_drop_between_chunks_resumes_at_the_registrys_offset(registry, proxy_for, blob_factory, tmp_path):
    blob = blob_factory(12 * MiB)
    proxy = proxy_for(registry)
    # The 2nd PATCH dies right after its headers: the registry kept exactly chunk 1.
    proxy.drop_during("PATCH", after_body_bytes=0, nth=2)
    with make_client(registry, "faults/resume", host=proxy.host, **CHUNKED) as client:
        assert client.upload_blob(blob.digest, blob.size, blob.open_at)
        statuses = [m for m, path in proxy.requests if m == "GET" and "/blobs/uploads/" in path]
        assert statuses == ["GET"]  # asked the registry where to go on
        assert blob.opened_at == [0, 4 * MiB]  # resumed from its Range, not from zero
        assert len(_patches(proxy)) == 4  # 1, the dropped one, then 2 and 3
        assert proxy.bytes_up < blob.size + 1 * MiB
        dest = client.fetch_blob(blob.digest, tmp_path / "resumed.bin", size=blob.size)
    assert file_sha256(dest) == blob.digest


def test_drop_inside_a_chunk_recovers_with_a_new_session(registry, proxy_for, blob_factory):
    """distribution 2.8 keeps the partial chunk, then refuses the session ("upload resumed at wrong
    offset") and deletes it; the client sees that in the status answer and starts over."""
    blob = blob_factory(12 * MiB)
    proxy = proxy_for(registry)
    proxy.drop_during("PATCH", after_body_bytes=3 * MiB, nth=2)
    with make_client(registry, "faults/restart", host=proxy.host, **CHUNKED) as client:
        assert client.upload_blob(blob.digest, blob.size, blob.open_at)
        assert blob.opened_at == [0, 0]
        assert [m for m, _ in proxy.requests].count("POST") == 2
        assert client.blob_exists(blob.digest)


def test_dropped_monolithic_put_is_retried(registry, proxy_for, blob_factory):
    blob = blob_factory(2 * MiB)
    proxy = proxy_for(registry)
    with make_client(registry, "faults/mono", host=proxy.host) as client:
        client.blob_exists(blob.digest)  # settle auth first so the byte count below hits the PUT
        proxy.drop_after(1 * MiB)
        assert client.upload_blob(blob.digest, blob.size, blob.open_at)
        assert blob.opened_at == [0, 0]
        assert client.blob_exists(blob.digest)


def test_503_burst_is_retried(registry, proxy_for, blob_factory):
    blob = blob_factory(256 * 1024)
    proxy = proxy_for(registry)
    with make_client(registry, "faults/busy", host=proxy.host) as client:
        proxy.fail_next(3)
        assert client.upload_blob(blob.digest, blob.size, blob.open_at)
        assert client.blob_exists(blob.digest)
    assert len(proxy.requests) >= 3 + 3  # the three refused, then HEAD, POST, PUT at least


def test_retry_after_is_honoured(registries, proxy_for):
    registry = registries["none"]
    proxy = proxy_for(registry)
    with make_client(registry, "faults/later", host=proxy.host) as client:
        client.blob_exists("sha256:" + "6" * 64)
        proxy.fail_next(1, status=429, retry_after=1)
        started = time.monotonic()
        assert client.blob_exists("sha256:" + "6" * 64) is False
        assert time.monotonic() - started >= 1.0  # the policy's own backoff is 10 ms
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("7") == 7.0


def test_persistent_503_gives_a_clear_error(registry, proxy_for):
    proxy = proxy_for(registry)
    with make_client(registry, "faults/down", host=proxy.host) as client:
        proxy.fail_next(100)
        with pytest.raises(RegistryUnavailable, match=r"unavailable.*retry later"):
            client.get_manifest("latest")
    assert len(proxy.requests) == FAST_RETRY.attempts


def test_stalled_response_times_out_and_is_retried(registry, proxy_for):
    proxy = proxy_for(registry)
    with make_client(registry, "faults/stall", host=proxy.host, timeout=(2, 0.5)) as client:
        client.blob_exists("sha256:" + "7" * 64)
        proxy.stall_next(1.5)
        started = time.monotonic()
        assert client.blob_exists("sha256:" + "7" * 64) is False
        assert 0.5 <= time.monotonic() - started < 1.5


def test_connection_refused_says_cannot_reach():
    host = f"127.0.0.1:{free_port()}"
    client = client_for(host, "x/y", plain_http=True)
    with client, pytest.raises(RegistryUnreachable, match=f"cannot reach {host}"):
        client.blob_exists("sha256:" + "0" * 64)


def test_interrupted_fetch_resumes_from_the_part_file(registry, proxy_for, stored_blob, tmp_path):
    blob = stored_blob("faults/pull", 12 * MiB)
    proxy = proxy_for(registry)
    with make_client(registry, "faults/pull", host=proxy.host) as client:
        client.blob_exists(blob.digest)
        proxy.drop_response_after(5 * MiB)
        dest = client.fetch_blob(blob.digest, tmp_path / "pulled.bin", size=blob.size)
    assert file_sha256(dest) == blob.digest
    assert not (tmp_path / "pulled.bin.part").exists()
    assert proxy.bytes_down < blob.size + 2 * MiB  # a restart would have cost 17 MiB


def test_a_drop_inside_a_piece_keeps_every_byte_received(registry, proxy_for, stored_blob, tmp_path):
    """Reads shorter than a piece are gathered before they are written and hashed; a drop in the middle
    of a piece still keeps them: the resume asks only for the rest, progress never goes back, and the
    blob verifies."""
    blob = stored_blob("faults/gather", 6 * MiB)
    proxy = proxy_for(registry)
    events: list[ProgressEvent] = []
    with make_client(registry, "faults/gather", host=proxy.host) as client:
        client.blob_exists(blob.digest)
        drop_at = 3 * MiB + 12_345  # counts the response head too; the drop falls inside a piece
        proxy.drop_response_after(drop_at)
        dest = client.fetch_blob(blob.digest, tmp_path / "pulled.bin", size=blob.size, progress=events.append)
    assert file_sha256(dest) == blob.digest
    [asked] = proxy.ranges  # one resume, from the first byte not received (the head is < 12,345 bytes)
    assert asked.startswith("bytes=")
    assert asked.endswith("-")
    assert drop_at - 12_345 < int(asked[6:-1]) < drop_at
    done = [event.done for event in events]
    assert done == sorted(done)
    assert done[-1] == blob.size


def test_existing_part_is_resumed_with_a_range_request(registry, proxy_for, stored_blob, tmp_path):
    blob = stored_blob("faults/part", 12 * MiB)
    (tmp_path / "model.bin.part").write_bytes(blob.path.read_bytes()[: 7 * MiB])
    proxy = proxy_for(registry)
    with make_client(registry, "faults/part", host=proxy.host) as client:
        dest = client.fetch_blob(blob.digest, tmp_path / "model.bin", size=blob.size)
    assert file_sha256(dest) == blob.digest
    assert proxy.bytes_down < 5 * MiB + 64 * 1024


def test_corrupted_download_is_rejected_and_nothing_kept(registry, proxy_for, stored_blob, tmp_path):
    blob = stored_blob("faults/corrupt", 6 * MiB)
    proxy = proxy_for(registry)
    with make_client(registry, "faults/corrupt", host=proxy.host) as client:
        client.blob_exists(blob.digest)
        proxy.corrupt_response_at(3 * MiB)
        with pytest.raises(DigestMismatch, match="failed verification"):
            client.fetch_blob(blob.digest, tmp_path / "bad.bin", size=blob.size)
        with pytest.raises(DigestMismatch, match=r"announced \d+ bytes for a blob of \d+ bytes"):
            client.fetch_blob(blob.digest, tmp_path / "short.bin", size=blob.size - 1)
        (tmp_path / "stale.bin.part").write_bytes(b"not the blob" * 1000)
        with pytest.raises(DigestMismatch):
            client.fetch_blob(blob.digest, tmp_path / "stale.bin", size=blob.size)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["blob-0.bin"])


def test_cancel_stops_an_upload_between_pieces(registry, blob_factory):
    blob = blob_factory(24 * MiB)
    token = CancelToken()
    events = []

    def progress(event):
        events.append(event)
        token.cancel()

    with make_client(registry, "faults/cancel", **CHUNKED) as client:
        with pytest.raises(Cancelled):
            client.upload_blob(blob.digest, blob.size, blob.open_at, progress=progress, cancel=token)
        assert not client.blob_exists(blob.digest)
    assert max(e.done for e in events) <= 8 * MiB


def test_retry_policy_backoff_is_bounded():
    policy = RetryPolicy(attempts=6, backoff=0.5, max_backoff=4)
    assert [policy.delay(n) for n in range(6)] == [0.5, 1.0, 2.0, 4, 4, 4]
