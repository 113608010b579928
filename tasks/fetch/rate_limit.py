"""A sliding-window call limiter shared by every thread of a process.

SCB announces ``maxCallsPerTimeWindow`` per ``timeWindow`` seconds per IP (``GET /config``). Prefect's global
concurrency limits poll in whole seconds (shared/STACK-NOTES.md), too coarse for 30 calls per 10 s, so the
precise pacing lives here, inside the HTTP client, and all fetch tasks of a run share one instance.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    def __init__(self, max_calls: int, window_seconds: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if max_calls < 1 or window_seconds <= 0:
            raise ValueError("max_calls must be >= 1 and window_seconds > 0")
        self.max_calls = max_calls
        self.window_seconds = window_seconds
        self._clock, self._sleep = clock, sleep
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def reconfigure(self, max_calls: int, window_seconds: float) -> None:
        with self._lock:
            self.max_calls, self.window_seconds = max_calls, window_seconds

    def acquire(self) -> None:
        """Block until one more call fits in the window, then record it."""
        while True:
            with self._lock:
                now = self._clock()
                while self._calls and now - self._calls[0] >= self.window_seconds:
                    self._calls.popleft()
                if len(self._calls) < self.max_calls:
                    self._calls.append(now)
                    return
                wait = self.window_seconds - (now - self._calls[0]) + 0.005
            self.waited_seconds += wait
            self._sleep(wait)

    def push_back(self, seconds: float) -> None:
        """The server said wait (429 Retry-After): fill the window so no thread calls before then."""
        with self._lock:
            until = self._clock() + seconds - self.window_seconds
            self._calls = deque([until] * self.max_calls)
