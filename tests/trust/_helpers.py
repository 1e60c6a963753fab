"""Helpers for the trust tests: the real cosign CLI, offline, and the kitlab CLI in-process."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

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

    def download_attestation(self, ref: str, predicate_type: str) -> subprocess.CompletedProcess:
        """``cosign download attestation`` of one predicate type, from the plain-HTTP test registry."""
        return self.run(
            "download", "attestation", "--predicate-type", predicate_type, "--allow-http-registry", ref
        )

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


def tiny_project(folder: Path, weights: str = "weights", name: str = "tiny") -> Path:
    """A workspace of one model file and the Kitfile that packs it; returns the folder."""
    folder.mkdir(parents=True)
    (folder / "model.bin").write_text(weights)
    (folder / "Kitfile").write_text(
        f"manifestVersion: 1.0.0\npackage:\n  name: {name}\nmodel:\n  name: {name}\n  path: model.bin\n"
    )
    return folder


def child_project(folder: Path, parent: str) -> Path:
    """A workspace whose Kitfile takes its model from the ``parent`` kit, with a README of its own."""
    folder.mkdir(parents=True)
    (folder / "README.md").write_text("fine-tuned elsewhere\n")
    (folder / "Kitfile").write_text(
        f"manifestVersion: 1.0.0\npackage:\n  name: child\nmodel:\n  name: child\n  path: {parent}\n"
        "docs:\n  - path: README.md\n"
    )
    return folder
