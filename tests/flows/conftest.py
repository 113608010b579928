"""Flow tests: real Prefect flow runs on a temporary local API, against the loopback PxWeb replay server."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from replay.kolada.server import KoladaReplayServer
from replay.launch import Emulators, running_emulators
from replay.pxweb.server import PxWebReplayServer
from tests.prefect_session import session_api


@pytest.fixture(scope="session", autouse=True)
def prefect_api(tmp_path_factory) -> Iterator[None]:
    """The session's one Prefect API (tests/prefect_session.py), and this worker's own PREFECT_HOME."""
    import os

    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # Flow-run heartbeats (every 180 s; crash detection for runs a worker started) sleep in 1 s steps, and a flow
    # run's end waits for the step under way: up to 1 s per run, ~60 runs here. No test runs long enough for one.
    with session_api() as url, temporary_settings({PREFECT_API_URL: url, "flows.heartbeat_frequency": None}):
        yield


@pytest.fixture(scope="session")
def emulators(shared_dir: Path) -> Iterator[Emulators]:
    """Both emulators, started as the CLI and the flows start them; SCB's real limits (150,000 cells, 30 calls
    per 10 s)."""
    with running_emulators(shared_dir) as started:
        yield started


@pytest.fixture(scope="session")
def replay_server(emulators: Emulators) -> PxWebReplayServer:
    return emulators.scb


@pytest.fixture(scope="session")
def kolada_server(emulators: Emulators) -> KoladaReplayServer:
    return emulators.kolada


def point_pipeline_at(root: Path, replay_server: PxWebReplayServer, kolada_server: KoladaReplayServer,
                      setenv: Callable[[str, str], None]) -> None:
    """Reset the replay servers and point the pipeline at them and at ``root/warehouse/oms.duckdb`` and
    ``root/data``, through a test's monkeypatch (pipeline_env) or a module fixture's, whose read-only tests share
    one run."""
    replay_server.reset()
    kolada_server.reset()
    for name, value in {"OMS_SCB_BASE_URL": replay_server.base_url, "OMS_KOLADA_BASE_URL": kolada_server.base_url,
                        "OMS_WAREHOUSE": str(root / "warehouse" / "oms.duckdb"),
                        "OMS_DATA_DIR": str(root / "data")}.items():
        setenv(name, value)


@pytest.fixture()
def pipeline_env(tmp_path: Path, replay_server: PxWebReplayServer, kolada_server: KoladaReplayServer,
                 monkeypatch) -> Path:
    """Point the pipeline at the replay servers and at a temporary warehouse and data directory."""
    point_pipeline_at(tmp_path, replay_server, kolada_server, monkeypatch.setenv)
    yield tmp_path
    replay_server.faults.clear()
    shutil.rmtree(tmp_path / "data", ignore_errors=True)
