"""Retries: one policy, and one budget per operation shared by every request and thread of it.

Before, each request retried on its own and the blob loops retried around it again, so a registry that
always answered 503 saw 5 × 5 requests per blob, and a 60 s ``Retry-After`` made a pull take ~24 minutes
to fail. Now a push, pull, pack-and-push, tag listing or login holds ONE ``RetryBudget``
(docs/hardening.md states the numbers):

* at most ``attempts - 1`` retries in all, whatever request they are for;
* retrying stops once ``max_wait`` seconds have passed since the first failure (waits and failed
  attempts both count), and a ``Retry-After`` asking for more than what is left fails at once;
* a transfer that moves ``refund_bytes`` after a failure gives one retry back and restarts the clock,
  so a long download over a flaky link keeps resuming while a dead registry fails fast.

Waits poll the operation's cancel check, so a cancel ends a wait within ``POLL`` seconds.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

POLL = 0.05  # seconds between cancel checks while waiting to retry


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries per operation in all (so ``attempts - 1`` retries); sleeps ``backoff``, 2×,
    4× … capped at ``max_backoff``, or the registry's ``Retry-After`` up to ``max_retry_after``; gives
    up ``max_wait`` seconds after the first failure."""

    attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 20.0
    max_retry_after: float = 60.0
    max_wait: float = 120.0
    refund_bytes: int = 8 << 20

    def delay(self, attempt: int, response: requests.Response | None = None) -> float:
        if response is not None:
            hinted = retry_after_seconds(response.headers.get("Retry-After"))
            if hinted is not None:
                return min(hinted, self.max_retry_after)
        return min(self.backoff * (2**attempt), self.max_backoff)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value[:12])  # a 5,000-digit value is still "very long", not an OverflowError
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


class RetryBudget:
    """The retries one operation may still make; thread-safe (parallel blob transfers share it)."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self.used = 0  # retries taken, net of refunds
        self.total = 0  # retries taken, for reports and tests
        self._first_failure: float | None = None
        self._moved = 0

    def take(self, response: requests.Response | None = None) -> tuple[float | None, str]:
        """Reserve one retry: ``(delay, "")``, or ``(None, why)`` when the budget does not allow it."""
        policy = self.policy
        with self._lock:
            now = self._clock()
            if self._first_failure is None:
                self._first_failure = now
            left = policy.max_wait - (now - self._first_failure)
            if self.used + 1 >= policy.attempts:
                return None, f"gave up after {self.total} retries"
            hinted = (
                retry_after_seconds(response.headers.get("Retry-After")) if response is not None else None
            )
            if hinted is not None and (hinted > policy.max_retry_after or hinted > left):
                return None, (
                    f"it asked to retry after {hinted:.0f} s, more than the {max(0.0, left):.0f} s left of "
                    "kitlab's retry budget"
                )
            delay = policy.delay(self.used, response)
            if delay > left:
                return None, f"gave up after {self.total} retries in {now - self._first_failure:.0f} s"
            self.used += 1
            self.total += 1
            self._moved = 0
            return delay, ""

    def moved(self, n: int) -> None:
        """``n`` bytes transferred: enough of them give one retry back and restart the clock."""
        with self._lock:
            if not self.used and self._first_failure is None:
                return
            self._moved += n
            if self._moved >= self.policy.refund_bytes:
                self._moved = 0
                self.used = max(0, self.used - 1)
                self._first_failure = None

    def wait(self, seconds: float, cancelled: Callable[[], bool]) -> bool:
        """Sleep ``seconds``, polling ``cancelled``; False if cancelled first."""
        deadline = self._clock() + seconds
        while True:
            if cancelled():
                return False
            left = deadline - self._clock()
            if left <= 0:
                return True
            self._sleep(min(POLL, left))
