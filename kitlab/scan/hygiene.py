"""The suggested ``.kitignore`` that keeps secrets, caches and checkpoints out of the ModelKit.

Secrets themselves are found by the one detector, ``kitlab.modelkit.secrets``, which every pack path
runs too; the value of a secret is never reported."""

from __future__ import annotations

import os

from kitlab.scan.walk import NOISE_DIRS, NOISE_FILES


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
