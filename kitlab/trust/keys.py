"""Signing keys in cosign's formats, so teams keep the keys they already sign images with.

A private key is ECDSA P-256 stored the way ``cosign generate-key-pair`` stores it (docs/trust.md):
PEM type ``ENCRYPTED SIGSTORE PRIVATE KEY`` (cosign also reads its older ``ENCRYPTED COSIGN PRIVATE
KEY``) around base64 JSON from go-securesystemslib's ``encrypted`` package::

    {"kdf": {"name": "scrypt", "params": {"N": 65536, "r": 8, "p": 1}, "salt": <32 bytes>},
     "cipher": {"name": "nacl/secretbox", "nonce": <24 bytes>},
     "ciphertext": <secretbox(PKCS#8 DER of the key, scrypt(password, salt) as the 32-byte key)>}

(``[]byte`` fields are standard base64, as Go's ``encoding/json`` writes them.) scrypt is the standard
library's; NaCl's secretbox (XSalsa20-Poly1305) is not in ``cryptography``, hence PyNaCl. Public keys
are PEM ``PUBLIC KEY`` (SubjectPublicKeyInfo), as ``cosign.pub``.

Passwords and key bytes never appear in messages or logs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kitlab.atomicfile import write_atomically
from kitlab.errors import Conflict, InvalidInput, NotFound

SIGSTORE_PRIVATE_PEM = "ENCRYPTED SIGSTORE PRIVATE KEY"
COSIGN_PRIVATE_PEM = "ENCRYPTED COSIGN PRIVATE KEY"  # cosign < 2.0; still read by cosign
# What cosign 2.x writes (go-securesystemslib's encrypted package, scrypt "standard" cost).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 65536, 8, 1
MAX_SCRYPT_N = 1 << 20
MAX_KEY_FILE = 64 * 1024


class BadKey(InvalidInput):
    """A key file that cannot be used: wrong password, wrong type, unreadable."""

    code = "bad_key"


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    public_path: Path


def _read_key_file(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_KEY_FILE + 1)
    except FileNotFoundError:
        raise NotFound(f"key file {path} does not exist") from None
    except OSError as exc:
        raise BadKey(f"cannot read key file {path}: {exc.strerror}") from None
    if len(data) > MAX_KEY_FILE:
        raise BadKey(f"{path} is not a key file (larger than {MAX_KEY_FILE} bytes)")
    return data


def _pem_blocks(data: bytes) -> dict[str, bytes]:
    """PEM type → DER/body bytes of each block (the text between BEGIN and END, base64-decoded)."""
    blocks: dict[str, bytes] = {}
    current: str | None = None
    body: list[str] = []
    for raw in data.decode("ascii", errors="replace").splitlines():
        line = raw.strip()
        if line.startswith("-----BEGIN ") and line.endswith("-----"):
            current, body = line[11:-5], []
        elif line.startswith("-----END ") and current is not None:
            try:
                blocks[current] = base64.b64decode("".join(body), validate=True)
            except ValueError:
                raise BadKey(f"the {current} block is not valid base64") from None
            current = None
        elif current is not None:
            body.append(line)
    return blocks


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=32, maxmem=2 * 128 * r * n + (1 << 24))


def encrypt_private_key(key: ec.EllipticCurvePrivateKey, password: bytes) -> bytes:
    """The PEM cosign writes for ``key`` protected by ``password``."""
    from nacl.secret import SecretBox

    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt = secrets.token_bytes(32)
    nonce = secrets.token_bytes(SecretBox.NONCE_SIZE)
    box = SecretBox(_scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))
    ciphertext = box.encrypt(der, nonce).ciphertext

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    document = {
        "kdf": {"name": "scrypt", "params": {"N": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P}, "salt": b64(salt)},
        "cipher": {"name": "nacl/secretbox", "nonce": b64(nonce)},
        "ciphertext": b64(ciphertext),
    }
    body = base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        f"-----BEGIN {SIGSTORE_PRIVATE_PEM}-----\n"
        + "\n".join(lines)
        + f"\n-----END {SIGSTORE_PRIVATE_PEM}-----\n"
    ).encode()


def _decrypt(document: bytes, password: bytes, path: Path) -> bytes:
    from nacl.exceptions import CryptoError
    from nacl.secret import SecretBox

    try:
        doc = json.loads(document)
        kdf, cipher = doc["kdf"], doc["cipher"]
        if kdf["name"] != "scrypt" or cipher["name"] != "nacl/secretbox":
            raise BadKey(f"{path}: unsupported key encryption {kdf['name']}/{cipher['name']}")
        n, r, p = int(kdf["params"]["N"]), int(kdf["params"]["r"]), int(kdf["params"]["p"])
        salt = base64.b64decode(kdf["salt"])
        nonce = base64.b64decode(cipher["nonce"])
        ciphertext = base64.b64decode(doc["ciphertext"])
    except (ValueError, KeyError, TypeError):
        raise BadKey(f"{path} is not a cosign private key (malformed encrypted block)") from None
    # scrypt needs about 128·r·N bytes: a hostile key file must not make kitlab allocate more than 1 GiB.
    if not (
        2 <= n <= MAX_SCRYPT_N and n & (n - 1) == 0 and r >= 1 and 128 * r * n <= 1 << 30 and 1 <= p <= 16
    ):
        raise BadKey(f"{path}: scrypt parameters out of range (N={n}, r={r}, p={p})")
    try:
        return SecretBox(_scrypt(password, salt, n, r, p)).decrypt(ciphertext, nonce)
    except (CryptoError, ValueError):
        raise BadKey(f"cannot decrypt the private key {path}: wrong password?") from None


def load_private_key(path: str | os.PathLike[str], password: bytes) -> ec.EllipticCurvePrivateKey:
    """A cosign private key file (encrypted, as ``cosign generate-key-pair`` or ``kitlab keygen`` write
    it). Only ECDSA P-256 signs what cosign's default verifier checks (SHA-256)."""
    path = Path(path)
    blocks = _pem_blocks(_read_key_file(path))
    encrypted = blocks.get(SIGSTORE_PRIVATE_PEM) or blocks.get(COSIGN_PRIVATE_PEM)
    if encrypted is None:
        raise BadKey(
            f"{path} is not a cosign private key (expected a PEM block {SIGSTORE_PRIVATE_PEM!r}; "
            "create one with `kitlab keygen` or `cosign generate-key-pair`)"
        )
    der = _decrypt(encrypted, password, path)
    try:
        key = serialization.load_der_private_key(der, None)
    except (ValueError, UnsupportedAlgorithm):
        raise BadKey(f"{path}: the decrypted key is not a PKCS#8 private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise BadKey(f"{path}: only ECDSA P-256 keys are supported (cosign's default)")
    return key


def load_public_key(path: str | os.PathLike[str]) -> ec.EllipticCurvePublicKey:
    """A PEM ``PUBLIC KEY`` (``cosign.pub``); ECDSA P-256."""
    path = Path(path)
    data = _read_key_file(path)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise BadKey(f"{path} is not a PEM public key (expected cosign.pub's format)") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise BadKey(f"{path}: only ECDSA P-256 public keys are supported (cosign's default)")
    return key


def public_pem(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def default_key_dir(home: Path) -> Path:
    """Where ``kitlab keygen`` puts keys by default: ``<kit's home>/kitlab/keys``."""
    return home / "kitlab" / "keys"


def generate_key_pair(
    directory: str | os.PathLike[str], password: bytes, *, name: str = "cosign", force: bool = False
) -> KeyPair:
    """Write ``<name>.key`` (encrypted, mode 0600) and ``<name>.pub`` into ``directory``, as
    ``cosign generate-key-pair`` names them. An existing key is never overwritten unless ``force``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_path, public_path = directory / f"{name}.key", directory / f"{name}.pub"
    if not force:
        for path in (private_path, public_path):
            if path.exists() or path.is_symlink():
                raise Conflict(f"{path} already exists; pass --force to replace the key pair")
    key = ec.generate_private_key(ec.SECP256R1())
    write_atomically(private_path, encrypt_private_key(key, password), mode=0o600)
    write_atomically(public_path, public_pem(key.public_key()), mode=0o644)
    return KeyPair(private_path, public_path)
