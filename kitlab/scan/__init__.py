"""Workspace scanner: recognise models, datasets and code by content, read the notebooks for what they
write and read, and draft a Kitfile with a checkable reason for every entry (pure library, no server)."""

from kitlab.scan.types import ScanLimits
from kitlab.scan.workspace import ScanReport, scan_workspace

__all__ = ["ScanLimits", "ScanReport", "scan_workspace"]
