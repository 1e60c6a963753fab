"""Signed attestations as cosign stores them: a CycloneDX 1.6 SBOM and SLSA v1 provenance from
`kitlab attest`, accepted by the real `cosign verify-attestation` and downloadable with
`cosign download attestation` (docs/trust.md, "Attestations")."""

from __future__ import annotations

import base64
import hashlib
import json
import platform
import struct
import subprocess
from pathlib import Path

import pytest

from kitlab.modelkit.reference import parse_reference
from kitlab.modelkit.registry import Remote
from tests.support.cli import kitlab
from tests.support.registry import RunningRegistry
from tests.trust._helpers import PASSWORD, Cosign


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from kitlab.trust import generate_key_pair

    monkeypatch.setenv("COSIGN_PASSWORD", PASSWORD)
    return generate_key_pair(tmp_path / "keys", PASSWORD.encode()).private_path.parent


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A git workspace with a notebook whose code cell (run as [7]) writes the model, a script, a
    half-precision safetensors model of 6 parameters and a dataset."""
    root = tmp_path / "workspace"
    (root / "data").mkdir(parents=True)
    header = json.dumps({"w": {"dtype": "F16", "shape": [2, 3], "data_offsets": [0, 12]}}).encode()
    (root / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bytes(12))
    (root / "data" / "train.csv").write_text("a,b\n1,2\n")
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# Train"},
        {
            "cell_type": "code",
            "execution_count": 7,
            "metadata": {},
            "outputs": [],
            "source": 'from safetensors.numpy import save_file\nsave_file(tensors, "model.safetensors")',
        },
    ]
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook = {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}
    (root / "train.ipynb").write_text(json.dumps(notebook))
    (root / "prep.py").write_text("import requests\n\nprint(requests.__name__)\n")
    (root / "Kitfile").write_text(
        "manifestVersion: 1.0.0\npackage:\n  name: churn\n  license: Apache-2.0\n"
        "model:\n  name: churn-model\n  path: model.safetensors\n  framework: scikit-learn\n"
        "datasets:\n  - name: train\n    path: data/train.csv\n"
        "code:\n  - path: prep.py\n"
    )
    for args in (
        ("init", "-q"),
        ("add", "."),
        ("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"),
    ):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)
    return root


def envelope_predicate(text: str) -> dict:
    """The in-toto statement of the first attestation in cosign's output (one JSON document per line: a
    DSSE envelope, or a Sigstore bundle holding one), read as docs/trust.md's jq reads it:
    ``jq -s 'map(.payload // .dsseEnvelope.payload | @base64d | fromjson)[0]'``."""
    document = json.loads(text.strip().splitlines()[0])
    return json.loads(base64.b64decode(document.get("payload") or document["dsseEnvelope"]["payload"]))


def test_sbom_and_provenance_attestations_pass_cosign_verify_attestation(
    keys: Path, cosign: Cosign, workspace: Path, plain_registry: RunningRegistry, capsys, tmp_path
):
    ref = f"{plain_registry.host}/trust/attested:v1"
    code, _, err = kitlab(capsys, "pack", str(workspace), "-t", ref, "--push", "--plain-http")
    assert code == 0, err
    key = str(keys / "cosign.key")
    for kind in ("sbom", "provenance", "sbom"):  # the second SBOM replaces the first
        code, out, err = kitlab(
            capsys, "attest", ref, "--key", key, "--type", kind, "--dir", str(workspace), "--plain-http"
        )
        assert code == 0, err
        assert PASSWORD not in out + err

    with Remote(plain_http=True).client(parse_reference(ref)) as client:
        manifest_bytes, _, digest = client.get_manifest("v1")
        att, _, _ = client.get_manifest(digest.replace(":", "-") + ".att")
    predicate_types = [layer["annotations"]["predicateType"] for layer in json.loads(att)["layers"]]
    assert predicate_types == ["https://slsa.dev/provenance/v1", "https://cyclonedx.org/bom"]

    pub = str(keys / "cosign.pub")
    base = ("--key", pub, *cosign.offline())
    done = cosign.run("verify-attestation", "--type", "cyclonedx", *base, ref)
    assert done.returncode == 0, done.stderr
    statement = envelope_predicate(done.stdout)
    assert statement["subject"][0]["digest"] == {"sha256": digest.split(":")[1]}
    bom = statement["predicate"]
    assert (bom["bomFormat"], bom["specVersion"]) == ("CycloneDX", "1.6")
    assert bom["metadata"]["component"]["hashes"][0]["content"] == digest.split(":")[1]
    by_type = {c["type"]: c for c in bom["components"] if c["type"] != "file"}
    assert by_type["machine-learning-model"]["name"] == "churn-model"
    assert {"name": "kitops:framework", "value": "scikit-learn"} in by_type["machine-learning-model"][
        "properties"
    ]
    assert by_type["data"]["name"] == "train"
    # The workspace's pinned requirements, from the interpreter the notebooks run on (the scanner's).
    from importlib.metadata import version

    libraries = [c for c in bom["components"] if c["type"] == "library"]
    assert f"pkg:pypi/requests@{version('requests')}" in [c["purl"] for c in libraries]
    layers = [c for c in bom["components"] if c["name"].startswith("layer ")]
    assert {c["hashes"][0]["content"] for c in layers} == {
        layer["digest"].split(":")[1] for layer in json.loads(manifest_bytes)["layers"]
    }
    # Every file inside the layers, with its own digest (read from the layers themselves).
    files = {
        c["name"]: c["hashes"][0]["content"]
        for c in bom["components"]
        if c.get("bom-ref", "").startswith("file:")
    }
    for name in ("model.safetensors", "data/train.csv", "prep.py"):
        assert files[name] == hashlib.sha256((workspace / name).read_bytes()).hexdigest(), name
    # What the scanner read from the weights: format, precision, parameters.
    model_props = {p["name"]: p["value"] for p in by_type["machine-learning-model"]["properties"]}
    assert model_props["kitops:format"] == "safetensors"
    assert model_props["kitops:precision"] == "float16"
    assert model_props["kitops:parameterCount"] == "6"
    assert bom["metadata"]["component"]["licenses"][0]["license"]["name"] == "Apache-2.0"

    done = cosign.run("verify-attestation", "--type", "slsaprovenance1", *base, ref)
    assert done.returncode == 0, done.stderr
    provenance = envelope_predicate(done.stdout)["predicate"]
    deps = provenance["buildDefinition"]["resolvedDependencies"]
    head = subprocess.run(["git", "-C", str(workspace), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert deps[0]["digest"] == {"gitCommit": head.stdout.strip()}
    assert deps[0]["annotations"] == {"dirty": False}
    notebook_digest = hashlib.sha256((workspace / "train.ipynb").read_bytes()).hexdigest()
    notebook = next(d for d in deps if d["uri"] == "train.ipynb")
    assert notebook["digest"]["sha256"] == notebook_digest
    # Which cell wrote the model: the first code cell, saved with the prompt [7].
    internal = provenance["buildDefinition"]["internalParameters"]
    (model,) = [a for a in internal["artifacts"] if a["path"] == "model.safetensors"]
    assert model["producedBy"] == [
        {
            "source": "train.ipynb",
            "sha256": notebook_digest,
            "code": 'save_file(tensors, "model.safetensors")',
            "cell": 1,
            "executionCount": 7,
        }
    ]
    assert internal["kernels"] == [{"name": "python3", "python": platform.python_version()}]
    assert provenance["runDetails"]["builder"]["id"].startswith("https://kitlab.dev/kitlab@")
    assert provenance["runDetails"]["metadata"]["startedOn"].endswith("Z")

    # cosign downloads the SBOM by its predicate type.
    done = cosign.download_attestation(ref, "https://cyclonedx.org/bom")
    assert done.returncode == 0, done.stderr
    assert envelope_predicate(done.stdout)["predicate"]["serialNumber"] == bom["serialNumber"]

    # Another key does not verify them.
    from kitlab.trust import generate_key_pair

    other = generate_key_pair(tmp_path / "other", b"x").public_path
    done = cosign.run(
        "verify-attestation", "--type", "cyclonedx", "--key", str(other), *cosign.offline(), ref
    )
    assert done.returncode != 0


def test_a_verified_pull_writes_who_signed_and_what_produced_it_into_the_notebook(
    keys: Path,
    cosign: Cosign,
    workspace: Path,
    plain_registry: RunningRegistry,
    capsys,
    tmp_path,
    monkeypatch,
):
    from kitlab.trust import generate_key_pair, load_public_key
    from kitlab.trust.summary import key_fingerprint

    ref = f"{plain_registry.host}/trust/notebook-note:v1"
    assert kitlab(capsys, "pack", str(workspace), "-t", ref, "--push", "--plain-http")[0] == 0
    key = str(keys / "cosign.key")
    assert kitlab(capsys, "sign", ref, "--key", key, "--plain-http")[0] == 0
    # Provenance signed by a stranger is not believed; the trusted key's is.
    stranger = generate_key_pair(tmp_path / "stranger", PASSWORD.encode()).private_path
    args = ("--type", "provenance", "--dir", str(workspace), "--plain-http")
    assert kitlab(capsys, "attest", ref, "--key", str(stranger), *args)[0] == 0

    def pulled_note(dest: Path) -> str:
        monkeypatch.setenv("KITOPS_HOME", str(dest.parent / (dest.name + "-home")))
        code, _, err = kitlab(
            capsys,
            "pull",
            ref,
            "--verify",
            str(keys / "cosign.pub"),
            "--plain-http",
            "-d",
            str(dest),
            "--notebook",
        )
        assert code == 0, err
        notebook = json.loads(next(dest.glob("*.ipynb")).read_text())
        return "".join(notebook["cells"][0]["source"])

    note = pulled_note(tmp_path / "first")
    assert note.startswith("## Signature verified")
    assert key_fingerprint(load_public_key(keys / "cosign.pub")) in note
    assert "No signed provenance is attached" in note

    assert kitlab(capsys, "attest", ref, "--key", key, *args)[0] == 0
    assert kitlab(capsys, "attest", ref, "--key", key, "--type", "sbom", "--plain-http")[0] == 0
    note = pulled_note(tmp_path / "second")
    head = subprocess.run(["git", "-C", str(workspace), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert f"git commit `{head.stdout.strip()}`" in note
    assert "(clean tree)" in note
    assert "`train.ipynb` (sha256" in note
    assert "- `model.safetensors` written by `train.ipynb` cell 1 [7]" in note
    assert f"- kernel `python3` (Python {platform.python_version()})" in note
    assert "A signed CycloneDX SBOM is attached" in note


@pytest.mark.parametrize("where", ["referrers API", "tag schema"])
def test_attestations_as_referrers_pass_cosign_verify_attestation_and_kitlab_reads_them(
    where: str,
    keys: Path,
    cosign: Cosign,
    workspace: Path,
    plain_registry: RunningRegistry,
    referrers_registry: str,
    capsys,
    tmp_path,
):
    """`kitlab attest --registry-referrers-mode oci-1-1` stores each attestation as cosign attest
    --new-bundle-format does: a Sigstore bundle referrer, listed by the referrers API (tools/ociregistry)
    or by the referrers tag schema's index (distribution 2.8), never under the .att tag."""
    from kitlab.trust import load_public_key
    from kitlab.trust.attest import verified_predicates

    host = referrers_registry if where == "referrers API" else plain_registry.host
    ref = f"{host}/trust/attested-referrer:v1"
    assert kitlab(capsys, "pack", str(workspace), "-t", ref, "--push", "--plain-http")[0] == 0
    key = str(keys / "cosign.key")
    for kind in ("sbom", "provenance", "sbom"):  # the second SBOM replaces the first
        code, out, err = kitlab(
            capsys, "attest", ref, "--key", key, "--type", kind, "--dir", str(workspace), "--plain-http",
            "--registry-referrers-mode", "oci-1-1",
        )  # fmt: skip
        assert code == 0, err
        assert "referrer sha256:" in out
        assert "under tag" not in out

    with Remote(plain_http=True).client(parse_reference(ref)) as client:
        _, _, digest = client.get_manifest("v1")
        tags = client.list_tags()
    fallback = [digest.replace(":", "-")] if where == "tag schema" else []
    assert sorted(tags) == sorted(["v1", *fallback])  # no sha256-<hex>.att

    pub = str(keys / "cosign.pub")
    base = ("--key", pub, "--new-bundle-format", *cosign.offline())
    for cosign_type, predicate_type in (
        ("cyclonedx", "https://cyclonedx.org/bom"),
        ("slsaprovenance1", "https://slsa.dev/provenance/v1"),
    ):
        done = cosign.run("verify-attestation", "--type", cosign_type, *base, ref)
        assert done.returncode == 0, done.stderr
        statement = envelope_predicate(done.stdout)
        assert statement["predicateType"] == predicate_type
        assert statement["subject"][0]["digest"] == {"sha256": digest.split(":")[1]}

    # `cosign download attestation` gives the bundle; the SBOM is inside its DSSE envelope.
    done = cosign.download_attestation(ref, "https://cyclonedx.org/bom")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 1  # the replaced SBOM is gone
    assert "dsseEnvelope" in json.loads(done.stdout.splitlines()[0])  # a bundle, not an envelope
    bom = envelope_predicate(done.stdout)["predicate"]
    assert (bom["bomFormat"], bom["specVersion"]) == ("CycloneDX", "1.6")

    # kitlab finds them the same way (the pull verdict and the notebook note read verified_predicates).
    remote = Remote(plain_http=True)
    predicates = verified_predicates(ref, load_public_key(keys / "cosign.pub"), remote=remote)
    assert set(predicates) == {"https://cyclonedx.org/bom", "https://slsa.dev/provenance/v1"}
    assert predicates["https://cyclonedx.org/bom"]["serialNumber"] == bom["serialNumber"]

    from kitlab.trust import generate_key_pair

    other = generate_key_pair(tmp_path / "other", b"x").public_path
    done = cosign.run(
        "verify-attestation", "--type", "cyclonedx", "--key", str(other), "--new-bundle-format",
        *cosign.offline(), ref,
    )  # fmt: skip
    assert done.returncode != 0
    assert verified_predicates(ref, load_public_key(other), remote=remote) == {}


def test_kitlab_reads_the_bundle_referrer_cosign_attest_writes(
    cosign: Cosign, workspace: Path, referrers_registry: str, capsys, tmp_path
):
    from kitlab.trust import load_public_key
    from kitlab.trust.attest import verified_predicates

    ref = f"{referrers_registry}/trust/cosign-bundle:v1"
    assert kitlab(capsys, "pack", str(workspace), "-t", ref, "--push", "--plain-http")[0] == 0
    keydir = tmp_path / "cosign-keys"
    keydir.mkdir()
    done = cosign.run("generate-key-pair", "--output-key-prefix", str(keydir / "cosign"))
    assert done.returncode == 0, done.stderr
    predicate = tmp_path / "bom.json"
    predicate.write_text('{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"urn:uuid:1"}')
    done = cosign.run(
        "attest", "--key", str(keydir / "cosign.key"), "--type", "cyclonedx", "--predicate", str(predicate),
        "--tlog-upload=false", "--allow-http-registry", "--new-bundle-format", ref,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Remote(plain_http=True).client(parse_reference(ref)) as client:
        assert client.list_tags() == ["v1"]  # only the referrers API knows the attestation
    predicates = verified_predicates(
        ref, load_public_key(keydir / "cosign.pub"), remote=Remote(plain_http=True)
    )
    assert predicates == {"https://cyclonedx.org/bom": json.loads(predicate.read_text())}
