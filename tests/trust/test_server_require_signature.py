"""The administrator's `require_signature` with `trusted_keys` (docs/trust.md), through the REST API with
authentication on: pull and unpack jobs refuse unsigned, wrongly signed and locally packed kits before
anything is downloaded or written, and accept a kit signed by a trusted key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from traitlets import TraitError
from traitlets.config import Config

from kitlab.errors import NotFound
from kitlab.modelkit.reference import parse_reference
from kitlab.modelkit.registry import Remote
from kitlab.server.settings import Kitlab
from kitlab.trust import generate_key_pair, load_private_key, sign
from tests.support.cli import kitlab
from tests.support.jobs import call, run_job, wait_job
from tests.support.registry import RunningRegistry
from tests.trust._helpers import Cosign, child_project, tiny_project

KEY_PASSWORD = b"admin key"


@pytest.fixture
def trusted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_key_pair(tmp_path_factory.mktemp("trusted"), KEY_PASSWORD).private_path.parent


@pytest.fixture
def jp_server_config(jp_server_config: dict, trusted: Path) -> dict:
    return {
        **jp_server_config,
        "Kitlab": {
            "require_signature": True,
            "trusted_keys": [str(trusted / "cosign.pub")],
            "signing_key": str(trusted / "cosign.key"),
        },
    }


def test_trusted_keys_are_read_when_the_server_starts(tmp_path: Path):
    (tmp_path / "not-a-key.pub").write_text("hello")
    with pytest.raises(TraitError, match=r"Kitlab\.trusted_keys: .*not a PEM public key"):
        Kitlab(config=Config({"Kitlab": {"trusted_keys": [str(tmp_path / "not-a-key.pub")]}}))


async def test_pull_and_unpack_jobs_take_only_kits_signed_by_a_trusted_key(
    jp_fetch, jp_root_dir: Path, trusted: Path, plain_registry: RunningRegistry, tmp_path, capsys
):
    project = tiny_project(jp_root_dir / "project")
    unsigned = f"{plain_registry.host}/trust/server-unsigned:v1"
    signed = f"{plain_registry.host}/trust/server-signed:v1"
    other = f"{plain_registry.host}/trust/server-other-key:v1"
    for ref in (unsigned, signed, other):
        assert kitlab(capsys, "pack", str(project), "-t", ref, "--push", "--plain-http")[0] == 0
    remote = Remote(plain_http=True)
    sign(signed, load_private_key(trusted / "cosign.key", KEY_PASSWORD), remote=remote)
    stranger = generate_key_pair(tmp_path / "stranger", b"x")
    sign(other, load_private_key(stranger.private_path, b"x"), remote=remote)

    for ref, message in ((unsigned, "is not signed"), (other, "none verifies with the given public key")):
        for kind, extra in (("pull", {}), ("unpack", {"path": "out"})):
            params = {"reference": ref, "plainHttp": True, **extra}
            done = await run_job(jp_fetch, kind, params)
            assert done["state"] == "failed"
            assert message in json.dumps(done["error"])
    _, kits = await call(jp_fetch, "kits")
    assert kits["kits"] == []
    assert not (jp_root_dir / "out").exists()

    params = {"reference": signed, "plainHttp": True}
    done = await run_job(jp_fetch, "pull", params)
    assert done["state"] == "succeeded", done["error"]
    # Already in the store: the unpack checks the stored digest's signature on the registry again.
    params = {"reference": signed, "plainHttp": True, "path": "signed"}
    done = await run_job(jp_fetch, "unpack", params)
    assert done["state"] == "succeeded", done["error"]
    assert (jp_root_dir / "signed" / "model.bin").read_text() == "weights"

    # A kit packed here has no signature at all: refused.
    assert kitlab(capsys, "pack", str(project), "-t", "local/tiny:v1")[0] == 0
    params = {"reference": "local/tiny:v1", "path": "local"}
    done = await run_job(jp_fetch, "unpack", params)
    assert done["state"] == "failed"
    assert "was packed locally and carries no signature" in json.dumps(done["error"])
    assert not (jp_root_dir / "local").exists()


async def test_push_jobs_sign_with_the_servers_key_when_asked(
    jp_fetch, jp_root_dir: Path, trusted: Path, plain_registry: RunningRegistry, cosign: Cosign, monkeypatch
):
    tiny_project(jp_root_dir / "project")
    ref = f"{plain_registry.host}/trust/server-signs:v1"
    params = {"path": "project", "reference": ref, "plainHttp": True, "sign": True}

    # Without the key's password in the server's environment: refused before anything is pushed.
    monkeypatch.delenv("COSIGN_PASSWORD", raising=False)
    done = await run_job(jp_fetch, "pack-push", params)
    assert done["state"] == "failed"
    assert "COSIGN_PASSWORD" in done["error"]["message"]
    with Remote(plain_http=True).client(parse_reference(ref)) as client, pytest.raises(NotFound):
        client.get_manifest("v1")

    monkeypatch.setenv("COSIGN_PASSWORD", KEY_PASSWORD.decode())
    _, job = await call(jp_fetch, "jobs", method="POST", body={"kind": "pack-push", "params": params})
    done = await wait_job(jp_fetch, job["id"])
    assert done["state"] == "succeeded", done["error"]
    assert done["result"]["signature"]["tag"].endswith(".sig")
    assert KEY_PASSWORD.decode() not in json.dumps(done)
    verified = cosign.verify(ref, trusted / "cosign.pub")
    assert verified.returncode == 0, verified.stderr
    assert (
        json.loads(verified.stdout)[0]["critical"]["image"]["docker-manifest-digest"]
        == done["result"]["digest"]
    )
    # The job attached the signed SBOM and the workspace's provenance too, as cosign reads them.
    assert done["result"]["signature"]["attestations"] == [
        "https://cyclonedx.org/bom",
        "https://slsa.dev/provenance/v1",
    ]
    for kind in ("cyclonedx", "slsaprovenance1"):
        checked = cosign.run(
            "verify-attestation", "--type", kind, "--key", str(trusted / "cosign.pub"), *cosign.offline(), ref
        )
        assert checked.returncode == 0, checked.stderr


async def test_a_verified_unpack_notebook_names_the_signer_and_the_provenance(
    jp_fetch, jp_root_dir: Path, trusted: Path, plain_registry: RunningRegistry, capsys
):
    from kitlab.trust.attest import PREDICATE_SLSA_PROVENANCE_V1, attest
    from kitlab.trust.provenance import provenance

    project = tiny_project(jp_root_dir / "project")
    (project / "train.py").write_text("print('train')\n")
    ref = f"{plain_registry.host}/trust/server-notebook:v1"
    assert kitlab(capsys, "pack", str(project), "-t", ref, "--push", "--plain-http")[0] == 0
    remote = Remote(plain_http=True)
    key = load_private_key(trusted / "cosign.key", KEY_PASSWORD)
    sign(ref, key, remote=remote)
    attest(ref, key, PREDICATE_SLSA_PROVENANCE_V1, provenance(project, ref), remote=remote)

    params = {"reference": ref, "plainHttp": True, "path": "pulled", "notebook": True}
    done = await run_job(jp_fetch, "unpack", params)
    assert done["state"] == "succeeded", done["error"]
    notebook = json.loads((jp_root_dir / done["result"]["notebook"]).read_text())
    first = "".join(notebook["cells"][0]["source"])
    assert first.startswith("## Signature verified")
    assert "by the public key `cosign.pub`" in first
    assert "checked by this server against its trusted keys" in first
    assert "`train.py` (sha256" in first


async def test_jobs_report_the_verified_signer_in_their_result(jp_fetch, trusted: Path, push_kit):
    from kitlab.trust import load_public_key
    from kitlab.trust.summary import key_fingerprint

    ref = push_kit("trust/server-summary")
    sign(ref, load_private_key(trusted / "cosign.key", KEY_PASSWORD), remote=Remote(plain_http=True))

    params = {"reference": ref, "plainHttp": True, "verify": True, "path": "out"}
    done = await run_job(jp_fetch, "unpack", params)
    assert done["state"] == "succeeded", done["error"]
    signature = done["result"]["signature"]
    assert signature["verified"] is True
    assert signature["key"] == "cosign.pub"
    assert signature["fingerprint"] == key_fingerprint(load_public_key(trusted / "cosign.pub"))
    assert signature["digest"] == done["result"]["digest"]


async def test_an_unpack_from_the_store_checks_each_parent_kit_too(
    jp_fetch, jp_root_dir: Path, trusted: Path, plain_registry: RunningRegistry, capsys
):
    """A stored child kit takes its model from the parent its Kitfile names: with require_signature the
    unpack checks the parent's stored digest against its registry as well, not only the child's."""
    remote = Remote(plain_http=True)
    key = load_private_key(trusted / "cosign.key", KEY_PASSWORD)
    project = tiny_project(jp_root_dir / "parent-project", "parent weights", name="base")
    parent = f"{plain_registry.host}/trust/server-parent:v1"
    assert kitlab(capsys, "pack", str(project), "-t", parent, "--push", "--plain-http")[0] == 0
    child_dir = child_project(jp_root_dir / "child-project", parent)
    child = f"{plain_registry.host}/trust/server-child:v1"
    # Packing a child needs its parent in the store; pulled without a check, as `kit pull` would.
    assert kitlab(capsys, "pull", parent, "--plain-http")[0] == 0
    assert kitlab(capsys, "pack", str(child_dir), "-t", child, "--push", "--plain-http")[0] == 0
    assert kitlab(capsys, "pull", child, "--plain-http")[0] == 0
    sign(child, key, remote=remote)  # the child is signed, its parent not yet
    _, kits = await call(jp_fetch, "kits")
    assert {k["repository"].rsplit("/", 1)[1] for k in kits["kits"]} >= {"server-parent", "server-child"}

    params = {"reference": child, "plainHttp": True, "path": "chain"}
    done = await run_job(jp_fetch, "unpack", params)
    assert done["state"] == "failed"
    message = done["error"]["message"]
    assert f"parent kit of {parse_reference(child).display()}" in message
    assert "is not signed" in message
    assert not (jp_root_dir / "chain").exists()

    # A parent signed by a stranger is no better.
    stranger = generate_key_pair(jp_root_dir.parent / "stranger", b"x")
    sign(parent, load_private_key(stranger.private_path, b"x"), remote=remote)
    done = await run_job(jp_fetch, "unpack", params)
    assert done["state"] == "failed"
    assert "none verifies" in done["error"]["message"]

    sign(parent, key, remote=remote)
    done = await run_job(jp_fetch, "unpack", params)
    assert done["state"] == "succeeded", done["error"]
    assert (jp_root_dir / "chain" / "model.bin").read_text() == "parent weights"
