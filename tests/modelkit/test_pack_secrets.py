"""Secrets on every pack path of the library and the CLI (issue 14): a Kitfile saved by hand with
``code: [{path: .}]`` in a folder holding a ``.env``, an SSH key and a notebook whose outputs carry
tokens. Plan names each file and why (never the secret), pack and pack-and-push stop before anything
is written or sent, and only an explicit override packs them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from kitlab.cli.main import main
from kitlab.modelkit.pack import pack, plan_pack
from kitlab.modelkit.packpush import pack_and_push
from kitlab.modelkit.registry import Remote
from kitlab.modelkit.remotekits import list_tags
from kitlab.modelkit.secrets import SecretsInLayers, find_kit_secrets
from kitlab.modelkit.store import LocalStore
from tests.support.registry import run_registry

# Built at run time so that no scanner mistakes the test source for a leak.
HF_TOKEN = "hf_" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa"
AWS_KEY = "AKIA" + "Q7RT5X2M9PL4ZK8W"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY12"
KEY_BODY = "b3BlbnNzaC1rZXktdjEAAAAA"
PRIVATE_KEY = f"-----BEGIN OPENSSH {'PRIVATE'} KEY-----\n{KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n"
SECRET_TEXTS = (HF_TOKEN, AWS_KEY, AWS_SECRET, KEY_BODY)

KITFILE = """\
manifestVersion: 1.0.0
package:
  name: leaky
model:
  path: model.bin
code:
  - path: .
"""


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "kitops")


def leaky_folder(root: Path, *, big_output: bool = False) -> Path:
    """The folder of the issue: secrets by name, by content, and in notebook outputs."""
    folder = root / "project"
    folder.mkdir(parents=True)
    (folder / "Kitfile").write_text(KITFILE)
    (folder / "model.bin").write_bytes(b"\0weights" * 64)
    (folder / "train.py").write_text("print('train')\n")
    (folder / ".env").write_text(f"AWS_ACCESS_KEY_ID={AWS_KEY}\naws_secret_access_key={AWS_SECRET}\n")
    (folder / ".env.example").write_text("AWS_ACCESS_KEY_ID=\n")  # a template, not a secret
    (folder / "keys").mkdir()
    (folder / "keys" / "id_ed25519").write_text(PRIVATE_KEY)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("import os\nprint(os.environ)")
    padding = ["x" * 1000 + "\n"] * (1500 if big_output else 0)  # past the workspace scan's 1 MB
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="".join(padding)),
        nbformat.v4.new_output(
            "execute_result",
            data={"text/plain": f"{{'AWS_ACCESS_KEY_ID': '{AWS_KEY}', 'HF_TOKEN': '{HF_TOKEN}'}}"},
            execution_count=1,
        ),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Training"), cell]
    nbformat.write(nb, folder / "train.ipynb")
    return folder


def assert_no_secret_text(text: str) -> None:
    for secret in SECRET_TEXTS:
        assert secret not in text


def test_plan_names_each_file_and_kind_once(tmp_path: Path, store: LocalStore) -> None:
    folder = leaky_folder(tmp_path, big_output=True)
    plan = plan_pack(folder, store=store)
    found = {s.path: s.kinds for s in plan.secrets}
    assert found == {
        ".env": ("dotenv file", "AWS access key id", "AWS secret access key"),
        "keys/id_ed25519": ("SSH private key", "private key"),
        "train.ipynb": ("AWS access key id", "Hugging Face token"),
    }
    assert {s.field for s in plan.secrets} == {"code[0].path"}
    assert_no_secret_text(json.dumps([s.to_dict() for s in plan.secrets]) + repr(plan.secrets))
    assert not store.home.exists()


def test_pack_stops_before_writing_and_the_override_packs(tmp_path: Path, store: LocalStore) -> None:
    folder = leaky_folder(tmp_path)
    with pytest.raises(SecretsInLayers) as refused:
        pack(folder, tags=["leaky:v1"], store=store)
    message = refused.value.message + json.dumps(refused.value.details)
    assert ".env looks like a secret (dotenv file, AWS access key id" in message
    assert "keys/id_ed25519" in message
    assert "train.ipynb" in message
    assert_no_secret_text(message)
    assert refused.value.code == "invalid"
    assert [s["path"] for s in refused.value.details["secrets"]] == [".env", "keys/id_ed25519", "train.ipynb"]
    assert store.list_kits() == []
    assert not (store.storage / "blobs").exists()

    result = pack(folder, tags=["leaky:v1"], store=store, allow_secrets=True)
    assert any(w.startswith("code[0].path: .env looks like a secret") for w in result.warnings)
    assert_no_secret_text("\n".join(result.warnings))
    assert [k.tags for k in store.list_kits()] == [["v1"]]


def test_a_kitignore_leaves_them_out_and_pack_goes_on(tmp_path: Path, store: LocalStore) -> None:
    folder = leaky_folder(tmp_path)
    (folder / ".kitignore").write_text(".env\nkeys/\ntrain.ipynb\n")
    assert plan_pack(folder, store=store).secrets == []
    assert pack(folder, tags=["clean:v1"], store=store).manifest_digest.startswith("sha256:")


def test_cli_pack_stops_plan_lists_and_allow_secrets_packs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = leaky_folder(tmp_path)
    home = ["--config", str(tmp_path / "kitops")]
    assert main([*home, "pack", str(folder), "-t", "leaky:v1"]) == 1
    out = capsys.readouterr()
    assert "Error: not packed" in out.err
    assert ".env looks like a secret" in out.err
    assert_no_secret_text(out.out + out.err)

    assert main([*home, "pack", str(folder), "--plan"]) == 0
    out = capsys.readouterr()
    assert "keys/id_ed25519 looks like a secret (SSH private key, private key)" in out.err
    assert "--allow-secrets" in out.err
    assert_no_secret_text(out.out + out.err)

    assert main([*home, "pack", str(folder), "-t", "leaky:v1", "--allow-secrets"]) == 0
    out = capsys.readouterr()
    assert "Model saved: sha256:" in out.out
    assert "packed because secrets were allowed" in out.err


def test_pack_and_push_sends_nothing_without_the_override(tmp_path: Path, store: LocalStore) -> None:
    folder = leaky_folder(tmp_path)
    with run_registry("none", tmp_path / "reg") as registry:
        remote = Remote(plain_http=True)
        ref = f"{registry.host}/team/leaky:v1"
        with pytest.raises(SecretsInLayers):
            pack_and_push(folder, ref, store=store, remote=remote)
        blobs = registry.storage / "docker/registry/v2/blobs"
        assert not blobs.exists() or not any(blobs.rglob("data"))
        pushed = pack_and_push(folder, ref, store=store, remote=remote, allow_secrets=True)
        assert list_tags(f"{registry.host}/team/leaky", remote=remote).items == ["v1"]
        assert any(".env looks like a secret" in w for w in pushed.warnings)


def test_the_detector_reports_each_kind_with_its_line_and_never_the_text() -> None:
    from kitlab.modelkit.secrets import scan_text

    text = (
        "İstanbul ß\n"  # non-ASCII before a case-insensitive pattern: lines must still be right
        f"AWS_SECRET_ACCESS_KEY = '{AWS_SECRET}'\n"
        f"token = '{HF_TOKEN}'  # and {AWS_KEY}\n"
        f"{PRIVATE_KEY}"
        "akia" + "q7rt5x2m9pl4zk8w is not a key (kit keys are upper case)\n"
    )
    assert scan_text(text) == [
        ("AWS secret access key", 2),
        ("Hugging Face token", 3),
        ("AWS access key id", 3),
        ("private key", 4),
    ]


def test_a_large_text_is_scanned_whole_and_fast() -> None:
    import time

    from kitlab.modelkit.secrets import scan_text

    text = "import numpy as np  # from huggingface_hub import hf_hub_download\n" * 250_000 + HF_TOKEN
    started = time.monotonic()
    assert scan_text(text) == [("Hugging Face token", 250_001)]
    # Well under a second for these 16 MiB; the single combined regex it replaced took several seconds.
    assert time.monotonic() - started < 4.0


def test_a_file_rewritten_with_its_old_size_and_mtime_is_read_again(
    tmp_path: Path, store: LocalStore
) -> None:
    # The plan remembers files it has read by identity; a write that keeps size and mtime (touch -r,
    # cp -p) still changes ctime, so the new content is looked at.
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "Kitfile").write_text("manifestVersion: 1.0.0\ncode:\n  - path: .\n")
    config = folder / "settings.py"
    config.write_text(f"TOKEN = '{'x' * len(HF_TOKEN)}'\n")
    assert plan_pack(folder, store=store).secrets == []
    before = config.stat()
    config.write_text(f"TOKEN = '{HF_TOKEN}'\n")
    os.utime(config, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert config.stat().st_size == before.st_size
    assert [(s.path, s.kinds) for s in plan_pack(folder, store=store).secrets] == [
        ("settings.py", ("Hugging Face token",))
    ]


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_pushing_a_stored_kit_that_carries_secrets_needs_the_override(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], compression: str
) -> None:
    # A kit packed with secrets allowed (or by kit itself) is checked again when it is pushed.
    folder = leaky_folder(tmp_path)
    home = ["--config", str(tmp_path / "kitops")]
    assert (
        main([*home, "pack", str(folder), "-t", "leaky:v1", "--allow-secrets", "--compression", compression])
        == 0
    )
    store = LocalStore(tmp_path / "kitops")
    found = find_kit_secrets(store, store.get_manifest(store.resolve("leaky:v1")))
    assert {(s.path, s.field) for s in found} == {
        (".env", "code[0].path"),
        ("keys/id_ed25519", "code[0].path"),
        ("train.ipynb", "code[0].path"),
    }
    with run_registry("none", tmp_path / "reg") as registry:
        target = f"{registry.host}/team/leaky:v1"
        capsys.readouterr()
        assert main([*home, "push", "leaky:v1", target, "--plain-http"]) == 1
        out = capsys.readouterr()
        assert "Error: not pushed" in out.err
        assert ".env looks like a secret" in out.err
        assert_no_secret_text(out.out + out.err)
        blobs = registry.storage / "docker/registry/v2/blobs"
        assert not blobs.exists() or not any(blobs.rglob("data"))
        assert main([*home, "push", "leaky:v1", target, "--plain-http", "--allow-secrets"]) == 0
        assert list_tags(f"{registry.host}/team/leaky", remote=Remote(plain_http=True)).items == ["v1"]
