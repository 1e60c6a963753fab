"""Job kinds: each turns a job's JSON params into one library call, with paths confined to the root.

Runners execute on worker threads (see ``kitlab.jobs``); they receive a ``Reporter`` for progress and
cancellation and return a JSON-serialisable result.
"""

from __future__ import annotations

from pathlib import Path

from kitlab.jobs import JobRunner
from kitlab.settings import Kitlab


def job_runners(settings: Kitlab, root: Path) -> dict[str, JobRunner]:
    return {}
