"""Prefect's temporary API server, tied to the life of the `oms` process that starts it (see flows/api_server.py)."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

import prefect
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import get_current_settings

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class OwnedApiServer(SubprocessASGIServer):
    """Prefect's temporary server, started as Prefect starts it, but tied to this process's life."""

    _instances: dict = {}  # not Prefect's own registry: never hand out Prefect's server, nor it ours

    def _run_uvicorn_command(self) -> subprocess.Popen:
        environment = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
                       "PREFECT__SERVER_FINAL": "1",
                       **get_current_settings().to_environment_variables(exclude_unset=True)}
        # Its own log, not the terminal: stopped while a request is under way (the run's end on SIGTERM), the
        # server prints a traceback of its own that read like the run's.
        with temporary_api_log().open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent), "--factory",
                 "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
                 "--log-level", "error", "--lifespan", "on"],
                env=environment, preexec_fn=_die_with_parent, start_new_session=True,  # noqa: PLW1509
                stdout=log, stderr=subprocess.STDOUT)


def temporary_api_log() -> Path:
    """Where the temporary API writes its errors: beside its database, in PREFECT_HOME."""
    home = Path(get_current_settings().home)
    home.mkdir(parents=True, exist_ok=True)
    return home / "oms-temporary-api.log"
