"""The job manager with real worker threads and real state files."""

import contextlib
import json
import logging
import os
import sys
import threading
import time

import pytest

from kitlab.errors import Conflict, InvalidInput, NotFound
from kitlab.progress import ProgressEvent
from kitlab.server.jobs import JobManager


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached in time")


def chunked(params, reporter):
    """A job that does `chunks` units of work, reporting bytes and honouring cancel between units."""
    total = params["chunks"] * 100
    reporter.stage("work")
    for i in range(params["chunks"]):
        reporter.cancel.check()
        time.sleep(params.get("delay", 0.0))
        reporter.progress(ProgressEvent("write", "layer-a", 0, 1, (i + 1) * 100, total))
    return {"written": total}


def failing(params, reporter):
    raise InvalidInput("the Kitfile has 2 problems", details={"problems": 2})


def crashing(params, reporter):
    raise RuntimeError("boom")


RUNNERS = {"chunked": chunked, "failing": failing, "crashing": crashing}


@pytest.fixture
def events():
    return []


@contextlib.contextmanager
def job_manager(directory, runners, **options):
    """A JobManager over ``directory``, shut down (its worker threads joined) on exit."""
    manager = JobManager(directory, runners, **options)
    try:
        yield manager
    finally:
        manager.shutdown()


@pytest.fixture
def manager(tmp_path, events):
    with job_manager(tmp_path / "jobs", RUNNERS, max_concurrent=1, on_change=events.append) as m:
        yield m


def test_job_runs_off_thread_reports_progress_and_succeeds(manager, events):
    job = manager.create("chunked", {"chunks": 5})
    wait_for(lambda: manager.get(job.id).state == "succeeded")
    done = manager.get(job.id).to_dict()
    assert done["result"] == {"written": 500}
    assert done["progress"]["done"] == done["progress"]["total"] == 500
    assert events[0]["state"] == "queued"
    assert events[-1]["state"] == "succeeded"
    assert "running" in {e["state"] for e in events}


def test_jobs_queue_in_order_beyond_the_concurrency_limit(manager):
    first = manager.create("chunked", {"chunks": 20, "delay": 0.02})
    second = manager.create("chunked", {"chunks": 1})
    wait_for(lambda: manager.get(first.id).state == "running")
    assert manager.get(second.id).state == "queued"
    wait_for(lambda: manager.get(second.id).state == "succeeded")
    assert manager.get(first.id).finished_at <= manager.get(second.id).started_at


def test_cancel_stops_a_running_job_within_a_second(manager):
    job = manager.create("chunked", {"chunks": 10_000, "delay": 0.01})
    wait_for(lambda: manager.get(job.id).state == "running")
    asked = time.monotonic()
    manager.cancel(job.id)
    wait_for(lambda: manager.get(job.id).state == "cancelled", timeout=1.0)
    assert time.monotonic() - asked < 1.0
    with pytest.raises(Conflict):
        manager.cancel(job.id)


def test_cancel_of_a_queued_job_means_it_never_runs(manager):
    started = threading.Event()

    def blocker(params, reporter):
        started.set()
        while not reporter.cancel.cancelled:
            time.sleep(0.01)
        reporter.cancel.check()
        return {}

    manager._runners["blocker"] = blocker
    running = manager.create("blocker", {})
    started.wait(2)
    queued = manager.create("chunked", {"chunks": 1})
    assert manager.cancel(queued.id).state == "cancelled"
    manager.cancel(running.id)
    wait_for(lambda: manager.get(running.id).state == "cancelled")
    assert manager.get(queued.id).started_at is None


def test_library_errors_fail_the_job_with_their_code(manager):
    job = manager.create("failing", {})
    wait_for(lambda: manager.get(job.id).state == "failed")
    assert manager.get(job.id).error == {
        "code": "invalid",
        "message": "the Kitfile has 2 problems",
        "details": {"problems": 2},
    }


def test_unexpected_errors_fail_the_job_not_the_manager(manager):
    job = manager.create("crashing", {})
    wait_for(lambda: manager.get(job.id).state == "failed")
    assert manager.get(job.id).error["code"] == "internal"
    ok = manager.create("chunked", {"chunks": 1})
    wait_for(lambda: manager.get(ok.id).state == "succeeded")


def test_unknown_kind_and_unknown_id_are_clear_errors(manager):
    with pytest.raises(InvalidInput, match="unknown job kind"):
        manager.create("frobnicate", {})
    with pytest.raises(NotFound):
        manager.get("nope")


def test_history_survives_a_restart_and_running_jobs_become_interrupted(tmp_path):
    directory = tmp_path / "jobs"
    release = threading.Event()

    def hang(params, reporter):
        release.wait(5)
        return {}

    seen = []
    first = JobManager(directory, {"hang": hang, **RUNNERS}, max_concurrent=2, on_change=seen.append)
    done = first.create("chunked", {"chunks": 1})
    hanging = first.create("hang", {})
    # Change events are sent after the state file is written: wait on those, as the browser does.
    expected = {(done.id, "succeeded"), (hanging.id, "running")}
    wait_for(lambda: expected <= {(e["id"], e["state"]) for e in seen})

    # A second manager over the same directory is what a restarted server sees.
    restarted = JobManager(directory, RUNNERS)
    try:
        assert restarted.get(done.id).state == "succeeded"
        assert restarted.get(done.id).result == {"written": 100}
        assert restarted.get(hanging.id).state == "interrupted"
        assert {j.id for j in restarted.list()} == {done.id, hanging.id}
    finally:
        release.set()
        first.shutdown()
        restarted.shutdown()


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are Linux's")
def test_job_threads_run_nicer_than_the_server_and_so_do_their_helpers(tmp_path):
    def priorities(params, reporter):
        own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        seen = {}
        helper = threading.Thread(
            target=lambda: seen.update(helper=os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        )
        helper.start()
        helper.join()
        return {"job": own, **seen}

    server = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    with job_manager(tmp_path / "jobs", {"prio": priorities}, niceness=7) as m:
        job = m.create("prio", {})
        wait_for(lambda: m.get(job.id).state == "succeeded")
        assert m.get(job.id).result == {"job": min(19, server + 7), "helper": min(19, server + 7)}
        # The server's own thread (the event loop's, in Jupyter) keeps its priority.
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == server


# ------------------------------------------------------------------------------------ bounded history


def test_history_keeps_the_newest_ended_jobs_and_their_records_only(tmp_path):
    with job_manager(tmp_path / "jobs", RUNNERS, max_history=2) as m:
        ids = []
        for _ in range(4):
            job = m.create("chunked", {"chunks": 1})
            wait_for(lambda job=job: m.get(job.id).state == "succeeded")
            ids.append(job.id)
        assert [j.id for j in m.list()] == ids[:1:-1]
        assert sorted(p.stem for p in (tmp_path / "jobs").iterdir()) == sorted(ids[2:])
        page, total = m.page(1, 5)
        assert [j.id for j in page] == [ids[2]]
        assert total == 2


def test_jobs_ended_longer_ago_than_max_age_are_forgotten_at_start(tmp_path):
    directory = tmp_path / "jobs"
    first = JobManager(directory, RUNNERS)
    old, recent = first.create("chunked", {"chunks": 1}), first.create("chunked", {"chunks": 1})
    wait_for(lambda: all(first.get(j.id).state == "succeeded" for j in (old, recent)))
    first.shutdown()
    record = directory / f"{old.id}.json"
    data = json.loads(record.read_text())
    data["createdAt"] = data["finishedAt"] = time.time() - 3 * 86400  # the record's own clock, not mtimes
    record.write_text(json.dumps(data))
    with job_manager(directory, RUNNERS, max_age=2 * 86400) as restarted:
        assert [j.id for j in restarted.list()] == [recent.id]
        assert not record.exists()


def test_an_oversized_record_from_before_the_limits_is_dropped(tmp_path):
    directory = tmp_path / "jobs"
    directory.mkdir()
    huge = {
        "id": "huge",
        "kind": "pack",
        "params": {"path": "x" * (2 << 20)},
        "state": "failed",
        "createdAt": 1.0,
    }
    (directory / "huge.json").write_text(json.dumps(huge))
    with job_manager(directory, RUNNERS) as m:
        assert m.list() == []
        assert not (directory / "huge.json").exists()


def test_remove_forgets_an_ended_job_and_refuses_a_running_one(manager, tmp_path):
    running = manager.create("chunked", {"chunks": 1000, "delay": 0.01})
    wait_for(lambda: manager.get(running.id).state == "running")
    with pytest.raises(Conflict, match="cancel it first"):
        manager.remove(running.id)
    manager.cancel(running.id)
    wait_for(lambda: manager.get(running.id).state == "cancelled")
    manager.remove(running.id)
    with pytest.raises(NotFound):
        manager.get(running.id)
    assert not (tmp_path / "jobs" / f"{running.id}.json").exists()


def test_a_validator_refuses_a_job_before_it_has_a_record(tmp_path, events):
    def validate(kind, params):
        if params.get("chunks", 0) > 10:
            raise InvalidInput("params.chunks: at most 10")

    with job_manager(tmp_path / "jobs", RUNNERS, on_change=events.append, validate=validate) as m:
        with pytest.raises(InvalidInput, match="at most 10"):
            m.create("chunked", {"chunks": 11})
        assert m.list() == []
        assert events == []
        assert list((tmp_path / "jobs").iterdir()) == []


def test_log_lines_are_bounded(manager):
    def chatty(params, reporter):
        for _ in range(300):
            reporter.log("y" * 5000)
        return {}

    with job_manager(manager._dir, {"chatty": chatty}) as m:
        job = m.create("chatty", {})
        wait_for(lambda: m.get(job.id).state == "succeeded")
        log = m.get(job.id).log
        assert len(log) == 200
        assert all(len(line) == 1001 for line in log)


def test_failures_are_logged_a_bug_with_its_traceback_a_refusal_in_one_line(manager, caplog):
    with caplog.at_level(logging.WARNING, logger="kitlab.server.jobs"):
        crash = manager.create("crashing", {})
        refusal = manager.create("failing", {})
        wait_for(lambda: manager.get(refusal.id).state == "failed")
    by_job = {r.getMessage().split()[1]: r for r in caplog.records if r.name == "kitlab.server.jobs"}
    assert by_job[crash.id].levelno == logging.ERROR
    assert by_job[crash.id].exc_info is not None
    assert "boom" in str(by_job[crash.id].exc_info[1])
    assert by_job[refusal.id].levelno == logging.WARNING
    assert by_job[refusal.id].exc_info is None
    assert (
        by_job[refusal.id].getMessage()
        == f"job {refusal.id} (failing) failed: invalid: the Kitfile has 2 problems"
    )


def test_a_huge_result_is_cut_and_says_so(manager):
    def noisy(params, reporter):
        return {"reference": "m:v1", "warnings": [f"warning {i}: " + "w" * 200 for i in range(10_000)]}

    with job_manager(manager._dir, {"noisy": noisy}) as m:
        job = m.create("noisy", {})
        wait_for(lambda: m.get(job.id).state == "succeeded")
        result = m.get(job.id).result
        assert result["reference"] == "m:v1"
        assert result["truncated"] is True
        assert result["warnings"][-1].startswith("warning 99: ")
        assert len(json.dumps(m.get(job.id).to_dict())) < 64 << 10


def test_progress_of_thousands_of_items_keeps_one_entry_each(manager):
    def many(params, reporter):
        for rounds in range(3):
            for i in range(3_000):
                reporter.progress(ProgressEvent("upload", f"layer-{i}", i, 3_000, rounds, 2))
        return {}

    with job_manager(manager._dir, {"many": many}) as m:
        job = m.create("many", {})
        wait_for(lambda: m.get(job.id).state == "succeeded", timeout=20)
        items = m.get(job.id).items
        assert len(items) == 3_000
        assert {i.done for i in items} == {2}


def test_the_queue_is_bounded(tmp_path):
    release = threading.Event()

    def hang(params, reporter):
        release.wait(5)
        return {}

    m = JobManager(tmp_path / "jobs", {"hang": hang}, max_concurrent=1, max_active=3)
    try:
        jobs = [m.create("hang", {}) for _ in range(3)]
        with pytest.raises(Conflict, match="3 jobs are already queued or running"):
            m.create("hang", {})
        assert len(m.list()) == 3
        release.set()
        wait_for(lambda: all(m.get(j.id).state == "succeeded" for j in jobs))
        m.create("hang", {})  # room again
    finally:
        release.set()
        m.shutdown()


def test_an_event_carries_at_most_64_items_those_in_progress_first():
    from kitlab.server.app import EVENT_ITEMS, event_items

    items = [{"item": f"l{i}", "done": 10, "total": 10} for i in range(1_000)]
    items[3]["done"] = 5  # still uploading, reported long ago
    kept = event_items(items)
    assert len(kept) == EVENT_ITEMS
    assert kept[0]["item"] == "l3"
    assert kept[-1]["item"] == "l999"
    assert event_items(items[:10]) == items[:10]
