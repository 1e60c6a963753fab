"""The pickle safety gate of the loaders: kitlab's one pickle analyser, ``kitlab.scan.pickles``."""

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
    "scan_tree",
]
