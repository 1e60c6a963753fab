"""Errors shared by kitlab's library layers.

The core never imports tornado; the server's base handler maps ``code`` to an HTTP status, so every
error a user can hit carries a stable machine code, a human message and optional structured details.
"""

from __future__ import annotations

from typing import Any


class KitlabError(Exception):
    """Base class: ``code`` is stable for clients, ``details`` is JSON-serialisable and secret-free."""

    code = "kitlab_error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(KitlabError):
    """The request or file is malformed (bad Kitfile, bad reference, bad option)."""

    code = "invalid"


class NotFound(KitlabError):
    """A path, kit, tag or job does not exist."""

    code = "not_found"


class Conflict(KitlabError):
    """The operation would clobber something (existing file, existing Kitfile, running job)."""

    code = "conflict"


class PathOutsideRoot(KitlabError):
    """A path leaves the directory it is confined to."""

    code = "forbidden_path"


class Cancelled(KitlabError):
    """The operation was cancelled; whatever it had started has been rolled back."""

    code = "cancelled"


class NotAllowed(KitlabError):
    """An administrator's setting forbids this (e.g. a registry outside ``allowed_registries``)."""

    code = "not_allowed"
