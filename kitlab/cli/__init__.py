"""The ``kitlab`` command (``main``): kit's verbs and flags for terminals and CI, over the library."""

from __future__ import annotations

from kitlab.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
