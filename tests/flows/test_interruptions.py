"""A run killed half-way (SIGKILL, as when a machine goes down) and run again: nothing lost, nothing twice.

The killed run is a real `oms` process talking to the test's replay server and the test's Prefect API; the rerun
is a real flow run in this process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flows.pipeline import backfill, nightly
from replay.faults import Fault
from replay.pxweb.server import PxWebReplayServer, ReplayLimits
from tasks.load.warehouse import connect_read_only

SOURCE = "population_county_month"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def split_server(shared_dir: Path) -> Iterator[PxWebReplayServer]:
    """231 cells per call: TAB6471's 924 county cells come in four calls, one month each."""
    with PxWebReplayServer(shared_dir, ReplayLimits(max_cells=231, max_calls=10_000, window_seconds=1)) as server:
        yield server


@pytest.fixture()
def env(tmp_path: Path, split_server: PxWebReplayServer, monkeypatch) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    split_server.faults.clear()
    split_server.reset_log()
    values = {"OMS_SCB_BASE_URL": split_server.base_url, "OMS_WAREHOUSE": str(tmp_path / "oms.duckdb"),
              "OMS_DATA_DIR": str(tmp_path / "data"), "PREFECT_API_URL": PREFECT_API_URL.value()}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return {**os.environ, **values}


def _oms(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flows.cli", *args], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _kill_when(process: subprocess.Popen, condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace")[-3000:]
            pytest.fail(f"the run ended (exit {process.returncode}) before the moment to kill it:\n{output}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the moment to kill the run never came")
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def _observations(warehouse: Path) -> list[tuple]:
    with connect_read_only(warehouse) as con:
        return con.execute("SELECT region_code, period, sex, age, value FROM main.observation ORDER BY ALL").fetchall()


def test_backfill_killed_mid_fetch_resumes_without_refetching(env, split_server, tmp_path) -> None:
    # The third month's call never answers; the run is killed once two months have landed.
    split_server.faults.add(Fault("slow", endpoint="data", after=2, times=1, seconds=60))
    process = _oms(env, "backfill", "--from", "2026", "--to", "2026", "--source", SOURCE)
    _kill_when(process, lambda: split_server.count("data", status=200) == 2
               and len(list((tmp_path / "data" / "landing" / SOURCE).rglob("*.json.meta.json"))) == 3)
    assert not (tmp_path / "oms.duckdb").exists()  # killed before the load: nothing published, nothing half-done
    split_server.faults.clear()
    split_server.reset_log()

    summary = backfill(first_year=2026, last_year=2026, sources=[SOURCE])
    (outcome,) = summary.outcomes
    # Only the two months that had not landed. Counted on arrival: the killed run's stuck call is logged when its
    # 60 s are up, which a slow machine's resumed run can outlast.
    assert split_server.arrived("data") == 2
    assert (outcome.status, outcome.rows_fetched, outcome.rows_loaded) == ("loaded", 1008, 1008)
    rows = _observations(tmp_path / "oms.duckdb")
    assert len(rows) == len(set(r[:4] for r in rows)) == 1008
    with connect_read_only(tmp_path / "oms.duckdb") as con:
        landings = con.execute("SELECT count(*), count(DISTINCT path) FROM audit.landing WHERE kind = 'data'")
        assert landings.fetchone() == (4, 4)  # four months, each landed once: two by the killed run, two now


def test_run_killed_mid_load_leaves_the_published_warehouse_untouched(env, split_server, tmp_path) -> None:
    warehouse = tmp_path / "oms.duckdb"
    nightly(sources=[SOURCE])
    building = warehouse.with_name("oms.duckdb.building")
    for _attempt in range(5):
        published = warehouse.read_bytes()
        process = _oms(env, "run", "--source", SOURCE, "--force")
        _kill_when(process, building.exists)
        if building.exists():  # killed while the new version was being built, before the swap
            break
    else:
        pytest.fail("could not catch the run inside its load stage")
    assert warehouse.read_bytes() == published  # the swap never happened: analysts see the last good version
    split_server.reset_log()
    (outcome,) = nightly(sources=[SOURCE]).outcomes
    assert not building.exists()  # the leftover of the killed run is discarded, never trusted
    # The killed run's answers had landed: they are reused (no data call), validated and merged; same values.
    assert split_server.count("data") == 0
    assert (outcome.status, outcome.rows_fetched, outcome.rows_loaded) == ("unchanged", 1008, 0)
    assert outcome.message == "fetched again: every value as already loaded"  # not "loaded" with loaded=0
    rows = _observations(warehouse)
    assert len(rows) == len(set(r[:4] for r in rows)) == 1008
