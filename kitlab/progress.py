"""Progress reporting and cooperative cancellation for long operations (pack, push, pull, unpack).

Long work runs on worker threads; the job system passes a ``Progress`` sink and a ``CancelToken``.
Workers call ``token.check()`` between chunks so a cancel takes effect within one chunk (≤ 8 MiB).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from kitlab.errors import Cancelled


class CancelToken:
    """Set from any thread; checked by the worker between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise ``Cancelled`` if a cancel was requested."""
        if self._event.is_set():
            raise Cancelled("operation cancelled")


@dataclass(frozen=True)
class ProgressEvent:
    """One progress report.

    ``stage`` names the phase ("hash", "write", "upload", "download", "extract"); ``item`` names what
    is being worked on (a layer's Kitfile path, a blob digest); ``index``/``count`` place it among its
    siblings (layer 2 of 4); ``done``/``total`` are bytes for that item.
    """

    stage: str
    item: str
    index: int
    count: int
    done: int
    total: int


ProgressFn = Callable[[ProgressEvent], None]


def no_progress(_event: ProgressEvent) -> None:
    """Default sink: report nothing."""
