"""A temporary Prefect API for one `oms` command, when no server is configured, that cannot outlive it.

Prefect starts a temporary API server (uvicorn) as a child process when PREFECT_API_URL is not set. Killed with
SIGKILL, `oms` cannot stop that child, which then runs on under PID 1; and a SIGTERM sent to the whole process
group stops it while the flow is still reporting its end to it, which hangs for minutes. So `oms` starts the same
server itself, in a session of its own (a group SIGTERM does not reach it), with the kernel's parent-death signal
set (it gets SIGTERM the moment `oms` dies, however it dies), and stops it when the command ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.settings import PREFECT_API_URL, temporary_settings

STARTUP_SECONDS = 120  # Prefect's default (20 s) is too short on a busy 2-core machine (~18 s seen)


@contextmanager
def prefect_api(say=print) -> Iterator[str]:
    """The configured Prefect API, or a temporary one owned by this process; yields the API URL."""
    if PREFECT_API_URL.value():
        yield PREFECT_API_URL.value()
        return
    # Imported only here: Prefect's server package takes seconds to import, and a configured server needs none of it.
    from flows.owned_server import OwnedApiServer, temporary_api_log

    server = OwnedApiServer()
    server.start(timeout=STARTUP_SECONDS)
    say(f"prefect: temporary API at {server.api_url} (pid {server.server_process.pid}; it stops with this "
        f"command, its errors go to {temporary_api_log()}; set PREFECT_API_URL to use a server of your own)")
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            try:
                yield server.api_url
            finally:
                _send_what_is_queued()
    finally:
        server.stop()


def _send_what_is_queued(seconds: float = 5) -> None:
    """Flow logs and events still queued go out while the server is up; sent after it stopped, Prefect would
    retry them for over a minute before the command could exit."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(Exception):
            worker.drain_all(timeout=seconds)
