"""The keys a JupyterLab user manages (docs/trust.md, "In JupyterLab: keys and verdicts"): signing key
pairs in ``<kit's home>/kitlab/keys`` (where ``kitlab keygen`` writes them) and trusted public keys in
``<kit's home>/kitlab/trusted``. Only public parts are ever listed; private keys stay encrypted on disk,
mode 0600, and are read only to sign.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kitlab.atomicfile import write_atomically
from kitlab.errors import Conflict, InvalidInput, NotFound
from kitlab.trust.keys import (
    COSIGN_PRIVATE_PEM,
    SIGSTORE_PRIVATE_PEM,
    BadKey,
    _read_key_file,
    default_key_dir,
    load_private_key,
    load_public_key,
    public_pem,
)
from kitlab.trust.summary import key_fingerprint

KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_KEYS = 200  # listed per folder
MAX_PEM_CHARS = 16 * 1024


@dataclass
class KeyInfo:
    name: str
    fingerprint: str
    public_key: str  # PEM
    file: str  # the public key file's name


def trusted_dir(home: Path) -> Path:
    return home / "kitlab" / "trusted"


def checked_name(name: object) -> str:
    if not isinstance(name, str) or not KEY_NAME.match(name) or name.endswith((".key", ".pub")):
        raise InvalidInput("name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return name


def password_bytes(password: object, field: str) -> bytes:
    """A password from a request as bytes (UTF-8), or a clear error that never quotes it."""
    if not isinstance(password, str) or not password or len(password) > 1024:
        raise InvalidInput(f"{field}: required, at most 1024 characters")
    try:
        return password.encode()
    except UnicodeEncodeError:
        raise InvalidInput(f"{field}: not valid text (unpaired surrogate)") from None


def key_info(path: Path) -> KeyInfo:
    key = load_public_key(path)
    return KeyInfo(path.stem, key_fingerprint(key), public_pem(key).decode(), path.name)


def _listed(directory: Path, with_private: bool) -> list[KeyInfo]:
    if not directory.is_dir():
        return []
    out: list[KeyInfo] = []
    for path in sorted(directory.glob("*.pub"))[:MAX_KEYS]:
        if path.is_symlink() or not path.is_file():
            continue
        private = path.with_suffix(".key")
        if with_private and (private.is_symlink() or not private.is_file()):
            continue
        try:
            out.append(key_info(path))
        except (BadKey, NotFound):
            continue  # a stray file is not a key; the folder is the user's
    return out


def signing_keys(home: Path) -> list[KeyInfo]:
    """The key pairs in kit's home that can sign (a ``.key`` beside each ``.pub``)."""
    return _listed(default_key_dir(home), with_private=True)


def trusted_keys(home: Path) -> list[KeyInfo]:
    return _listed(trusted_dir(home), with_private=False)


def _free(*paths: Path) -> None:
    for path in paths:
        if path.exists() or path.is_symlink():
            raise Conflict(f"a key named {path.stem!r} already exists")


def import_signing_key(home: Path, source: Path, name: str) -> KeyInfo:
    """Copy a cosign key pair (``X.key``, encrypted, and ``X.pub`` beside it, as ``cosign
    generate-key-pair`` writes them) into kit's home. The private key is checked to be an encrypted
    cosign key by its PEM type only: its password is asked for when it signs, never here."""
    name = checked_name(name)
    private = _read_key_file(source)
    if not any(
        f"-----BEGIN {kind}-----".encode() in private for kind in (SIGSTORE_PRIVATE_PEM, COSIGN_PRIVATE_PEM)
    ):
        raise BadKey(
            f"{source.name} is not an encrypted cosign private key (cosign generate-key-pair writes one)"
        )
    public_source = source.with_suffix(".pub")
    if public_source.is_symlink() or not public_source.is_file():
        raise NotFound(f"{public_source.name} is missing beside {source.name}; import the pair cosign wrote")
    public = load_public_key(public_source)
    directory = default_key_dir(home)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    target_key, target_pub = directory / f"{name}.key", directory / f"{name}.pub"
    _free(target_key, target_pub)
    write_atomically(target_key, private, mode=0o600)
    write_atomically(target_pub, public_pem(public), mode=0o644)
    return key_info(target_pub)


def add_trusted_key(home: Path, name: str, pem: object) -> KeyInfo:
    """Store a pasted PEM public key (ECDSA P-256, as cosign.pub) as ``<name>.pub``."""
    name = checked_name(name)
    if not isinstance(pem, str) or not pem.strip() or len(pem) > MAX_PEM_CHARS:
        raise InvalidInput(
            f"publicKey: a PEM public key (cosign.pub's text) of at most {MAX_PEM_CHARS} characters"
        )
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except (ValueError, UnicodeEncodeError):
        raise BadKey("publicKey is not a PEM public key (expected cosign.pub's format)") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise BadKey("publicKey: only ECDSA P-256 public keys are supported (cosign's default)")
    directory = trusted_dir(home)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{name}.pub"
    _free(path)
    write_atomically(path, public_pem(key), mode=0o644)
    return key_info(path)


def remove_trusted_key(home: Path, name: str) -> None:
    path = trusted_dir(home) / f"{checked_name(name)}.pub"
    if not path.is_file() or path.is_symlink():
        raise NotFound(f"no trusted key named {name!r}")
    path.unlink()


MAX_UNLOCKED = 16


class UnlockedKeys:
    """Private keys decrypted for one signing job each: a job's params carry only a random token, the
    password is never kept, and the key leaves memory when its job takes it (or when more than
    ``MAX_UNLOCKED`` wait, the oldest first)."""

    def __init__(self) -> None:
        self._keys: OrderedDict[str, ec.EllipticCurvePrivateKey] = OrderedDict()
        self._lock = threading.Lock()

    def unlock(self, home: Path, name: str, password: str) -> str:
        secret = password_bytes(password, "params.keyPassword")
        key = load_private_key(default_key_dir(home) / f"{checked_name(name)}.key", secret)
        token = secrets.token_hex(16)
        with self._lock:
            self._keys[token] = key
            while len(self._keys) > MAX_UNLOCKED:
                self._keys.popitem(last=False)
        return token

    def take(self, token: str) -> ec.EllipticCurvePrivateKey | None:
        with self._lock:
            return self._keys.pop(token, None)
