"""The Jupyter server extension: settings, the job manager, the event schema and the routes."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import IOLoop

from kitlab._version import __version__
from kitlab.server.jobparams import JobParams
from kitlab.server.jobs import JobManager
from kitlab.server.operations import job_runners
from kitlab.server.routes import ROUTES
from kitlab.server.settings import Kitlab

JOB_EVENT_SCHEMA = Path(__file__).parent / "events" / "job.yaml"
JOB_EVENT_ID = "https://events.kitlab.dev/job"


# Items in one event: the bus validates every event against its schema on the event loop, so a kit of
# thousands of layers must not send them all four times a second. Items still in progress come first.
EVENT_ITEMS = 64


def event_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most ``EVENT_ITEMS`` of ``items``, in their order: those in progress, then the latest."""
    if len(items) <= EVENT_ITEMS:
        return items
    keep = {i for i, item in enumerate(items) if item["done"] < item["total"]}
    keep = set(sorted(keep)[:EVENT_ITEMS])
    for i in range(len(items) - 1, -1, -1):
        if len(keep) >= EVENT_ITEMS:
            break
        keep.add(i)
    return [item for i, item in enumerate(items) if i in keep]


def job_event(job: dict[str, Any]) -> dict[str, Any]:
    """The compact form of a job sent on the event bus (no log, no params, a bounded list of items;
    ``done`` and ``total`` always count every item)."""
    progress = job["progress"]
    event = {
        "id": job["id"],
        "kind": job["kind"],
        "state": job["state"],
        "stage": job["stage"],
        "done": progress["done"],
        "total": progress["total"],
        "bytesPerSecond": progress["bytesPerSecond"],
        "items": event_items(job["items"]),
    }
    if job["error"]:
        event["error"] = job["error"]
    return event


class KitlabApp(ExtensionApp):
    name = "kitlab"
    load_other_extensions = True

    def initialize_settings(self) -> None:
        # kitlab's own log lines (``logging.getLogger("kitlab.…")``) go where the server's go, at the
        # server's level, as jupyterlab-git does: one log, --log-level applies to both.
        serverapp = self.serverapp
        assert serverapp is not None, "a server extension is loaded by a ServerApp"
        kitlab_log = logging.getLogger("kitlab")
        kitlab_log.parent = serverapp.log
        kitlab_log.setLevel(logging.NOTSET)
        kitlab_log.propagate = True
        settings = Kitlab(parent=serverapp)
        root = Path(serverapp.root_dir)
        event_logger = serverapp.event_logger
        assert event_logger is not None, "jupyter_server >= 2 always has an event logger"
        event_logger.register_event_schema(JOB_EVENT_SCHEMA)
        loop = IOLoop.current()

        def emit(job: dict[str, Any]) -> None:
            # Called from worker threads; the event bus writes to websockets, so hop onto the loop.
            loop.add_callback(event_logger.emit, schema_id=JOB_EVENT_ID, data=job_event(job))

        self.jobs = JobManager(
            Path(jupyter_data_dir()) / "kitlab" / "jobs",
            job_runners(settings, root),
            max_concurrent=settings.max_concurrent_jobs,
            niceness=settings.job_niceness,
            on_change=emit,
            validate=JobParams(settings, root).check,
            max_history=settings.job_history,
            max_age=settings.job_history_days * 86400,
        )
        self.settings.update({"kitlab_settings": settings, "kitlab_jobs": self.jobs, "kitlab_root": root})
        self.log.info("kitlab %s: store at %s", __version__, settings.home() / "storage")

    def initialize_handlers(self) -> None:
        self.handlers.extend((f"/kitlab/{path}", handler) for path, handler in ROUTES)

    async def stop_extension(self) -> None:
        self.jobs.shutdown()
