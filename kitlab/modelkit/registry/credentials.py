"""Where registry credentials come from, looked up the way ``kit`` does (docs/registries.md, "Credentials").

Order: kit's ``$KITOPS_HOME/credentials.json``, then Docker's ``$DOCKER_CONFIG/config.json`` (or
``~/.docker/config.json``). Inside one file: ``credHelpers[host]``, then ``credsStore``, then
``auths[host]`` (``auth`` = base64 ``user:password``, or ``identitytoken``). Helpers are run as
``docker-credential-<name> get`` with the server on stdin. Docker Hub is keyed as
``https://index.docker.io/v1/``. Writes (login/logout) only ever touch kit's file, like kit.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kitlab.atomicfile import write_atomically
from kitlab.errors import InvalidInput
from kitlab.modelkit.home import kitops_home
from kitlab.modelkit.registry.secret import Secret

log = logging.getLogger(__name__)

DOCKER_HUB_KEY = "https://index.docker.io/v1/"
_DOCKER_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
HELPER_TIMEOUT = 30.0
# A helper answers with this user name when the secret is an identity (refresh) token.
_TOKEN_USERNAME = "<token>"


@dataclass(frozen=True)
class Credential:
    """What we may present to one registry. ``identity_token`` is an OAuth2 refresh token."""

    username: str | None = None
    password: Secret | None = None
    identity_token: Secret | None = None
    source: str = "explicit"

    @property
    def has_basic(self) -> bool:
        return bool(self.username and self.password)


class CredentialSource(Protocol):
    def lookup(self, host: str) -> Credential | None: ...


def server_key(host: str) -> str:
    """The key a config file uses for ``host`` (Docker Hub's historic URL for docker.io)."""
    return DOCKER_HUB_KEY if host in _DOCKER_HUB_HOSTS else host


def _key_matches(key: str, host: str) -> bool:
    """Docker normalises keys written as URLs (``https://host/v1/``) down to ``host``."""
    if key == server_key(host):
        return True
    bare = urllib.parse.urlsplit(key).netloc if "://" in key else key.split("/", 1)[0]
    return bare == host or (bare in _DOCKER_HUB_HOSTS and host in _DOCKER_HUB_HOSTS)


def kit_credentials_path(home: str | os.PathLike[str] | None = None) -> Path:
    return kitops_home(home) / "credentials.json"


def docker_config_path() -> Path:
    env = os.environ.get("DOCKER_CONFIG")
    return Path(env) / "config.json" if env else Path.home() / ".docker" / "config.json"


def _read_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}); fix or remove it"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} must contain a JSON object")
    return data


def run_helper(name: str, action: str, payload: str) -> str | None:
    """Run ``docker-credential-<name> <action>``; stdout, or None when the helper has nothing."""
    program = f"docker-credential-{name}"
    try:
        proc = subprocess.run(
            [program, action], input=payload, capture_output=True, text=True, timeout=HELPER_TIMEOUT
        )
    except FileNotFoundError:
        raise InvalidInput(f"credential helper {program!r} is configured but not on PATH") from None
    except subprocess.TimeoutExpired:
        raise InvalidInput(
            f"credential helper {program!r} did not answer within {HELPER_TIMEOUT:.0f}s"
        ) from None
    if proc.returncode != 0:
        # "credentials not found in native keychain" is the normal miss; never echo stdin (a secret on store).
        log.debug("credential helper %s %s exited with %s", program, action, proc.returncode)
        return None
    return proc.stdout


def _from_helper(name: str, host: str, source: str) -> Credential | None:
    out = run_helper(name, "get", server_key(host))
    if not out:
        return None
    try:
        reply = json.loads(out)
        user, secret = reply.get("Username") or "", reply.get("Secret") or ""
    except (json.JSONDecodeError, AttributeError):
        raise InvalidInput(f"credential helper docker-credential-{name} returned malformed output") from None
    if not secret:
        return None
    label = f"{source} (helper {name})"
    if user == _TOKEN_USERNAME:
        return Credential(identity_token=Secret(secret), source=label)
    return Credential(username=user, password=Secret(secret), source=label)


def credential_from_config(config: dict[str, Any], host: str, source: str) -> Credential | None:
    helpers = config.get("credHelpers") or {}
    for key, name in helpers.items():
        if _key_matches(key, host):
            return _from_helper(name, host, source)
    if config.get("credsStore"):
        found = _from_helper(config["credsStore"], host, source)
        if found:
            return found
    for key, entry in (config.get("auths") or {}).items():
        if not _key_matches(key, host) or not isinstance(entry, dict):
            continue
        token = entry.get("identitytoken")
        user, password = entry.get("username"), entry.get("password")
        if entry.get("auth"):
            try:
                user, _, password = base64.b64decode(entry["auth"]).decode("utf-8").partition(":")
            except ValueError:
                raise InvalidInput(
                    f"the saved login for {host} in {source} is corrupt; log in again"
                ) from None
        if token:
            return Credential(username=user or None, identity_token=Secret(token), source=source)
        if user and password:
            return Credential(username=user, password=Secret(password), source=source)
    return None


class DefaultCredentials:
    """kit's credentials.json, then Docker's config.json (paths resolved at lookup time)."""

    def __init__(self, kitops_home_override: str | os.PathLike[str] | None = None) -> None:
        self._home = kitops_home_override

    def lookup(self, host: str) -> Credential | None:
        kit_path = kit_credentials_path(self._home)
        found = credential_from_config(_read_config(kit_path), host, str(kit_path))
        if found:
            return found
        docker_path = docker_config_path()
        return credential_from_config(_read_config(docker_path), host, str(docker_path))


# ------------------------------------------------------------------------------------------------------
# Writing kit's credentials.json


def _write_config(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # oras-go writes tab-indented JSON; the file holds passwords, so it is 0600 whatever was there.
    write_atomically(path, json.dumps(data, indent="\t") + "\n", mode=0o600)


def _helper_for(config: dict[str, Any], host: str) -> str | None:
    for key, name in (config.get("credHelpers") or {}).items():
        if _key_matches(key, host):
            return str(name)
    store = config.get("credsStore")
    return str(store) if store else None


def save_credential(
    host: str, username: str, password: Secret, home: str | os.PathLike[str] | None = None
) -> Path:
    """Store a login in kit's file (through its helper if one is configured there), keeping other keys."""
    path = kit_credentials_path(home)
    config = _read_config(path)
    key = server_key(host)
    helper = _helper_for(config, host)
    if helper:
        payload = json.dumps({"ServerURL": key, "Username": username, "Secret": password.reveal()})
        if run_helper(helper, "store", payload) is None:
            raise InvalidInput(f"credential helper docker-credential-{helper} could not store the login")
        config.setdefault("auths", {}).setdefault(key, {})
        config["auths"][key].pop("auth", None)
    else:
        raw = base64.b64encode(f"{username}:{password.reveal()}".encode()).decode()
        auths = config.setdefault("auths", {})
        for stale in [k for k in auths if k != key and _key_matches(k, host)]:
            del auths[stale]
        auths[key] = {"auth": raw}
    _write_config(path, config)
    return path


def delete_credential(host: str, home: str | os.PathLike[str] | None = None) -> bool:
    """Forget the login for ``host`` in kit's file; True if there was one."""
    path = kit_credentials_path(home)
    config = _read_config(path)
    helper = _helper_for(config, host)
    removed = False
    if helper:
        removed = run_helper(helper, "erase", server_key(host)) is not None
    auths = config.get("auths") or {}
    for key in [k for k in auths if _key_matches(k, host)]:
        del auths[key]
        removed = True
    if removed:
        _write_config(path, config)
    return removed


def known_hosts(home: str | os.PathLike[str] | None = None) -> list[str]:
    """Registries with a stored login in kit's file or Docker's config (names only, never secrets)."""
    hosts: set[str] = set()
    for path in (kit_credentials_path(home), docker_config_path()):
        config = _read_config(path)
        keys = [*config.get("auths", {}), *config.get("credHelpers", {})]
        for key in keys:
            bare = urllib.parse.urlsplit(key).netloc if "://" in key else key.split("/", 1)[0]
            hosts.add("docker.io" if bare in _DOCKER_HUB_HOSTS else bare)
    return sorted(hosts)
