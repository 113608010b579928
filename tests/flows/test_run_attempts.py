"""Every run attempt is findable afterwards, however it ended (no network, SIGTERM, SIGKILL, a failed flow run), and
a stopped `oms` leaves nothing running: its fetch threads end and its temporary Prefect API server goes with it.

Each `oms` here is a real process, as cron or systemd starts it; the killing tests let it start its own temporary
Prefect API (no PREFECT_API_URL), since that server is what must not outlive it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.pipeline import nightly
from replay.faults import Fault
from tasks.fetch.common.http import SourceUnavailable
from tasks.load.warehouse import connect_read_only
from tasks.runlog import read_attempts, runlog_path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOURCE = "population_county_month"


def _oms(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flows.cli", *args], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _env(pipeline_env: Path, with_api: bool = True) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    if with_api:
        env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    return env


def _attempts(pipeline_env: Path):
    return read_attempts(runlog_path(pipeline_env / "warehouse" / "oms.duckdb"))


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _started_with_its_own_api(process: subprocess.Popen, replay_server) -> int:
    """Read the temporary API's port from what `oms` says, then wait for the run to hang on its data call."""
    said = []
    while not (match := re.search(r"temporary API at http://127\.0\.0\.1:(\d+)/api", said[-1] if said else "")):
        said.append(process.stdout.readline())
        assert said[-1] or process.poll() is None, "".join(said)
    _wait(lambda: replay_server.arrived("data") >= 1, 90, "the run never reached its data call")
    return int(match.group(1))


def test_a_run_without_network_is_recorded_and_folded_into_the_audit(pipeline_env, monkeypatch) -> None:
    env = {**_env(pipeline_env), "OMS_SCB_BASE_URL": "https://statistikdatabasen.scb.se.invalid/api/v2"}
    done = _oms(env, "backfill", "--from", "2015", "--to", "2020", "--source", SOURCE)
    output, _ = done.communicate(timeout=60)
    assert done.returncode == 3
    # the hint names the command that was typed, made offline
    assert "`oms backfill --from 2015 --to 2020 --source population_county_month --replay`" in output
    (attempt,) = _attempts(pipeline_env)
    assert (attempt.state(), attempt.exit_code) == ("unreachable", 3)
    status = subprocess.run([sys.executable, "-m", "flows.cli", "status"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert "unreachable, exit 3  oms backfill --from 2015 --to 2020" in status.stdout
    nightly(sources=[SOURCE])  # the next run folds the failed attempt into the warehouse's audit
    with connect_read_only(pipeline_env / "warehouse" / "oms.duckdb") as con:
        rows = con.execute("SELECT status, command FROM audit.run ORDER BY started_at").fetchall()
    assert rows[0] == ("unreachable", "oms backfill --from 2015 --to 2020 --source population_county_month")
    assert rows[1][0] == "completed"


def test_a_failed_flow_run_without_the_cli_is_recorded_too(pipeline_env, monkeypatch) -> None:
    monkeypatch.setenv("OMS_SCB_BASE_URL", "https://statistikdatabasen.scb.se.invalid/api/v2")
    with pytest.raises(SourceUnavailable):
        nightly(sources=[SOURCE])  # as a deployment's flow run would fail
    (attempt,) = _attempts(pipeline_env)
    assert attempt.state() == "unreachable" and attempt.flow == "oms-nightly" and attempt.run_id
    assert "cannot resolve" in attempt.message


def test_sigterm_stops_the_run_in_order_and_sigkill_leaves_no_server(pipeline_env, replay_server) -> None:
    replay_server.faults.add(Fault("slow", endpoint="data", seconds=120))
    env = {**_env(pipeline_env, with_api=False), "OMS_SCB_TIMEOUT_SECONDS": "100"}

    process = _oms(env, "run", "--source", SOURCE)
    port = _started_with_its_own_api(process, replay_server)
    stopped = time.monotonic()
    os.killpg(process.pid, signal.SIGTERM)  # as systemd stops a service: the whole group
    output, _ = process.communicate(timeout=60)
    assert time.monotonic() - stopped < 20, output[-2000:]
    assert process.returncode == 143, output[-2000:]
    assert "error: stopped by SIGTERM" in output and "Traceback" not in output
    _wait(lambda: not _port_open(port), 10, "the temporary Prefect API outlived the run")

    replay_server.reset_log()
    process = _oms(env, "run", "--source", SOURCE)
    port = _started_with_its_own_api(process, replay_server)
    process.send_signal(signal.SIGKILL)  # the process only: its server is not told
    process.wait(timeout=10)
    _wait(lambda: not _port_open(port), 15, "the temporary Prefect API outlived a killed run")

    states = [attempt.state() for attempt in _attempts(pipeline_env)]
    assert states == ["terminated", "interrupted"]
    status = subprocess.run([sys.executable, "-m", "flows.cli", "status"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert [line.split()[2] for line in status.stdout.splitlines()[:2]] == ["interrupted", "terminated,"]
