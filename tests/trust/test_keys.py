"""cosign key files read and written by kitlab/trust/keys.py: what is refused, and that no message ever
carries the password (docs/trust.md, "Keys")."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from kitlab.errors import Conflict, NotFound
from kitlab.trust import BadKey, generate_key_pair, load_private_key, load_public_key


def pem(block_type: str, body: bytes) -> str:
    return f"-----BEGIN {block_type}-----\n{base64.b64encode(body).decode()}\n-----END {block_type}-----\n"


def test_a_generated_pair_round_trips_and_replacing_it_needs_force(tmp_path: Path):
    pair = generate_key_pair(tmp_path / "keys", b"pw")
    private = load_private_key(pair.private_path, b"pw")
    assert private.public_key().public_numbers() == load_public_key(pair.public_path).public_numbers()
    with pytest.raises(Conflict):
        generate_key_pair(tmp_path / "keys", b"pw")
    again = generate_key_pair(tmp_path / "keys", b"pw", force=True)
    assert load_private_key(again.private_path, b"pw").private_numbers() != private.private_numbers()


def test_the_password_is_never_in_the_message(tmp_path: Path):
    pair = generate_key_pair(tmp_path, b"the-real-one")
    with pytest.raises(BadKey) as caught:
        load_private_key(pair.private_path, b"guessed-password")
    assert "wrong password" in caught.value.message
    assert "guessed" not in caught.value.message
    assert "the-real-one" not in caught.value.message


def test_files_that_are_not_cosign_private_keys_are_refused(tmp_path: Path):
    pair = generate_key_pair(tmp_path, b"pw")
    with pytest.raises(BadKey, match="is not a cosign private key"):
        load_private_key(pair.public_path, b"pw")  # the public key given as the private one
    with pytest.raises(NotFound):
        load_private_key(tmp_path / "missing.key", b"pw")
    big = tmp_path / "big.key"
    big.write_bytes(b"x" * 100_000)
    with pytest.raises(BadKey, match="not a key file"):
        load_private_key(big, b"pw")
    with pytest.raises(BadKey, match="not a PEM public key"):
        load_public_key(pair.private_path)


def test_a_key_file_cannot_ask_for_a_huge_scrypt_cost(tmp_path: Path):
    """A hostile key file naming N = 2^30 would make scrypt allocate 128 GiB: refused before deriving."""
    document = {
        "kdf": {
            "name": "scrypt",
            "params": {"N": 1 << 30, "r": 8, "p": 1},
            "salt": base64.b64encode(b"s" * 32).decode(),
        },
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(b"n" * 24).decode()},
        "ciphertext": base64.b64encode(b"c" * 64).decode(),
    }
    hostile = tmp_path / "hostile.key"
    hostile.write_text(pem("ENCRYPTED SIGSTORE PRIVATE KEY", json.dumps(document).encode()))
    with pytest.raises(BadKey, match="scrypt parameters out of range"):
        load_private_key(hostile, b"pw")
    document["kdf"]["params"] = {"N": 1 << 16, "r": 1 << 10, "p": 1}  # N fine, r too large
    hostile.write_text(pem("ENCRYPTED SIGSTORE PRIVATE KEY", json.dumps(document).encode()))
    with pytest.raises(BadKey, match="scrypt parameters out of range"):
        load_private_key(hostile, b"pw")
