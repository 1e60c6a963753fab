"""Workspace scanner: recognise models, datasets and code by content, read the notebooks for what they
write and read, and draft a Kitfile with a checkable reason for every entry (pure library, no server).

The entry point is ``kitlab.scan.workspace.scan_workspace``. Nothing is imported here, so that the CLI's
other verbs do not pay for loading the scanner.
"""
