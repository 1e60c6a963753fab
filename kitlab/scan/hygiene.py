"""Workspace hygiene: secrets (kept out of every layer and flagged — the value itself is never reported),
and the suggested ``.kitignore`` that keeps secrets, caches and checkpoints out of the ModelKit."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from kitlab.scan.walk import NOISE_DIRS, NOISE_FILES

SECRET_FILE_NAMES = {
    ".env": "dotenv file",
    ".netrc": "netrc credentials",
    ".pypirc": "PyPI credentials",
    ".npmrc": "npm credentials",
    "credentials": "cloud credentials file",
    "kaggle.json": "Kaggle API token",
    "id_rsa": "SSH private key",
    "id_ed25519": "SSH private key",
}
SECRET_PATTERNS = (
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("AWS secret access key", re.compile(r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}", re.I)),
    ("Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b")),
    ("OpenAI API key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}\b")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("private key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")),
    ("Slack token", re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}")),
    ("Azure storage key", re.compile(r"AccountKey=[A-Za-z0-9+/=]{40,}")),
    ("Weights & Biases API key", re.compile(r"WANDB_API_KEY\s*[=:]\s*['\"]?[0-9a-f]{40}")),
    ("registry auth", re.compile(r"\"auth\"\s*:\s*\"[A-Za-z0-9+/=]{16,}\"")),
)
TEXT_EXTS = {
    ".py",
    ".json",
    ".yaml",
    ".yml",
    ".toml",
    ".cfg",
    ".ini",
    ".sh",
    ".txt",
    ".md",
    ".env",
    ".conf",
    ".r",
    ".js",
    ".ts",
    "",
}
SCAN_MAX_BYTES = 1_000_000


def secret_file_kind(name: str) -> str:
    if name in SECRET_FILE_NAMES:
        return SECRET_FILE_NAMES[name]
    if name.startswith(".env.") and not name.endswith((".example", ".sample", ".template")):
        return "dotenv file"
    if name.endswith((".pem", ".key", ".p12", ".pfx")):
        return "key or certificate file"
    return ""


# One pass per text: every pattern as a named alternative.
_ANY_SECRET = re.compile("|".join(f"(?P<p{i}>{p.pattern})" for i, (_, p) in enumerate(SECRET_PATTERNS)), re.I)


def scan_text(text: str) -> list[tuple[str, int]]:
    """(kind, 1-based line) of every secret-looking match."""
    found: list[tuple[str, int]] = []
    for match in _ANY_SECRET.finditer(text):
        index = int(str(match.lastgroup)[1:])
        kind, pattern = SECRET_PATTERNS[index]
        if pattern.fullmatch(match.group()):  # the combined pattern is case-insensitive; recheck
            found.append((kind, text.count("\n", 0, match.start()) + 1))
    return found


def scan_file(path: Path, rel: str, size: int) -> list[dict[str, object]]:
    name = os.path.basename(rel)
    hits: list[dict[str, object]] = []
    by_name = secret_file_kind(name)
    if by_name:
        hits.append({"path": rel, "kind": by_name})
    ext = os.path.splitext(name)[1].lower()
    if size > SCAN_MAX_BYTES or (ext not in TEXT_EXTS and not by_name):
        return hits
    try:
        with open(path, "rb") as fh:
            text = fh.read(SCAN_MAX_BYTES).decode("utf-8", "replace")
    except OSError:
        return hits
    hits += [{"path": rel, "kind": kind, "line": line} for kind, line in scan_text(text)]
    return hits


def scan_source_texts(rel: str, texts: Iterable[tuple[int | None, str, str]]) -> list[dict[str, object]]:
    """Secrets in notebook cells and outputs (``cell`` and ``where`` say which)."""
    hits: list[dict[str, object]] = []
    for cell, where, text in texts:
        for kind, line in scan_text(text):
            hit: dict[str, object] = {"path": rel, "kind": kind, "line": line}
            if cell is not None:
                hit["cell"] = cell
                hit["where"] = where
            hits.append(hit)
    return hits


def suggest_kitignore(
    existing: str, excluded: list[dict[str, str]], secrets: list[str], checkpoints: list[str]
) -> str:
    """The existing ``.kitignore`` plus what the scan says should stay out, grouped with comments."""
    have = {line.strip() for line in existing.splitlines()}
    groups: list[tuple[str, list[str]]] = [("secrets", sorted(set(secrets)))]
    noise: list[str] = []
    for item in excluded:
        base = os.path.basename(item["path"])
        # Named caches can reappear anywhere; environments and log folders are specific paths.
        named = base in NOISE_DIRS or base in NOISE_FILES
        noise.append(f"**/{base}" if named and "run logs" not in item["reason"] else item["path"])
    groups.append(("caches, environments and run logs", sorted(set(noise))))
    groups.append(("training checkpoints", sorted(set(checkpoints))))
    out = [existing.rstrip("\n")] if existing.strip() else []
    for title, lines in groups:
        new = [ln for ln in lines if ln not in have]
        if new:
            out.append(f"# {title} (suggested by kitlab scan)")
            out += new
    return "\n".join(out) + "\n" if out else ""
