"""A sliding-window call limiter shared by every thread of a process.

SCB announces ``maxCallsPerTimeWindow`` per ``timeWindow`` seconds per IP (``GET /config``). Prefect's global
concurrency limits poll in whole seconds (shared/STACK-NOTES.md), too coarse for 30 calls per 10 s, so the
precise pacing lives here, inside the HTTP client, and all fetch tasks of a run share one instance.

A call's time in the window is the moment its answer came back, not the moment it was sent: the server counts a
call when it arrives, which is after we sent it and before we have the answer, so timing from the answer can
never put more calls into the server's window than it allows. A call still in flight holds its place in the window.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tasks.fetch.common.deadline import wait_unless_stopping

IN_FLIGHT = math.inf
_POLL_SECONDS = 0.02  # when only calls in flight fill the window, look again this soon


class SlidingWindowLimiter:
    def __init__(self, max_calls: int, window_seconds: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = wait_unless_stopping) -> None:
        if max_calls < 1 or window_seconds <= 0:
            raise ValueError("max_calls must be >= 1 and window_seconds > 0")
        self.max_calls = max_calls
        self.window_seconds = window_seconds
        self._clock, self._sleep = clock, sleep
        self._calls: deque[list[float]] = deque()  # one [time] per call: answer time, or IN_FLIGHT
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def reconfigure(self, max_calls: int, window_seconds: float) -> None:
        with self._lock:
            self.max_calls, self.window_seconds = max_calls, window_seconds

    @contextmanager
    def call(self) -> Iterator[None]:
        """Hold a place in the window for one call; its time is when the block ends (the answer is in)."""
        slot = self._acquire()
        try:
            yield
        finally:
            with self._lock:
                slot[0] = self._clock()

    def _acquire(self) -> list[float]:
        while True:
            with self._lock:
                now = self._clock()
                self._calls = deque(c for c in self._calls if now - c[0] < self.window_seconds)
                if len(self._calls) < self.max_calls:
                    slot = [IN_FLIGHT]
                    self._calls.append(slot)
                    return slot
                oldest = min(c[0] for c in self._calls)
                wait = _POLL_SECONDS if oldest == IN_FLIGHT else self.window_seconds - (now - oldest) + 0.001
            self.waited_seconds += wait
            self._sleep(wait)

    def push_back(self, seconds: float) -> None:
        """The server said wait (429 Retry-After): fill the window so no thread calls before then."""
        if not math.isfinite(seconds) or seconds <= 0:
            return  # IN_FLIGHT is infinity: an infinite wait would read as calls that never end
        with self._lock:
            until = self._clock() + seconds - self.window_seconds
            self._calls = deque([until] for _ in range(self.max_calls))
