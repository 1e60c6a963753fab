"""kitlab.kitfile is a pure library: importing it must not pull in the Jupyter server."""

from __future__ import annotations

from tests.support.layering import server_modules_loaded_by


def test_kitfile_does_not_import_server_modules():
    assert server_modules_loaded_by("import kitlab.kitfile") == []
