"""Kolada, the second API, through the same nightly flow: real recorded values published, incremental by the
KPIs' publication stamp."""

from __future__ import annotations

from flows.pipeline import nightly
from tasks.load.warehouse import connect_read_only

SOURCE = "grp_municipality_kolada"


def _rows(warehouse, sql: str) -> list[tuple]:
    with connect_read_only(warehouse) as con:
        return con.execute(sql).fetchall()


def test_kolada_values_are_published_with_lineage(pipeline_env, kolada_server) -> None:
    warehouse = pipeline_env / "warehouse" / "oms.duckdb"
    (outcome,) = nightly(sources=[SOURCE]).outcomes
    # Recorded ÖMS municipalities: Älvkarleby, Finspång, Lindesberg, Arboga 2012-2023, Stockholm 2012-2019;
    # two KPIs each: (4 x 12 + 8) x 2
    assert (outcome.status, outcome.rows_fetched, outcome.rows_loaded) == ("loaded", 112, 112)
    assert _rows(warehouse, "SELECT region_name, value, unit, source_table, sex FROM main.observation "
                            "WHERE indicator_id = 'grp_per_inhabitant' AND region_code = '0180' "
                            "AND period = '2012'") == [
        ("Stockholms kommun", 777.735791, "SEK thousand per inhabitant", "Kolada N03702+N03703", "total")]
    assert _rows(warehouse, "SELECT value FROM main.observation WHERE indicator_id = 'grp_per_inhabitant' "
                            "AND region_code = '0319' AND period = '2023'") == [(333.368157,)]
    # 1 KPI metadata call + 88 municipalities in 4 chunks of at most 25 ids
    assert (kolada_server.count("metadata"), kolada_server.count("data")) == (1, 4)


def test_unchanged_kpis_make_only_the_metadata_call(pipeline_env, kolada_server) -> None:
    nightly(sources=[SOURCE])
    kolada_server.reset_log()
    (outcome,) = nightly(sources=[SOURCE]).outcomes
    assert (outcome.status, outcome.rows_published) == ("unchanged", 112)
    assert (kolada_server.count("metadata"), kolada_server.count("data")) == (1, 0)
