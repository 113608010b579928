"""End to end: the nightly Prefect flow against the PxWeb replay of SCB's recordings, into a temporary DuckDB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows import pipeline
from flows.pipeline import RunFailed, nightly
from replay.faults import Fault
from tasks.load.warehouse import connect_read_only
from tests.conftest import atlas_response

POPULATION_SOURCES = ["population_county_month", "population_municipality_year",
                      "population_county_sex_2007_2008"]


def _rows(warehouse, sql: str, params=None):
    with connect_read_only(warehouse) as con:
        return con.execute(sql, params or []).fetchall()


def _published(warehouse):
    return _rows(warehouse, "SELECT * FROM main.observation ORDER BY ALL")


@pytest.fixture()
def warehouse(pipeline_env):
    return pipeline_env / "warehouse" / "oms.duckdb"


def test_nightly_run_publishes_recorded_numbers(warehouse, replay_server) -> None:
    summary = nightly(sources=POPULATION_SOURCES)
    assert {o.source_id: o.status for o in summary.outcomes} == dict.fromkeys(POPULATION_SOURCES, "loaded")
    counts = dict(_rows(warehouse, "SELECT source_id, count(*) FROM main.observation GROUP BY ALL"))
    # 7 counties x (11 age groups + all ages) x 3 sexes x 4 months; 88 municipalities and the 7 counties summed
    # from them (TAB5557 has no county rows); 7 counties x 2 years x 3
    assert counts == {"population_county_month": 1008, "population_municipality_year": 95,
                      "population_county_sex_2007_2008": 42}
    value = _rows(warehouse, "SELECT value, unit, source_table, source_updated FROM main.observation "
                             "WHERE region_code='01' AND period='2026M01' AND sex='total' AND age='0-9'")
    assert value == [(245284.0, "persons", "TAB6471", "2026-06-08T06:00:00Z")]
    by_year = dict(((r, y), (p, a)) for r, y, p, a in _rows(
        warehouse, "SELECT region_code, year, population, as_of_period FROM main.population_by_region_year"))
    assert by_year[("01", 2026)] == (2488908.0, "2026M04")  # sum of the ten-year groups, April 2026
    assert by_year[("0114", 2025)] == (50495.0, "2025")  # Upplands Väsby, 31 Dec 2025 (TAB5557)
    assert by_year[("01", 2007)] == (961146.0 + 988370.0, "2007")  # men + women, example database
    # Uppsala county 2025: TAB5557 has municipalities only, so the county is the sum of its eight
    recorded = json.loads(atlas_response(replay_server.scb_dir.parent, "TAB5557_ac392dca4f25fab2.json"))
    index = recorded["dimension"]["Region"]["category"]["index"]
    uppsala = ["0305", "0319", "0330", "0331", "0360", "0380", "0381", "0382"]
    assert by_year[("03", 2025)] == (sum(recorded["value"][index[code]] for code in uppsala), "2025")
    regions = _rows(warehouse, "SELECT level, valid_to IS NULL, count(*) FROM main.region GROUP BY ALL ORDER BY ALL")
    assert regions == [("county", True, 7), ("municipality", False, 1), ("municipality", True, 88)]  # + Heby 1917
    # Calls: /config, then per source one metadata and one data call (all fit in 150,000 cells).
    # (the session's server keeps SCB's 30 calls / 10 s across tests: a 429 here and there is retried, not counted)
    assert replay_server.count("data", status=200) == 3 and replay_server.count("metadata", status=200) == 3
    audit = {row[0]: row[1:] for row in _rows(
        warehouse, "SELECT source_id, calls, rows_fetched, rows_loaded, rows_published, validation FROM audit.batch")}
    assert audit["population_county_month"] == (2, 1008, 1008, 1008, "passed")
    assert audit["population_municipality_year"] == (2, 88, 88, 95, "passed")  # + 7 county sums


def test_second_run_changes_nothing_and_makes_only_metadata_calls(warehouse, replay_server, monkeypatch) -> None:
    fetch_tasks: list[str] = []  # a Prefect task run per source with calls left; planning is one task for all
    submit = pipeline.fetch_task.submit
    monkeypatch.setattr(pipeline.fetch_task, "submit", lambda ctx, planned: fetch_tasks.append(
        planned.unquote().source.id) or submit(ctx, planned))
    nightly(sources=POPULATION_SOURCES)
    assert sorted(fetch_tasks) == sorted(POPULATION_SOURCES)
    first = _published(warehouse)
    replay_server.reset_log()
    summary = nightly(sources=POPULATION_SOURCES)
    assert len(fetch_tasks) == len(POPULATION_SOURCES)  # the second night started no fetch task
    assert _published(warehouse) == first
    assert {o.source_id: (o.status, o.rows_loaded, o.rows_published) for o in summary.outcomes} == {
        "population_county_month": ("unchanged", 0, 1008), "population_municipality_year": ("unchanged", 0, 95),
        "population_county_sex_2007_2008": ("unchanged", 0, 42)}
    # Same table versions and periods: one /config and one metadata call per source, no data call.
    assert replay_server.count("data") == 0
    assert (replay_server.count("config", status=200), replay_server.count("metadata", status=200)) == (1, 3)
    assert replay_server.count() == 4 + replay_server.count(status=429)


NO_CHANGE_PROBE = """
import json, sys
from flows.pipeline import run_stages
from tasks.config import load_sources, select_sources
from tasks.context import build_context
ctx = build_context(run_id="no-change-probe")
summary = run_stages(ctx, select_sources(load_sources(), sys.argv[1:], ctx.on_replay), "probe", {})
heavy = ("pandas", "numpy", "pyarrow", "great_expectations", "altair")
print(json.dumps([{o.source_id: o.status for o in summary.outcomes}, [m for m in heavy if m in sys.modules]]))
"""


def test_a_night_with_nothing_new_imports_no_library_that_parses_validates_or_charts(warehouse) -> None:
    """A no-change night needs metadata, the landing and the audit: pandas, numpy, Great Expectations and the chart
    renderer stay unimported (pandas alone was ~0.8 s of the whole process; tasks/lazy.py)."""
    sources = [*POPULATION_SOURCES, "grp_municipality_kolada"]
    nightly(sources=sources)
    done = subprocess.run([sys.executable, "-c", NO_CHANGE_PROBE, *sources], capture_output=True, text=True,
                          env=os.environ, cwd=Path(__file__).parents[2], timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    statuses, imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert statuses == dict.fromkeys(sources, "unchanged")
    assert imported == []


def test_force_refetches_and_reloads_nothing_new(warehouse, replay_server) -> None:
    nightly(sources=["population_county_month"])
    replay_server.reset_log()
    summary = nightly(sources=["population_county_month"], force=True)
    (outcome,) = summary.outcomes
    assert (outcome.status, outcome.rows_fetched, outcome.rows_loaded) == ("unchanged", 1008, 0)
    assert outcome.message == "fetched again: every value as already loaded"  # not "loaded" with loaded=0
    assert replay_server.count("data", status=200) == 1


@pytest.mark.parametrize("fault", [Fault(kind="truncate", fraction=0.5), Fault(kind="html_200")],
                         ids=["truncated-json", "html-error-page"])
def test_corrupted_response_is_quarantined_and_published_data_stays(warehouse, replay_server, fault) -> None:
    nightly(sources=POPULATION_SOURCES)
    before = _published(warehouse)
    replay_server.faults.add(fault)
    with pytest.raises(RunFailed, match="population_county_month quarantined"):
        nightly(sources=["population_county_month"], force=True)
    assert _published(warehouse) == before
    status = _rows(warehouse, "SELECT status, message FROM audit.batch WHERE source_id='population_county_month' "
                              "AND run_id = (SELECT run_id FROM audit.run ORDER BY started_at DESC LIMIT 1)")
    assert status[0][0] == "quarantined" and "could not be parsed" in status[0][1]
    report = status[0][1].split(": ", 1)[1]
    assert "published tables: unchanged" in Path(report).read_text(encoding="utf-8")


def test_a_republished_table_is_fetched_again_and_its_lineage_follows(warehouse, replay_server) -> None:
    nightly(sources=POPULATION_SOURCES)
    replay_server.reset_log()
    replay_server.republish("TAB5557", "2026-11-24T07:00:00Z")
    outcomes = {o.source_id: o for o in nightly(sources=POPULATION_SOURCES).outcomes}
    assert replay_server.count("data", status=200) == 1  # only the republished table
    assert {k: o.status for k, o in outcomes.items()} == {
        "population_county_month": "unchanged", "population_municipality_year": "loaded",
        "population_county_sex_2007_2008": "unchanged"}
    # Same values, new version: every row now names the new stamp; nothing was added.
    assert outcomes["population_municipality_year"].rows_loaded == 88
    assert _rows(warehouse, "SELECT count(*), min(source_updated), max(source_updated) FROM main.observation "
                            "WHERE source_table = 'TAB5557'") == [(95, "2026-11-24T07:00:00Z", "2026-11-24T07:00:00Z")]


def test_progress_reaches_the_caller_of_the_flow_once_per_source(warehouse, replay_server) -> None:
    from flows.pipeline import reporting_progress

    seen: list[tuple[str, int]] = []
    with reporting_progress(lambda source_id, total: seen.append((source_id, total))):
        nightly(sources=POPULATION_SOURCES[:2])
    assert sorted(seen) == sorted((source, 2) for source in POPULATION_SOURCES[:2])
    nightly(sources=POPULATION_SOURCES[:1])  # outside the block: nobody is told
    assert len(seen) == 2
