"""Keys in JupyterLab and the Kits tab's verdict, through the REST API (docs/trust.md, "In JupyterLab"):
a password-protected key pair generated in kit's home (0600, a key cosign opens), a cosign key pair
imported from the workspace, trusted public keys pasted and removed — only public parts ever sent back —
and a kit's verdict (unsigned, verified by which key with its SBOM and provenance, invalid), cached per
digest until refreshed."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import tornado.httpclient

from kitlab.modelkit.reference import parse_reference
from kitlab.modelkit.registry import Remote
from kitlab.trust import generate_key_pair, load_private_key, sign
from kitlab.trust.summary import key_fingerprint
from tests.support.cli import kitlab
from tests.support.jobs import call, run_job, wait_job
from tests.support.registry import RunningRegistry
from tests.trust._helpers import PASSWORD, Cosign, tiny_project


async def refused(jp_fetch, *parts: str, method: str = "POST", body: dict | None = None) -> dict:
    with pytest.raises(tornado.httpclient.HTTPClientError) as excinfo:
        await call(jp_fetch, *parts, method=method, body=body)
    assert excinfo.value.code in (400, 403, 404, 409), excinfo.value.code
    return json.loads(excinfo.value.response.body)["error"]


async def test_key_pairs_are_generated_and_imported_in_kits_home_and_only_public_parts_are_sent(
    jp_fetch, jp_root_dir: Path, kitops_home: Path, cosign: Cosign
):
    code, made = await call(jp_fetch, "keys", method="POST", body={"name": "team", "password": PASSWORD})
    assert code == 201
    private = kitops_home / "kitlab" / "keys" / "team.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert key_fingerprint(load_private_key(private, PASSWORD.encode()).public_key()) == made["fingerprint"]
    done = cosign.run("public-key", "--key", str(private))  # cosign opens it with the same password
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == made["publicKey"].strip()

    error = await refused(jp_fetch, "keys", body={"name": "team", "password": "x"})
    assert "already exists" in error["message"]
    error = await refused(jp_fetch, "keys", body={"name": "../evil", "password": "x"})
    assert "name:" in error["message"]

    # A pair cosign generated in the workspace is imported; its password is not asked for.
    done = cosign.run("generate-key-pair", "--output-key-prefix", str(jp_root_dir / "ci"))
    assert done.returncode == 0, done.stderr
    code, imported = await call(jp_fetch, "keys", "import", method="POST", body={"path": "ci.key"})
    assert code == 201
    assert imported["name"] == "ci"
    assert stat.S_IMODE((kitops_home / "kitlab" / "keys" / "ci.key").stat().st_mode) == 0o600
    error = await refused(jp_fetch, "keys", "import", body={"path": "../outside.key"})
    assert error["code"] == "forbidden_path"
    (jp_root_dir / "notes.key").write_text("not a key")
    error = await refused(jp_fetch, "keys", "import", body={"path": "notes.key"})
    assert "not an encrypted cosign private key" in error["message"]

    _, listed = await call(jp_fetch, "keys")
    assert [k["name"] for k in listed["signingKeys"]] == ["ci", "team"]
    text = json.dumps(listed)
    assert "PRIVATE KEY" not in text
    assert PASSWORD not in text


async def test_trusted_keys_are_added_as_pem_and_removed(jp_fetch, kitops_home: Path, tmp_path: Path):
    pem = generate_key_pair(tmp_path / "release", b"pw").public_path.read_text()
    code, added = await call(
        jp_fetch, "keys", "trusted", method="POST", body={"name": "release", "publicKey": pem}
    )
    assert code == 201
    assert added["publicKey"] == pem
    _, listed = await call(jp_fetch, "keys")
    assert [k["name"] for k in listed["trustedKeys"]] == ["release"]
    error = await refused(jp_fetch, "keys", "trusted", body={"name": "bad", "publicKey": "hello"})
    assert "not a PEM public key" in error["message"]
    code, _ = await call(jp_fetch, "keys", "trusted", "release", method="DELETE")
    assert code == 204
    _, listed = await call(jp_fetch, "keys")
    assert listed["trustedKeys"] == []
    error = await refused(jp_fetch, "keys", "trusted", "release", method="DELETE")
    assert "no trusted key" in error["message"]


async def test_a_kits_verdict_names_the_key_and_carries_its_sbom_and_provenance(
    jp_fetch,
    jp_root_dir: Path,
    kitops_home: Path,
    plain_registry: RunningRegistry,
    tmp_path: Path,
    capsys,
    monkeypatch,
):
    project = tiny_project(jp_root_dir / "project")
    ref = f"{plain_registry.host}/trust/verdict:v1"
    assert kitlab(capsys, "pack", str(project), "-t", ref, "--push", "--plain-http")[0] == 0
    with Remote(plain_http=True).client(parse_reference(ref)) as client:
        _, _, digest = client.get_manifest("v1")
    pinned = f"{plain_registry.host}/trust/verdict@{digest}"
    query = {"reference": pinned, "plainHttp": "true"}

    error = await refused(jp_fetch, "trust", method="GET")
    assert "reference parameter is required" in error["message"]
    await call(jp_fetch, "keys", method="POST", body={"name": "mine", "password": PASSWORD})
    _, verdict = await call(jp_fetch, "trust", params=query)
    assert verdict["state"] == "unsigned"
    assert "is not signed" in verdict["message"]

    # Signed and attested with the user's own key: the cached verdict stands until refreshed.
    _, keys = await call(jp_fetch, "keys")
    (mine,) = keys["signingKeys"]
    key_path = kitops_home / "kitlab" / "keys" / "mine.key"
    sign(pinned, load_private_key(key_path, PASSWORD.encode()), remote=Remote(plain_http=True))
    monkeypatch.setenv("COSIGN_PASSWORD", PASSWORD)
    for kind in ("sbom", "provenance"):
        args = ("--type", kind, "--dir", str(project), "--plain-http")
        assert kitlab(capsys, "attest", pinned, "--key", str(key_path), *args)[0] == 0
    _, cached = await call(jp_fetch, "trust", params=query)
    assert cached["state"] == "unsigned"
    _, verdict = await call(jp_fetch, "trust", params={**query, "refresh": "true"})
    assert verdict["state"] == "verified"
    assert (verdict["key"], verdict["fingerprint"]) == ("mine (yours)", mine["fingerprint"])
    assert verdict["digest"] == digest
    assert verdict["sbom"]["metadata"]["component"]["hashes"][0]["content"] == digest.split(":")[1]
    assert verdict["provenance"]["buildDefinition"]["externalParameters"]["workspace"] == "project"

    # A stranger's signature on another kit: invalid, naming why.
    stranger = generate_key_pair(tmp_path / "stranger", b"x")
    other = f"{plain_registry.host}/trust/verdict-other:v1"
    (project / "model.bin").write_text("other weights")
    assert kitlab(capsys, "pack", str(project), "-t", other, "--push", "--plain-http")[0] == 0
    signed = sign(other, load_private_key(stranger.private_path, b"x"), remote=Remote(plain_http=True))
    _, verdict = await call(
        jp_fetch,
        "trust",
        params={
            "reference": f"{plain_registry.host}/trust/verdict-other@{signed.digest}",
            "plainHttp": "true",
        },
    )
    assert verdict["state"] == "invalid"
    assert "none verifies" in verdict["message"]


async def test_a_push_signs_with_the_users_key_and_its_password_is_never_kept(
    jp_fetch,
    jp_root_dir: Path,
    plain_registry: RunningRegistry,
    cosign: Cosign,
    tmp_path: Path,
    monkeypatch,
):
    monkeypatch.delenv("COSIGN_PASSWORD", raising=False)  # the server's own key is not used
    tiny_project(jp_root_dir / "project")
    _, mine = await call(jp_fetch, "keys", method="POST", body={"name": "mine", "password": PASSWORD})
    ref = f"{plain_registry.host}/trust/user-key:v1"
    params = {"path": "project", "reference": ref, "plainHttp": True, "sign": True, "signingKey": "mine"}

    # A wrong password fails the request itself: no job, nothing pushed.
    error = await refused(
        jp_fetch, "jobs", body={"kind": "pack-push", "params": {**params, "keyPassword": "no"}}
    )
    assert "wrong password" in error["message"]
    _, jobs = await call(jp_fetch, "jobs")
    assert jobs["jobs"] == []

    body = {"kind": "pack-push", "params": {**params, "keyPassword": PASSWORD}}
    _, job = await call(jp_fetch, "jobs", method="POST", body=body)
    done = await wait_job(jp_fetch, job["id"])
    assert done["state"] == "succeeded", done["error"]
    assert PASSWORD not in json.dumps(done)
    assert "keyPassword" not in done["params"]
    pub = tmp_path / "mine.pub"
    pub.write_text(mine["publicKey"])
    verified = cosign.verify(ref, pub)
    assert verified.returncode == 0, verified.stderr

    # The decrypted key served that job only: its params again are refused before any job exists, and
    # its token alone (without the key's name) fails the job before anything is pushed.
    error = await refused(jp_fetch, "jobs", body={"kind": "pack-push", "params": done["params"]})
    assert "both are needed" in error["message"]
    token_only = {k: v for k, v in done["params"].items() if k != "signingKey"}
    token_only["reference"] = f"{plain_registry.host}/trust/user-key-replayed:v1"
    failed = await run_job(jp_fetch, "pack-push", token_only)
    assert failed["state"] == "failed"
    assert "start the push again with its password" in failed["error"]["message"]
