"""Jupyter server for the Galata UI tests: galata's test settings plus what this machine needs."""

import os
import tempfile

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # noqa: F821 (injected by Jupyter's config loader)
configure_jupyter_server(c)

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ.get("KITLAB_UI_PORT", "8888"))
# CI machines run as root; Jupyter refuses that unless told.
c.ServerApp.allow_root = True
# The UI tests get their own kit store, never the developer's.
os.environ.setdefault("KITOPS_HOME", tempfile.mkdtemp(prefix="kitlab-ui-kitops-"))
