"""kitlab: package a JupyterLab workspace as a KitOps ModelKit, and pull kits back into notebooks.

This module only names the Jupyter server and lab extensions; the library lives in ``kitlab.kitfile``,
``kitlab.modelkit``, ``kitlab.scan`` and ``kitlab.loaders``, none of which imports the server.
"""

from __future__ import annotations

from typing import Any

from kitlab._version import __version__

__all__ = ["__version__"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "kitlab"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    # Imported lazily so that `import kitlab` (the library, the CLI) never pulls in the server.
    from kitlab.server.app import KitlabApp

    return [{"module": "kitlab", "app": KitlabApp}]
