"""The Jupyter server extension: the only part of kitlab that imports tornado and jupyter_server.

``app`` (the ``ExtensionApp``), ``routes`` and ``handlers`` (thin REST handlers over the library),
``jobs`` (durable background jobs) and ``operations`` (the job kinds), ``documents`` (a folder's
Kitfile as the form sees it), ``paths`` (confining API paths to the root), ``settings``. Nothing in the
library or the CLI imports this package (an import-linter contract in ``make test`` holds it).
"""
