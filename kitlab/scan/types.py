"""Shared value types of the workspace scan: limits, walked files, sniff results and report entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ScanLimits:
    """Bounds on one scan. ``include_noise`` keeps caches, virtualenvs and run logs in the walk."""

    max_files: int = 500_000
    max_seconds: float = 20.0
    max_notebooks: int = 300
    max_code_files: int = 1_000  # .py files parsed for reads/writes, shallowest first
    max_secret_scan_files: int = 4_000  # text files scanned for secrets (besides notebooks), shallowest first
    max_code_bytes: int = 1_000_000
    sniffs_per_dir_and_kind: int = 4
    include_noise: bool = False
    pinned_requirements: bool = True


@dataclass
class WalkedFile:
    rel: str  # POSIX path relative to the scanned folder
    size: int
    mtime: float = 0.0  # "written last" is evidence when several models of one kind compete


@dataclass
class Sniffed:
    """What a file's bytes say it is.

    ``role`` is "model", "modelpart" (scaler, encoder, tokenizer, label map), "data", "config" or "other".
    ``summary`` is the human-checkable reason ("GGUF v3, llama architecture, 4.1 GB").
    """

    role: str
    format: str
    summary: str
    framework: str = ""
    version: str = ""
    part_type: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Entry:
    """One proposed Kitfile entry, with the reasons a person can check and alternatives they may prefer."""

    kind: str  # model | modelpart | dataset | code | docs
    path: str
    size: int
    name: str = ""
    format: str = ""
    framework: str = ""
    version: str = ""
    description: str = ""
    part_type: str = ""
    reasons: list[str] = field(default_factory=list)
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    # ModelPack-grade facts the sniffers read (format, precision, paramSize, quantization, architecture)
    # and where the model came from (a tracker run's id, params and metrics): the Kitfile's parameters.
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "path": self.path, "size": self.size}
        for key in ("name", "format", "framework", "version", "description"):
            value = getattr(self, key)
            if value:
                out[key] = value
        if self.part_type:
            out["type"] = self.part_type
        out["reasons"] = list(self.reasons)
        if self.alternatives:
            out["alternatives"] = list(self.alternatives)
        if self.metadata:
            out["metadata"] = dict(self.metadata)
        return out


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")
