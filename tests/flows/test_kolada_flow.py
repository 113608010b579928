"""Kolada, the second API, through the same nightly flow: real recorded values published, incremental by the
KPIs' publication stamp."""

from __future__ import annotations

from pathlib import Path

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


def test_the_stamp_is_when_kolada_last_published_never_a_date_to_come(pipeline_env, kolada_server) -> None:
    from datetime import date

    from tasks.fetch.kolada.client import parse_kpi_metadata

    warehouse = pipeline_env / "warehouse" / "oms.duckdb"
    nightly(sources=[SOURCE])
    catalogue = parse_kpi_metadata(_metadata_body(kolada_server))
    dates = [str(catalogue[k][f]) for k in ("N03702", "N03703") for f in ("publication_date", "prel_publication_date")
             if catalogue[k].get(f)]
    passed = [d for d in dates if d <= date.today().isoformat()]
    stamps = {row[0] for row in _rows(warehouse, "SELECT DISTINCT source_updated FROM main.observation")}
    assert stamps == {max(passed) if passed else None}  # Kolada lists 2027-01-08 next: not a stamp of today's data
    assert all(stamp is None or stamp <= date.today().isoformat() for stamp in stamps)


def test_asking_for_other_regions_fetches_again(pipeline_env, kolada_server, tmp_path, monkeypatch) -> None:
    import shutil

    import yaml

    nightly(sources=[SOURCE])
    config = tmp_path / "config"
    shutil.copytree(Path(__file__).resolve().parents[2] / "config", config)
    path = config / "sources" / "kolada.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = next(s for s in document["sources"] if s["id"] == SOURCE)
    entry["regions"] = [*entry["regions"], "$counties"]
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("OMS_CONFIG_DIR", str(config))
    kolada_server.reset_log()
    (outcome,) = nightly(sources=[SOURCE]).outcomes
    # fetched again (the recordings hold no county values of these KPIs, so no value changed)
    assert kolada_server.count("data") > 0 and outcome.message == "fetched again: every value as already loaded"


def _metadata_body(kolada_server) -> bytes:
    import requests

    return requests.get(f"{kolada_server.base_url}/kpi/N03702,N03703", timeout=10).content
