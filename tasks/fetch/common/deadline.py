"""A deadline for one whole HTTP call (connect, headers and body), enforced by shutting its socket down.

requests' ``timeout`` bounds each wait for bytes, not the call: a server that trickles one byte every two seconds
keeps a call alive for ever. Here a watchdog timer shuts the call's socket down when its time is up; the blocked
read then fails at once and the caller reports the deadline. The same registry lets a stopping run (SIGTERM)
end every call in flight within moments instead of waiting for each one's timeout.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()
_active: set[CallDeadline] = set()
_active_lock = threading.Lock()
_stopping = threading.Event()


class RunStopping(RuntimeError):
    """The run was told to stop (SIGTERM): calls in flight end and no new call or wait starts."""


class CallDeadline:
    """The time one call may take; the sockets it uses are shut down when that time is up (or on abort)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.aborted = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self.expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if not (self.expired or self.aborted):
                return
        _shut(sock)

    def expire(self, aborted: bool = False) -> None:
        with self._lock:
            self.expired = True
            self.aborted = self.aborted or aborted
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def call_deadline(seconds: float) -> Iterator[CallDeadline]:
    """Arm a deadline for the calls this thread makes inside the block."""
    if _stopping.is_set():
        raise RunStopping("the run is stopping")
    deadline = CallDeadline(seconds)
    _current.deadline = deadline
    with _active_lock:
        _active.add(deadline)
    deadline._timer.start()
    try:
        yield deadline
    finally:
        deadline._timer.cancel()
        _current.deadline = None
        with _active_lock:
            _active.discard(deadline)


def stop_all_calls() -> int:
    """A stopping run: every call in flight in this process is cut, waits end, no new call starts; returns how many
    calls were cut."""
    _stopping.set()
    with _active_lock:
        deadlines = list(_active)
    for deadline in deadlines:
        deadline.expire(aborted=True)
    return len(deadlines)


def stopping() -> bool:
    return _stopping.is_set()


def wait_unless_stopping(seconds: float) -> None:
    """Sleep, unless the run is told to stop meanwhile (then RunStopping at once)."""
    if _stopping.wait(seconds):
        raise RunStopping("the run is stopping")


def reset_stopping() -> None:
    """For a process that runs again after a stop (tests)."""
    _stopping.clear()


class _WatchedConnection(HTTPConnection):
    def getresponse(self, *args, **kwargs):  # the request is sent; from here on the server decides the pace
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def getresponse(self, *args, **kwargs):
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections report their socket to the calling thread's deadline."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedHTTPSPool}


def session_with_deadlines() -> requests.Session:
    session = requests.Session()
    adapter = DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
