"""kitlab's signatures against the real cosign CLI, both ways, on a real registry (distribution 2.8, no
referrers API: cosign's .sig tag and the referrers tag schema), offline; and what fails, with which
message: a tampered manifest, a wrong key, a missing signature (docs/trust.md)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from kitlab.modelkit.reference import parse_reference
from kitlab.modelkit.registry import Remote
from kitlab.trust import BadKey, load_private_key
from tests.support.cli import kitlab
from tests.trust._helpers import PASSWORD, Cosign, child_project


@pytest.fixture
def keypair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """A key pair from `kitlab keygen`, in kit's home; returns the folder."""
    monkeypatch.setenv("COSIGN_PASSWORD", PASSWORD)
    code, out, err = kitlab(capsys, "keygen")
    assert code == 0, err
    folder = Path(os.environ["KITOPS_HOME"]) / "kitlab" / "keys"
    assert str(folder / "cosign.key") in out
    assert PASSWORD not in out + err
    return folder


def cosign_keypair(cosign: Cosign, where: Path) -> Path:
    where.mkdir()
    done = cosign.run("generate-key-pair", "--output-key-prefix", str(where / "cosign"))
    assert done.returncode == 0, done.stderr
    return where


def test_keygen_writes_a_private_key_cosign_opens(keypair: Path, cosign: Cosign, capsys):
    private = keypair / "cosign.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    # cosign decrypts it with the password and derives the same public key kitlab wrote.
    done = cosign.run("public-key", "--key", str(private))
    assert done.returncode == 0, done.stderr
    assert done.stdout == (keypair / "cosign.pub").read_text()
    # A wrong password fails cosign and kitlab alike; kitlab's message names the file, not the password.
    assert cosign.run("public-key", "--key", str(private), password="wrong").returncode != 0
    with pytest.raises(BadKey, match="wrong password") as caught:
        load_private_key(private, b"not the password")
    assert "not the password" not in caught.value.message
    # An existing pair is never overwritten silently.
    code, _, err = kitlab(capsys, "keygen")
    assert code == 1
    assert "already exists" in err


def test_kitlab_signs_and_cosign_verifies(keypair: Path, cosign: Cosign, push_kit, capsys):
    ref = push_kit("trust/kitlab-signs")
    code, out, err = kitlab(capsys, "sign", ref, "--key", str(keypair / "cosign.key"), "--plain-http")
    assert code == 0, err
    assert ".sig" in out
    assert PASSWORD not in out + err
    digest = out.split("(")[1].split(")")[0]

    done = cosign.verify(ref, keypair / "cosign.pub")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)[0]
    assert payload["critical"]["image"]["docker-manifest-digest"] == digest
    assert payload["critical"]["identity"]["docker-reference"] == parse_reference(ref).repo_key

    # The OCI 1.1 form too: a referrer (here through the referrers tag schema) that cosign's
    # experimental OCI 1.1 verification finds.
    ref2 = push_kit("trust/kitlab-signs-oci11")
    args = ("sign", ref2, "--key", str(keypair / "cosign.key"), "--plain-http")
    code, out, err = kitlab(capsys, *args, "--registry-referrers-mode", "oci-1-1")
    assert code == 0, err
    assert "referrer sha256:" in out
    assert ".sig" not in out
    done = cosign.run(
        "verify", "--experimental-oci11", "--key", str(keypair / "cosign.pub"), "--insecure-ignore-tlog=true",
        "--allow-http-registry", ref2, experimental=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # and plain `cosign verify` (tag scheme) does not see it: the modes really differ.
    assert cosign.verify(ref2, keypair / "cosign.pub").returncode != 0


@pytest.mark.parametrize("mode", ["legacy", "oci-1-1"])
def test_cosign_signs_and_kitlab_verifies(mode: str, cosign: Cosign, push_kit, tmp_path, capsys, monkeypatch):
    keys = cosign_keypair(cosign, tmp_path / "cosign-keys")
    ref = push_kit(f"trust/cosign-signs-{mode}")
    done = cosign.sign(ref, keys / "cosign.key", f"--registry-referrers-mode={mode}", experimental=True)
    assert done.returncode == 0, done.stderr

    code, out, err = kitlab(capsys, "verify", ref, "--key", str(keys / "cosign.pub"), "--plain-http")
    assert code == 0, err
    assert out.startswith(f"Verified {ref} (sha256:")
    assert ("referrer sha256:" in out) == (mode == "oci-1-1")

    # kitlab also signs with the key cosign generated (its password from COSIGN_PASSWORD).
    monkeypatch.setenv("COSIGN_PASSWORD", PASSWORD)
    code, _, err = kitlab(capsys, "sign", ref, "--key", str(keys / "cosign.key"), "--plain-http")
    assert code == 0, err
    assert cosign.verify(ref, keys / "cosign.pub").returncode == 0


def test_a_missing_signature_fails_with_a_clear_message(keypair: Path, cosign: Cosign, push_kit, capsys):
    ref = push_kit("trust/unsigned")
    code, _, err = kitlab(capsys, "verify", ref, "--key", str(keypair / "cosign.pub"), "--plain-http")
    assert code == 1
    assert "is not signed: no signature under sha256-" in err
    assert "Verified" not in err
    done = cosign.verify(ref, keypair / "cosign.pub")
    assert done.returncode != 0
    assert "no signatures found" in done.stderr


def test_a_wrong_key_fails_with_a_clear_message(keypair: Path, cosign: Cosign, push_kit, tmp_path, capsys):
    ref = push_kit("trust/wrong-key")
    assert kitlab(capsys, "sign", ref, "--key", str(keypair / "cosign.key"), "--plain-http")[0] == 0
    other = cosign_keypair(cosign, tmp_path / "other-keys")
    code, out, err = kitlab(capsys, "verify", ref, "--key", str(other / "cosign.pub"), "--plain-http")
    assert code == 1
    assert out == ""
    assert "has 1 signature but none verifies with the given public key" in err
    assert cosign.verify(ref, other / "cosign.pub").returncode != 0


def test_a_tampered_manifest_fails_with_a_clear_message(keypair: Path, cosign: Cosign, push_kit, capsys):
    ref = push_kit("trust/tampered", "weights")
    assert kitlab(capsys, "sign", ref, "--key", str(keypair / "cosign.key"), "--plain-http")[0] == 0
    parsed = parse_reference(ref)
    with Remote(plain_http=True).client(parsed) as client:
        _, _, signed_digest = client.get_manifest("v1")
        signature, sig_type, _ = client.get_manifest(f"{signed_digest.replace(':', '-')}.sig")

        # Someone changes the kit under the tag: an annotation added to the manifest (same layers).
        body, media_type, _ = client.get_manifest("v1")
        manifest = json.loads(body)
        manifest["annotations"] = {"changed.by": "someone else"}
        tampered = client.put_manifest("v1", json.dumps(manifest).encode(), media_type)
        assert tampered != signed_digest
        code, _, err = kitlab(capsys, "verify", ref, "--key", str(keypair / "cosign.pub"), "--plain-http")
        assert code == 1
        assert f"({tampered}) is not signed" in err
        assert cosign.verify(ref, keypair / "cosign.pub").returncode != 0

        # ... and copies the old signature beside it: the signature covers the old digest only.
        client.put_manifest(f"{tampered.replace(':', '-')}.sig", signature, sig_type)
    code, _, err = kitlab(capsys, "verify", ref, "--key", str(keypair / "cosign.pub"), "--plain-http")
    assert code == 1
    assert f"is {tampered}, but its signature covers {signed_digest}" in err
    assert "changed after it was signed" in err
    assert cosign.verify(ref, keypair / "cosign.pub").returncode != 0


def test_pull_verify_leaves_the_store_unchanged_unless_the_signature_verifies(
    keypair: Path, cosign: Cosign, push_kit, tmp_path, capsys
):
    unsigned = push_kit("trust/pull-unsigned")
    storage = Path(os.environ["KITOPS_HOME"]) / "storage"

    def stored() -> list[str]:
        return (
            sorted(str(p.relative_to(storage)) for p in storage.rglob("*") if p.is_file())
            if storage.exists()
            else []
        )

    before = stored()
    pub = str(keypair / "cosign.pub")
    code, out, err = kitlab(
        capsys, "pull", unsigned, "--verify", pub, "--plain-http", "-d", str(tmp_path / "u")
    )
    assert code == 1
    assert "is not signed" in err
    assert "Pulled" not in out
    assert stored() == before
    assert not (tmp_path / "u").exists()

    signed = push_kit("trust/pull-signed")
    other = cosign_keypair(cosign, tmp_path / "other-keys")
    assert cosign.sign(signed, other / "cosign.key").returncode == 0
    code, out, err = kitlab(capsys, "pull", signed, "--verify", pub, "--plain-http")
    assert code == 1
    assert "none verifies with the given public key" in err
    assert stored() == before

    dest = tmp_path / "signed"
    code, out, err = kitlab(
        capsys, "pull", signed, "--verify", str(other / "cosign.pub"), "--plain-http", "-d", str(dest)
    )
    assert code == 0, err
    assert out.startswith(f"Verified {signed} (sha256:")
    assert f"Pulled {signed}" in out
    assert (dest / "model.bin").read_text() == "weights"
    code, out, _ = kitlab(capsys, "list", "--format", "json")
    assert json.loads(out)[0]["tags"] == ["v1"]


# ----------------------------------------------------------------------- a registry with referrers API
def test_on_a_referrers_registry_kitlab_signs_both_ways_and_cosign_verifies_each(
    keypair: Path, cosign: Cosign, push_kit, referrers_registry: str, capsys
):
    ref = push_kit("trust/referrers-kitlab", host=referrers_registry)
    code, out, err = kitlab(capsys, "sign", ref, "--key", str(keypair / "cosign.key"), "--plain-http")
    assert code == 0, err
    # auto: cosign's .sig tag (what `cosign verify` reads by default) and a referrer the API lists.
    assert ".sig, referrer sha256:" in out
    referrer = out.rsplit("referrer ", 1)[1].strip()
    digest = out.split("(")[1].split(")")[0]
    with Remote(plain_http=True).client(parse_reference(ref)) as client:
        t = client.transport
        listed = t.request("GET", t.url(f"/v2/trust/referrers-kitlab/referrers/{digest}")).json()
        assert [m["digest"] for m in listed["manifests"]] == [referrer]
        assert "sha256-" + digest.split(":")[1] not in client.list_tags()  # no fallback index needed
    assert cosign.verify(ref, keypair / "cosign.pub").returncode == 0
    done = cosign.run(
        "verify", "--experimental-oci11", "--key", str(keypair / "cosign.pub"), "--insecure-ignore-tlog=true",
        "--allow-http-registry", ref, experimental=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_on_a_referrers_registry_kitlab_finds_cosigns_referrer(
    cosign: Cosign, push_kit, referrers_registry: str, tmp_path, capsys
):
    keys = cosign_keypair(cosign, tmp_path / "cosign-keys")
    ref = push_kit("trust/referrers-cosign", host=referrers_registry)
    done = cosign.sign(ref, keys / "cosign.key", "--registry-referrers-mode=oci-1-1", experimental=True)
    assert done.returncode == 0, done.stderr
    with Remote(plain_http=True).client(parse_reference(ref)) as client:
        assert client.list_tags() == ["v1"]  # only the referrers API knows the signature
    code, out, err = kitlab(capsys, "verify", ref, "--key", str(keys / "cosign.pub"), "--plain-http")
    assert code == 0, err
    assert "(referrer sha256:" in out


def test_pull_verify_checks_every_parent_kit_before_downloading(
    keypair: Path, push_kit, plain_registry, tmp_path, capsys, monkeypatch
):
    """A child kit takes its model from the parent its Kitfile names by tag, which the child's signature
    does not cover: the parent must be signed by the trusted key too."""
    parent = push_kit("trust/parent")
    child_dir = child_project(tmp_path / "child", parent)
    child = f"{plain_registry.host}/trust/child:v1"
    # Packing a child needs its parent in the store: pack in a scratch home, pull into a fresh one.
    monkeypatch.setenv("KITOPS_HOME", str(tmp_path / "packing-home"))
    assert kitlab(capsys, "pull", parent, "--plain-http")[0] == 0
    code, _, err = kitlab(capsys, "pack", str(child_dir), "-t", child, "--push", "--plain-http")
    assert code == 0, err
    monkeypatch.setenv("KITOPS_HOME", str(tmp_path / "fresh-home"))
    key, pub = str(keypair / "cosign.key"), str(keypair / "cosign.pub")
    assert kitlab(capsys, "sign", child, "--key", key, "--plain-http")[0] == 0
    storage = Path(os.environ["KITOPS_HOME"]) / "storage"

    code, out, err = kitlab(capsys, "pull", child, "--verify", pub, "--plain-http")
    assert code == 1
    assert f"parent kit of {child}" in err
    assert "is not signed" in err
    assert "Pulled" not in out
    assert not (storage / "blobs").exists() or not any((storage / "blobs").rglob("*"))

    assert kitlab(capsys, "sign", parent, "--key", key, "--plain-http")[0] == 0
    code, out, err = kitlab(capsys, "pull", child, "--verify", pub, "--plain-http")
    assert code == 0, err
    code, out, _ = kitlab(capsys, "list", "--format", "json")
    assert sorted(k["repo"].rsplit("/", 1)[1] for k in json.loads(out)) == ["child", "parent"]
