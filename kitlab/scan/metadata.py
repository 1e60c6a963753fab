"""Package metadata from the workspace: the license's SPDX id (a LICENSE file's text or a model card's
front matter) and authors (notebook metadata, then git config)."""

from __future__ import annotations

import configparser
import re
import subprocess
from pathlib import Path

from kitlab.scan.relpaths import readable_inside

# Distinctive phrases of common licenses, checked in order (the more specific first).
LICENSE_MARKERS = (
    ("Apache-2.0", ("Apache License", "Version 2.0")),
    ("MIT", ("Permission is hereby granted, free of charge",)),
    ("GPL-3.0", ("GNU GENERAL PUBLIC LICENSE", "Version 3")),
    ("GPL-2.0", ("GNU GENERAL PUBLIC LICENSE", "Version 2")),
    ("LGPL-3.0", ("GNU LESSER GENERAL PUBLIC LICENSE", "Version 3")),
    ("AGPL-3.0", ("GNU AFFERO GENERAL PUBLIC LICENSE",)),
    ("MPL-2.0", ("Mozilla Public License", "2.0")),
    ("BSD-3-Clause", ("Redistribution and use", "Neither the name")),
    ("BSD-2-Clause", ("Redistribution and use", "THIS SOFTWARE IS PROVIDED")),
    ("Unlicense", ("This is free and unencumbered software",)),
    ("CC-BY-4.0", ("Creative Commons Attribution 4.0",)),
    ("CC-BY-SA-4.0", ("Creative Commons Attribution-ShareAlike 4.0",)),
)
CARD_LICENSES = {
    "apache-2.0": "Apache-2.0",
    "mit": "MIT",
    "gpl-3.0": "GPL-3.0",
    "bsd-3-clause": "BSD-3-Clause",
    "cc-by-4.0": "CC-BY-4.0",
    "cc-by-sa-4.0": "CC-BY-SA-4.0",
    "openrail": "OpenRAIL",
    "llama2": "LLAMA2",
    "llama3": "LLAMA3",
    "unlicense": "Unlicense",
    "mpl-2.0": "MPL-2.0",
}
READ_LIMIT = 200_000


def license_from_text(text: str) -> str:
    match = re.search(r"SPDX-License-Identifier:\s*([\w.+-]+)", text)
    if match:
        return match.group(1)
    squashed = " ".join(text.split())
    for spdx, phrases in LICENSE_MARKERS:
        if all(p.lower() in squashed.lower() for p in phrases):
            return spdx
    return ""


def license_from_card(text: str) -> str:
    """``license:`` in a model card's YAML front matter."""
    if not text.startswith("---"):
        return ""
    end = text.find("\n---", 3)
    match = re.search(r"^license:\s*['\"]?([\w.+-]+)", text[: end if end > 0 else 0], re.M)
    if not match:
        return ""
    value = match.group(1)
    return CARD_LICENSES.get(value.lower(), value)


def read_head(path: Path) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(READ_LIMIT)
    except OSError:
        return ""


def git_author(folder: Path, root: Path) -> str:
    """``Name <email>`` from the nearest repository config inside ``root``, else ``git config``."""
    current = folder
    while True:
        config = current / ".git" / "config"
        if readable_inside(config, root):
            parser = configparser.ConfigParser(strict=False)
            try:
                parser.read_string(read_head(config))
            except configparser.Error:
                break
            if parser.has_section("user") and parser.has_option("user", "name"):
                email = parser.get("user", "email") if parser.has_option("user", "email") else ""
                return _author(parser.get("user", "name"), email)
            break
        if current == root or current.parent == current:
            break
        current = current.parent
    try:
        name, email = _git_config("user.name", folder), _git_config("user.email", folder)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return _author(name, email) if name else ""


def _git_config(key: str, folder: Path) -> str:
    """``git config --get KEY`` as git sees it from ``folder`` ("" when unset)."""
    run = subprocess.run(
        ["git", "config", "--get", key], capture_output=True, text=True, timeout=5, cwd=folder, check=False
    )
    return run.stdout.strip()


def _author(name: str, email: str) -> str:
    return f"{name} <{email}>" if email else name
