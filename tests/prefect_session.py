"""One temporary Prefect API for a whole test session, shared by every xdist worker.

Starting Prefect's temporary API costs 15-25 s of CPU on this 2-core machine (importing the server, ~10 s of
database migrations, block registration). With a harness per worker the session paid that once per worker, each
worker waiting for its own. Here the controlling pytest process starts one server (flows/owned_server.py: it dies
with that process, however it dies) in a background thread while the workers start and collect, and hands its URL
to them in ``OMS_TEST_PREFECT_API``; a worker's first flow test waits until it answers.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ENV = "OMS_TEST_PREFECT_API"
STARTUP_SECONDS = 180  # a loaded 2-core machine has been seen taking ~40 s
FLOW_TESTS = Path(__file__).resolve().parent / "flows"


def runs_flow_tests(config: pytest.Config) -> bool:
    """Whether the paths asked for include flow tests (a run of the unit tests alone starts no server)."""
    asked = [Path(config.invocation_params.dir, arg.split("::")[0]).resolve() for arg in config.args]
    return any(path == FLOW_TESTS or path in FLOW_TESTS.parents or FLOW_TESTS in path.parents for path in asked)


class SessionServer:
    """Prefect's temporary API in its own PREFECT_HOME, started in the background."""

    def __init__(self) -> None:
        self.home = tempfile.mkdtemp(prefix="oms-test-prefect-")
        self.port = _free_port()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._start, name="prefect-session-api", daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start_in_background(self) -> None:
        self._thread.start()

    def _start(self) -> None:
        """Starts, serves and stops in one thread: the server's parent-death signal fires when the thread that
        started it ends, not only the process."""
        try:
            from prefect.settings import temporary_settings

            from flows.owned_server import OwnedApiServer

            # The server's database lives in its own home, never in a worker's nor in a CLI run's. No scheduler:
            # no test waits for a scheduled run, and its bulk inserts of the cron deployments' next 100 runs
            # would hold SQLite's one write lock that every worker's flow runs need.
            with temporary_settings({"home": self.home,
                                     "server.database.connection_url": f"sqlite+aiosqlite:///{self.home}/prefect.db",
                                     "server.services.scheduler.enabled": False}):
                server = OwnedApiServer(port=self.port)
                try:
                    server.start(timeout=STARTUP_SECONDS)
                    self._stopping.wait()
                finally:
                    server.stop()
        except Exception as err:  # noqa: BLE001 - said here; the workers waiting for it point at this output
            print(f"the session's Prefect API could not start: {err}", file=sys.stderr)

    def stop(self) -> None:
        _send_what_prefect_still_holds()
        self._stopping.set()
        self._thread.join(timeout=30)
        shutil.rmtree(self.home, ignore_errors=True)


def _send_what_prefect_still_holds() -> None:
    """Without xdist the controlling process ran the flows too: the last run's logs and events still queued would
    be sent at exit to this server, stopped by then, and retried for minutes ("--- Error logging to API ---")."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (APILogWorker, EventsWorker):
        service.drain_all(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def session_api() -> Iterator[str]:
    """The session's shared API once it answers; Prefect's own harness when no controller started one (a flow
    test run by a path the controller did not recognise)."""
    url = os.environ.get(ENV)
    if not url:
        from prefect.settings import PREFECT_API_URL
        from prefect.testing.utilities import prefect_test_harness

        with prefect_test_harness(server_startup_timeout=120):
            yield PREFECT_API_URL.value()
        return
    _wait_until_it_answers(url)
    yield url


def _wait_until_it_answers(url: str) -> None:
    """Polls /health with the standard library: an httpx client per poll builds an SSL context each time, seconds
    of CPU taken from the server that is starting."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:  # refused while it starts; URLError and timeouts are OSErrors
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the session's Prefect API at {url} did not answer within {STARTUP_SECONDS} s "
                               "(started by the controlling pytest process: see its output)")
        time.sleep(0.25)
