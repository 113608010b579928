"""Every fault the replay server can inject, end to end through a real nightly flow run.

Each test states the expected outcome (retried and loaded, loaded with missing values, or quarantined with a
clear message) and proves that the published tables and the raw landing lost nothing and gained no duplicates.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.pipeline import RunFailed, nightly
from replay.faults import Fault
from replay.pxweb.server import PxWebReplayServer, ReplayLimits
from tasks.load.warehouse import connect_read_only

SOURCE = "population_county_month"  # TAB6471: one metadata and one data call per run
ROWS = 1008  # 7 counties x (11 ten-year groups + all ages) x 3 sexes x 4 months


def _rows(warehouse: Path, sql: str, params=None) -> list[tuple]:
    with connect_read_only(warehouse) as con:
        return con.execute(sql, params or []).fetchall()


def _published(warehouse: Path) -> list[tuple]:
    return _rows(warehouse, "SELECT * EXCLUDE (fetched_at, landing_sha256, loaded_run_id) FROM main.observation "
                            "ORDER BY ALL")


def _assert_landing_complete(data_dir: Path, warehouse: Path, server) -> None:
    """Every data answer the server sent with status 200 is landed once, intact, and recorded once in the audit."""
    sidecars = sorted((data_dir / "landing" / SOURCE).rglob("*.meta.json"))
    data = [json.loads(p.read_text(encoding="utf-8")) for p in sidecars]
    data = [d for d in data if d["kind"] == "data"]
    assert len(data) == server.count("data", status=200)
    for landed in data:
        assert hashlib.sha256(Path(landed["path"]).read_bytes()).hexdigest() == landed["sha256"]
    audited = _rows(warehouse, "SELECT path, count(*) FROM audit.landing WHERE kind = 'data' GROUP BY path")
    assert sorted(path for path, _ in audited) == sorted(d["path"] for d in data)
    assert all(count == 1 for _, count in audited)
    assert not list(data_dir.rglob("*.partial"))


@pytest.fixture(scope="module")
def replay_server(shared_dir: Path) -> Iterator[PxWebReplayServer]:
    """A server whose call limit never interferes: every non-200 answer in these tests is an injected fault."""
    with PxWebReplayServer(shared_dir, ReplayLimits(max_calls=10_000, window_seconds=1)) as server:
        yield server


@pytest.fixture()
def run(pipeline_env, monkeypatch):
    monkeypatch.setenv("OMS_SCB_BACKOFF_SECONDS", "0.05")
    monkeypatch.setenv("OMS_SCB_TIMEOUT_SECONDS", "1")
    return pipeline_env


def _last_batch(warehouse: Path) -> tuple:
    return _rows(warehouse, "SELECT status, validation, rows_fetched, rows_rejected, rows_loaded, message "
                            "FROM audit.batch WHERE run_id = (SELECT run_id FROM audit.run "
                            "ORDER BY started_at DESC LIMIT 1)")[0]


# -- retried and loaded -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("fault", "data_statuses"), [
    (Fault("status_429", seconds=1, times=1), [429, 200]),
    (Fault("status_429", retry_after=False, times=2), [429, 429, 200]),
    (Fault("status_503", times=3), [503, 503, 503, 200]),
    (Fault("reset", times=2), [0, 0, 200]),
    (Fault("slow", seconds=2.5, times=1), None),  # the first answer comes after the client's 1 s timeout
], ids=["429-retry-after", "429-no-retry-after", "503-burst", "connection-reset", "slow-past-timeout"])
def test_transient_faults_are_retried_and_the_run_loads_everything(run, replay_server, fault, data_statuses) -> None:
    replay_server.faults.add(fault)
    summary = nightly(sources=[SOURCE])
    (outcome,) = summary.outcomes
    assert (outcome.status, outcome.rows_fetched, outcome.rows_loaded) == ("loaded", ROWS, ROWS)
    warehouse = run / "warehouse" / "oms.duckdb"
    assert _rows(warehouse, "SELECT count(*), count(DISTINCT (region_code, period, sex, age)) "
                            "FROM main.observation")[0] == (ROWS, ROWS)
    if fault.kind == "slow":  # the late answer is never read, so never landed: one data landing, not two
        assert outcome.calls == 3  # metadata, the attempt that timed out, the retry
        assert len(list((run / "data" / "landing" / SOURCE).rglob("*.json.meta.json"))) == 2
        deadline = time.monotonic() + 10
        while replay_server.count("data") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # let the late answer finish before the next test resets the server's log
        return
    served = sorted(r.status for r in replay_server.log if r.kind == "data")
    assert served == sorted(data_statuses)
    assert outcome.calls == 1 + len(data_statuses)  # the metadata call and every data attempt
    _assert_landing_complete(run / "data", warehouse, replay_server)


# -- quarantined: never published, the previous data stays ---------------------------------------------------------
@pytest.mark.parametrize(("fault", "reason", "detail"), [
    (Fault("html_200"), "response could not be parsed", "is an HTML page, not JSON (page title: 'Statistikdatabasen"),
    (Fault("truncate", fraction=0.5), "response could not be parsed", "is not valid JSON"),
    (Fault("rename_dimension", dimension="Region", new_name="Region2"), "response could not be parsed",
     "dimension(s) ['Region'] expected by source 'population_county_month' are missing"),
    (Fault("drop_dimension", dimension="Kon"), "response could not be parsed",
     "dimension(s) ['Kon'] expected by source 'population_county_month' are missing"),
    (Fault("extra_value", dimension="Kon", value="3"), "failed its expectation suite",
     "expect_column_values_to_be_in_set on `sex`: 336 unexpected, e.g. ['3']"),
    (Fault("unknown_region", dimension="Region", value="0399"), "failed its expectation suite",
     "expect_column_values_to_be_in_set on `region_code`"),
    # A category listed twice is not json-stat2 (codes are distinct): refused by the parser, before the suite.
    (Fault("duplicate_key", dimension="Region"), "response could not be parsed",
     "dimension 'Region' has category codes that are not distinct strings"),
], ids=["html-page-200", "truncated-json", "renamed-dimension", "missing-dimension", "unexpected-value",
        "unknown-region", "duplicate-key"])
def test_bad_answers_are_quarantined_and_published_data_stays(run, replay_server, fault, reason, detail) -> None:
    warehouse = run / "warehouse" / "oms.duckdb"
    nightly(sources=[SOURCE])
    before = _published(warehouse)
    replay_server.faults.add(fault)
    with pytest.raises(RunFailed, match=f"{SOURCE} quarantined: {reason}"):
        nightly(sources=[SOURCE], force=True)
    assert _published(warehouse) == before
    status, validation, _, rejected, loaded, message = _last_batch(warehouse)
    assert (status, loaded) == ("quarantined", 0)
    assert validation == ("not run" if reason == "response could not be parsed" else "failed")
    report = Path(message.split(": ", 1)[1]).read_text(encoding="utf-8")
    assert detail in report, report
    assert "published tables: unchanged" in report
    _assert_landing_complete(run / "data", warehouse, replay_server)
    # Fixed upstream: the next night loads the good answer (the damaged landing is not reused).
    replay_server.faults.clear()
    nightly(sources=[SOURCE])
    assert _published(warehouse) == before


def test_unknown_region_code_names_the_code_in_the_report(run, replay_server) -> None:
    replay_server.faults.add(Fault("unknown_region", dimension="Region", value="0399"))
    with pytest.raises(RunFailed):
        nightly(sources=[SOURCE])
    warehouse = run / "warehouse" / "oms.duckdb"
    report = Path(_last_batch(warehouse)[-1].split(": ", 1)[1]).read_text(encoding="utf-8")
    assert "'0399'" in report  # the region SCB sent that we do not know, for the operator to look up
    assert _rows(warehouse, "SELECT count(*) FROM main.observation")[0][0] == 0  # nothing was ever published


# -- missing values are data, not errors --------------------------------------------------------------------------
@pytest.mark.parametrize("symbol", ["..", "-"])
def test_missing_values_are_loaded_as_null_with_their_symbol(run, replay_server, symbol) -> None:
    replay_server.faults.add(Fault("missing_values", fraction=0.05, symbol=symbol))
    (outcome,) = nightly(sources=[SOURCE]).outcomes
    assert (outcome.status, outcome.rows_loaded) == ("loaded", ROWS)
    warehouse = run / "warehouse" / "oms.duckdb"
    missing = _rows(warehouse, "SELECT count(*) FILTER (status = ?), count(*) FILTER (value IS NULL), "
                               "count(*) FILTER (value = 0) FROM main.observation WHERE age <> 'total'", [symbol])
    # 924 recorded cells, every 20th emptied: 47 published as NULL with SCB's symbol, none as 0
    assert missing[0] == (47, 47, 0)
    totals = _rows(warehouse, "SELECT count(*) FILTER (value IS NULL), count(*) FILTER (status IS NULL "
                              "AND null_reason = 'incomplete inputs') FROM main.observation WHERE age = 'total'")[0]
    # a total over a missing cell is missing too, never a smaller number; the symbol is SCB's to give, not ours
    assert totals[0] == totals[1] > 0
    assert _rows(warehouse, "SELECT DISTINCT null_reason FROM main.observation WHERE status = ?", [symbol]) == \
        [("missing in source",)]


# -- a renamed variable in the metadata: the selection cannot be made ---------------------------------------------
def test_renamed_variable_in_metadata_fails_the_source_with_one_clear_line(run, replay_server) -> None:
    warehouse = run / "warehouse" / "oms.duckdb"
    nightly(sources=[SOURCE])
    before = _published(warehouse)
    replay_server.faults.add(Fault("rename_dimension", endpoint="metadata", dimension="Region", new_name="Lan"))
    expected = (r"population_county_month failed: SelectionError: unknown variable\(s\) \['Region'\]; "
                r"the table has \['Lan', 'Alder', 'Kon', 'ContentsCode', 'Tid'\]")
    with pytest.raises(RunFailed, match=expected):
        nightly(sources=[SOURCE], force=True)
    assert _published(warehouse) == before
    assert replay_server.count("data", status=200) == 1  # the first night only: a broken plan fetches nothing
