"""The pickle safety gate of the loaders: kitlab's one pickle analyser, ``kitlab.scan.pickles``."""

from __future__ import annotations

from kitlab.modelkit.layers import PackPlan
from kitlab.scan.pickles.files import (
    DANGEROUS_VERDICT,
    NOT_A_PICKLE,
    SAFE,
    UNKNOWN_VERDICT,
    GlobalRef,
    PickleReport,
    pickle_warnings,
    scan_pickle_cli,
    scan_pickle_file,
    scan_tree,
)

__all__ = [
    "DANGEROUS_VERDICT",
    "NOT_A_PICKLE",
    "SAFE",
    "UNKNOWN_VERDICT",
    "GlobalRef",
    "PickleReport",
    "pickle_warnings",
    "scan_pickle_cli",
    "scan_pickle_file",
    "scan_planned_pickles",
    "scan_tree",
]


def scan_planned_pickles(plan: PackPlan) -> list[PickleReport]:
    """The pickles a kit will carry (every file of the plan's layers), each with its verdict: what pack
    and pack & push warn about, in the CLI and the server alike."""
    files = (entry.path for layer in plan.layers for entry in layer.entries if not entry.is_dir)
    return [report for report in map(scan_pickle_file, files) if report.verdict != NOT_A_PICKLE]
