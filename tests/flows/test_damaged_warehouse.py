"""A damaged warehouse file, or one an analyst holds read-write, is one line and exit 3 — and `oms rebuild` brings
back the published data and the audit history from the landing and the run log alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from flows.pipeline import nightly
from tasks.load.warehouse import connect_read_only
from tests.conftest import damage

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["population_county_month", "population_municipality_year"]


def _oms(*args: str) -> subprocess.CompletedProcess:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _error_line(result: subprocess.CompletedProcess) -> str:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-3000:]
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, output[-3000:]
    return errors[0]


def _published(warehouse: Path) -> list[tuple]:
    with connect_read_only(warehouse) as con:
        return con.execute("SELECT * EXCLUDE (loaded_run_id) FROM main.observation ORDER BY ALL").fetchall()


def test_a_damaged_warehouse_is_one_line_and_rebuild_brings_everything_back(pipeline_env) -> None:
    warehouse = pipeline_env / "warehouse" / "oms.duckdb"
    nightly(sources=SOURCES)
    nightly(sources=SOURCES, force=True)
    before = _published(warehouse)
    with connect_read_only(warehouse) as con:
        runs = con.execute("SELECT run_id, status FROM audit.run ORDER BY started_at").fetchall()
        batches = con.execute("SELECT run_id, source_id, status, rows_loaded FROM audit.batch ORDER BY ALL").fetchall()
    damage(warehouse, "block")  # the hardest to see: the file opens, a block in the middle is zeros

    result = _oms("run", "--source", "population_county_month")
    assert result.returncode == 3
    line = _error_line(result)
    assert f"{warehouse} is damaged" in line and "`oms rebuild`" in line
    assert "oms run --source population_county_month" in _oms("status").stdout  # the log does not need the file

    rebuilt = _oms("rebuild")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert _published(warehouse) == before
    with connect_read_only(warehouse) as con:
        history = con.execute("SELECT run_id, status FROM audit.run ORDER BY started_at").fetchall()
        restored = con.execute("SELECT run_id, source_id, status, rows_loaded FROM audit.batch ORDER BY ALL").fetchall()
    assert history[: len(runs)] == runs and history[-1][1] == "unreachable"  # and the failed attempt on the damage
    assert restored == batches
    assert list(warehouse.parent.glob("oms.duckdb.damaged-*"))  # the damaged file is kept for a look


def test_a_warehouse_held_read_write_by_an_analyst_is_one_line(pipeline_env) -> None:
    warehouse = pipeline_env / "warehouse" / "oms.duckdb"
    nightly(sources=["population_county_month"])
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, sys; con = duckdb.connect({str(warehouse)!r}); "
                               "print('open', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        result = _oms("run", "--source", "population_county_month", "--force")
    finally:
        holder.communicate("", timeout=30)
    assert result.returncode == 3
    assert "is held read-write by another process" in _error_line(result)
    with duckdb.connect(str(warehouse), read_only=True) as con:  # untouched
        assert con.execute("SELECT count(*) FROM main.observation").fetchone()[0] == 1008
