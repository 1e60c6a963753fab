"""HTTPS registries: CA bundles, verification off, and client certificates (mutual TLS)."""

from __future__ import annotations

import pytest

from kitlab.modelkit.registry import RegistryUnreachable
from tests.registry._helpers import MiB, client_for
from tests.support.registry import run_registry


@pytest.fixture(scope="module")
def mtls_registry(tmp_path_factory):
    with run_registry("none", tmp_path_factory.mktemp("mtls"), tls=True, require_client_cert=True) as reg:
        yield reg


def _client(reg, **kw):
    return client_for(reg.host, "tls/repo", **kw)


def test_unknown_ca_is_refused_with_a_tls_hint(https_registry):
    with _client(https_registry) as client, pytest.raises(RegistryUnreachable, match="TLS handshake"):
        client.blob_exists("sha256:" + "0" * 64)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_ca_bundle_and_verification_off_both_work(https_registry, blob_factory):
    blob = blob_factory(1 * MiB)
    with _client(https_registry, tls_verify=str(https_registry.tls.ca)) as client:
        assert client.upload_blob(blob.digest, blob.size, blob.open_at)
    with _client(https_registry, tls_verify=False) as client:
        assert client.blob_exists(blob.digest)


def test_client_certificate_is_presented(mtls_registry):
    tls = mtls_registry.tls
    with _client(mtls_registry, tls_verify=str(tls.ca)) as client, pytest.raises(RegistryUnreachable):
        client.blob_exists("sha256:" + "0" * 64)
    with _client(
        mtls_registry, tls_verify=str(tls.ca), client_cert=(str(tls.client_cert), str(tls.client_key))
    ) as c:
        assert c.blob_exists("sha256:" + "0" * 64) is False
