"""The kitlab REST API as the server tests call it through ``jp_fetch`` (authentication on): one request,
waiting for a job to end, and both at once for a job run start to finish."""

from __future__ import annotations

import asyncio
import json
from typing import Any

ENDED = ("succeeded", "failed", "cancelled")


async def call(jp_fetch, *parts, method="GET", body=None, **kwargs) -> tuple[int, Any]:
    payload = None if body is None else json.dumps(body)
    response = await jp_fetch("kitlab", *parts, method=method, body=payload, **kwargs)
    return response.code, (json.loads(response.body) if response.body else None)


async def wait_job(jp_fetch, job_id, states=ENDED, timeout=30) -> dict[str, Any]:
    for _ in range(int(timeout / 0.05)):
        _, job = await call(jp_fetch, "jobs", job_id)
        if job["state"] in states:
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} stuck in {job['state']}")


async def run_job(jp_fetch, kind: str, params: dict[str, Any], timeout=30) -> dict[str, Any]:
    """Start a job of ``kind`` and return its record once it has ended, whichever way."""
    _, job = await call(jp_fetch, "jobs", method="POST", body={"kind": kind, "params": params})
    return await wait_job(jp_fetch, job["id"], timeout=timeout)
