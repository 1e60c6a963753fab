"""Jupyter server for the Galata UI tests: galata's test settings plus what this machine needs."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

REPO = Path(__file__).resolve().parent.parent

# The server root holds a fresh demo workspace (`demo/`: a churn notebook, its CSV and the trained
# model) so the end-to-end tests scan, pack and unpack real files. Generated, not copied from the
# repo, so a test can never change the checked-in demo.
root = Path(os.environ.get("JUPYTERLAB_GALATA_ROOT_DIR") or tempfile.mkdtemp(prefix="kitlab-ui-root-"))
os.environ["JUPYTERLAB_GALATA_ROOT_DIR"] = str(root)
subprocess.run([sys.executable, str(REPO / "scripts" / "demo_workspace.py"), str(root / "demo")], check=True)

c = get_config()  # noqa: F821 (injected by Jupyter's config loader)
configure_jupyter_server(c)

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ.get("KITLAB_UI_PORT", "8888"))
# CI machines run as root; Jupyter refuses that unless told.
c.ServerApp.allow_root = True
# The UI tests get their own kit store and job history, never the developer's.
os.environ.setdefault("KITOPS_HOME", tempfile.mkdtemp(prefix="kitlab-ui-kitops-"))
os.environ["JUPYTER_DATA_DIR"] = tempfile.mkdtemp(prefix="kitlab-ui-data-")

# `big/`: a 3 GiB model that is sparse (instant to create, no disk used) but real bytes to tar and
# hash, so a pack runs long enough for the tests to cancel it from the Jobs list.
big = root / "big"
(big / "models").mkdir(parents=True, exist_ok=True)
with open(big / "models" / "weights.bin", "wb") as weights:
    weights.truncate(3 << 30)
(big / "Kitfile").write_text("manifestVersion: 1.0.0\nmodel:\n  path: models/weights.bin\n")

# Signing from the Pack & push dialog (tests/sign.spec.ts, docs/trust.md): a cosign key pair the server
# signs with, its password in the server's environment as an administrator would set it. The spec reads
# the public key from the same folder (named by the port, which both processes know).
from kitlab.trust import generate_key_pair  # noqa: E402

signing = Path(tempfile.gettempdir()) / f"kitlab-ui-signing-{c.ServerApp.port}"
os.environ["COSIGN_PASSWORD"] = "ui-signing-" + os.urandom(8).hex()
c.Kitlab.signing_key = str(
    generate_key_pair(signing, os.environ["COSIGN_PASSWORD"].encode(), force=True).private_path
)
# The same public key is trusted, so the Pull dialog's "Verify the signature" accepts those kits.
c.Kitlab.trusted_keys = [str(signing / "cosign.pub")]
