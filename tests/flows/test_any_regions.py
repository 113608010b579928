"""Any set of regions from config: `regions: sweden` (21 counties, 290 municipalities) or a list of counties, end to
end through a real Prefect flow run on the recordings that hold all of Sweden (TAB5557, TAB6640, TAB3200, TAB5839,
TAB6471). Published values are checked against the recorded answers decoded independently (tests/conftest.py)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from flows.pipeline import RunFailed, nightly
from tasks.load.warehouse import connect_read_only
from tasks.regions import load_regions
from tests.conftest import PROJECT_ROOT, recorded_cells

SWEDEN_SOURCES = ["population_municipality_year", "net_migration_municipality_2025", "employment_bas_municipality",
                  "commuting_rams_municipality", "population_county_month"]
MUNICIPAL = SWEDEN_SOURCES[:4]
ATLAS = "scb/v2/recorded-by-atlas290"
OUTSIDE_OMS = ["1280", "1480", "2584"]  # Malmö, Göteborg, Kiruna
ONLY_OMS_RECORDED = "births_municipality_2025"  # TAB6401, narrowed below to a recording of the ÖMS regions only


def _rows(warehouse: Path, sql: str, params=None) -> list[tuple]:
    with connect_read_only(warehouse) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture()
def warehouse(pipeline_env: Path) -> Path:
    return pipeline_env / "warehouse" / "oms.duckdb"


@pytest.fixture()
def tab6401_recorded_for_oms_only(replay_server, monkeypatch) -> None:
    """The emulator's TAB6401 as if only the ÖMS regions had been recorded (as most of our recordings once were):
    a cell outside them is "Not in the recording" (400), as SCB's recorded answers cannot say more."""
    table = replay_server.recordings.tables["TAB6401"]
    axis = [d.id for d in table.cube.dimensions].index("Region")
    oms = set(load_regions(selection="oms").all_codes)
    outside = [i for i, code in enumerate(table.cube.dimensions[axis].codes) if code not in oms]
    recorded = table.cube.recorded.copy()
    recorded[(slice(None),) * axis + (outside,)] = False
    monkeypatch.setattr(table, "cube", dataclasses.replace(table.cube, recorded=recorded))
    assert not np.take(recorded, outside, axis=axis).any() and len(outside) == 290 - 88


def test_sweden_publishes_290_municipalities_and_21_counties_as_recorded(
        warehouse, shared_dir, monkeypatch, tab6401_recorded_for_oms_only) -> None:
    monkeypatch.setenv("OMS_REGIONS", "sweden")
    # A source whose recording holds only ÖMS regions fails alone, with one clear line; the rest publishes.
    with pytest.raises(RunFailed, match=rf"{ONLY_OMS_RECORDED} failed: .*TAB6401/data failed with HTTP 400: 202 of "
                                        r"the 290 cells asked for were not recorded") as failed:
        nightly(sources=[*SWEDEN_SOURCES, ONLY_OMS_RECORDED])
    assert "\n" not in str(failed.value)
    status = dict(_rows(warehouse, "SELECT source_id, status FROM audit.batch"))
    assert status == {**dict.fromkeys(SWEDEN_SOURCES, "loaded"), ONLY_OMS_RECORDED: "failed"}
    assert _rows(warehouse, "SELECT count(*) FROM main.observation WHERE source_id = ?", [ONLY_OMS_RECORDED]) == [(0,)]

    assert _rows(warehouse, "SELECT level, is_current, count(*) FROM main.region GROUP BY ALL ORDER BY ALL") == [
        ("county", True, 21), ("municipality", False, 1), ("municipality", True, 290)]  # + Heby's 1917
    counts = dict(((s, level), n) for s, level, n in _rows(
        warehouse, "SELECT source_id, level, count(DISTINCT region_code) FROM main.observation GROUP BY ALL"))
    for source in MUNICIPAL:
        assert counts[(source, "municipality")] == 290, source
    for source in ["population_county_month", "population_municipality_year", "net_migration_municipality_2025",
                   "commuting_rams_municipality"]:  # as published (TAB6471), or the sums of their municipalities
        assert counts[(source, "county")] == 21, source

    def published(source: str, indicator: str, region: str, period: str, age: str = "total") -> float:
        (value,) = _rows(warehouse, "SELECT value FROM main.observation WHERE source_id = ? AND indicator_id = ? "
                                    "AND region_code = ? AND period = ? AND sex = 'total' AND age = ?",
                         [source, indicator, region, period, age])
        return value[0]

    _, population = recorded_cells(shared_dir / ATLAS / "TAB5557_ac392dca4f25fab2.json")
    _, migration = recorded_cells(shared_dir / ATLAS / "TAB6640_afdd445e7ceffe7a.json")
    _, employment = recorded_cells(shared_dir / ATLAS / "TAB3200_1ae797494d3dad3f.json")
    _, commuting = recorded_cells(shared_dir / ATLAS / "TAB5839_2ecd8fcad91ef053.json")
    for code in OUTSIDE_OMS:
        assert published(MUNICIPAL[0], "population", code, "2025") == population[
            (code, "SC", "TotSA", "TotSa", "000007ME", "2025")]
        assert published(MUNICIPAL[1], "net_migration", code, "2025") == migration[
            (code, "tot", "TotSa", "00000868", "2025")]
        assert published(MUNICIPAL[2], "employment_rate", code, "2024", age="20-64") == employment[
            (code, "1+2", "20-64", "tot", "000002NS", "2024")]
        assert published(MUNICIPAL[3], "out_commuters", code, "2021") == commuting[(code, "4", "00000548", "2021")]
    assert published(MUNICIPAL[0], "population", "1280", "2025") > 300_000  # Malmö: the codes did not drift

    # Skåne (12), outside ÖMS: SCB's monthly county figure as recorded, and the 2025 county as the sum of its 33.
    _, monthly = recorded_cells(shared_dir / "scb/v2/TAB6471/data.json")
    assert published("population_county_month", "population", "12", "2026M02", age="30-39") == monthly[
        ("12", "30-39", "TotSa", "000007SF", "2026M02")]
    skane = [code for (code, *_), _ in population.items() if code.startswith("12")]
    assert len(skane) == 33
    assert published(MUNICIPAL[0], "population", "12", "2025") == sum(
        population[(code, "SC", "TotSA", "TotSa", "000007ME", "2025")] for code in skane)
    # the site names the whole area by the selection (config/regions.yaml), not as ÖMS
    start = (warehouse.parents[1] / "data/site/latest/index.html").read_text(encoding="utf-8")
    assert "<h1>Lägesbild för Sverige</h1>" in start and "21 counties, 290 municipalities" in start
    assert 'data-region="Sverige"' in start and "ÖMS:" not in start


def test_a_list_of_counties_publishes_exactly_their_municipalities(warehouse, monkeypatch) -> None:
    monkeypatch.setenv("OMS_REGIONS", "01,12")
    nightly(sources=["population_municipality_year", "population_county_month"])
    expected = {r.code for r in load_regions(selection="sweden").regions
                if r.level == "municipality" and r.county_code in ("01", "12")}
    assert len(expected) == 26 + 33
    published = {(level, code) for level, code in _rows(
        warehouse, "SELECT DISTINCT level, region_code FROM main.observation")}
    assert published == {("county", "01"), ("county", "12")} | {("municipality", code) for code in expected}
    # no Heby, no 1917: the 2007 transfer touches neither county
    assert _rows(warehouse, "SELECT count(*) FROM main.region_change") == [(3,)]  # Salem, Österåker, Nykvarn
    assert _rows(warehouse, "SELECT count(*) FROM main.region WHERE NOT is_current") == [(0,)]
    start = (warehouse.parents[1] / "data/site/latest/index.html").read_text(encoding="utf-8")
    assert "<h1>Lägesbild för län 01, 12</h1>" in start and "2 counties, 59 municipalities" in start


def test_an_unknown_county_code_is_one_line_and_exit_2(tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "flows.cli", "run", "--replay", "--regions", "01,99", "--source",
                           "population_county_month"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "OMS_WAREHOUSE": str(tmp_path / "w.duckdb"),
                               "OMS_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path)}, timeout=120)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: regions: '01,99' is neither a selection (oms, sweden) nor county codes")
    assert "01, 03, 04, 05, 06" in line and "25" in line
