"""Helpers for the trust tests: the real cosign CLI, offline, and the kitlab CLI in-process."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from kitlab.cli import main

PASSWORD = "correct horse battery staple"


@dataclass
class Cosign:
    binary: str
    home: Path

    def run(
        self, *args: str, password: str = PASSWORD, experimental: bool = False
    ) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "HOME": str(self.home),  # cosign's caches (TUF, sigstore) go here, never the developer's
            "TUF_ROOT": str(self.home / "tuf"),
            "COSIGN_PASSWORD": password,
            "COSIGN_YES": "true",
        }
        if experimental:
            env["COSIGN_EXPERIMENTAL"] = "1"
        return subprocess.run(
            [self.binary, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    @property
    def trusted_root(self) -> str:
        """An empty sigstore trusted root: with ``--trusted-root`` cosign skips fetching the public one
        from its TUF repository (a DNS lookup and an HTTPS request otherwise, even with ``--key``);
        key-based checks without the transparency log need nothing from it."""
        path = self.home / "trusted_root.json"
        path.write_text('{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}')
        return str(path)

    def offline(self) -> tuple[str, ...]:
        """The flags of a key-based check that touches no network but the test registry."""
        return ("--insecure-ignore-tlog=true", "--trusted-root", self.trusted_root, "--allow-http-registry")

    def verify(self, ref: str, pub: Path, *extra: str) -> subprocess.CompletedProcess:
        """``cosign verify --key`` offline: no transparency log, no TUF, plain HTTP to the test registry."""
        return self.run("verify", "--key", str(pub), *self.offline(), *extra, ref)

    def sign(
        self, ref: str, key: Path, *extra: str, experimental: bool = False
    ) -> subprocess.CompletedProcess:
        return self.run(
            "sign",
            "--key",
            str(key),
            "--tlog-upload=false",
            "--allow-http-registry",
            *extra,
            ref,
            experimental=experimental,
        )


def kitlab(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
