"""Every replayed source through one real nightly run: each publishes the value SCB recorded for a known cell.

Expected values are decoded from the recorded bodies by the test itself (tests/conftest.py: recorded_sum), so a
mistake in selection, parsing, codes, totals, loading or publishing shows up as a wrong number.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.pipeline import nightly
from tasks.config import load_sources, select_sources
from tasks.load.warehouse import connect_read_only
from tests.conftest import recorded_sum, shared_path
from tests.flows.conftest import point_pipeline_at

RECORDINGS = Path(__file__).resolve().parents[2] / "recordings/scb/v2/recorded-by-atlas290"
ATLAS_IN_SHARED = shared_path() / "scb/v2/recorded-by-atlas290"


def _one(folder: Path, pattern: str) -> Path:
    (path,) = [p for p in folder.glob(pattern) if p.name != "metadata.json"]
    return path


# (source, indicator, region, period, age, recording, cells to sum: dimension=code)
CASES = [
    ("births_municipality_1968_2024", "births", "0180", "2024", "total", _one(RECORDINGS / "TAB1264", "*.json"),
     {"Region": "0180", "Tid": "2024"}),
    ("births_municipality_2025", "births", "1980", "2025", "total", _one(RECORDINGS / "TAB6401", "*.json"),
     {"Region": "1980"}),
    ("deaths_municipality_1968_2024", "deaths", "2180", "1990", "total", _one(RECORDINGS / "TAB960", "*.json"),
     {"Region": "2180", "Tid": "1990"}),
    ("deaths_municipality_2025", "deaths", "0580", "2025", "total", _one(RECORDINGS / "TAB6757", "*.json"),
     {"Region": "0580"}),
    ("net_migration_municipality_1997_2024", "net_migration", "0380", "2015", "total",
     _one(RECORDINGS / "TAB1212", "*.json"), {"Region": "0380", "Tid": "2015"}),
    ("net_migration_municipality_2025", "net_migration", "0484", "2025", "total",
     _one(ATLAS_IN_SHARED, "TAB6640_*.json"), {"Region": "0484"}),
    ("employment_bas_municipality", "employment_rate", "1880", "2024", "20-64",
     _one(ATLAS_IN_SHARED, "TAB3200_1ae797494d3dad3f.json"), {"Region": "1880", "Tid": "2024"}),
    ("employment_bas_municipality", "unemployment_rate", "1880", "2024", "20-64",
     _one(ATLAS_IN_SHARED, "TAB3200_4f04faa4dbfd5408.json"), {"Region": "1880", "Tid": "2024"}),
    ("commuting_rams_municipality", "out_commuters", "0330", "2021", "total", _one(ATLAS_IN_SHARED, "TAB5839_*.json"),
     {"Region": "0330", "Tid": "2021", "ContentsCode": "00000548"}),
    ("commuting_rams_municipality", "employed_residents", "0330", "2021", "total",
     _one(ATLAS_IN_SHARED, "TAB5839_*.json"), {"Region": "0330", "Tid": "2021"}),
    ("disposable_income_municipality", "disposable_income_median", "0162", "2024", "18+",
     _one(RECORDINGS / "TAB1492", "*.json"), {"Region": "0162", "Tid": "2024"}),
    ("earned_income_municipality", "earned_income_median", "2161", "2024", "16+",
     _one(RECORDINGS / "TAB3554", "*.json"), {"Region": "2161", "Tid": "2024"}),
    ("population_municipality_year", "population", "0114", "2025", "total", _one(ATLAS_IN_SHARED, "TAB5557_*.json"),
     {"Region": "0114"}),
    # house types eliminated: SCB (and the replay) sum multi-dwelling and one- or two-dwelling buildings
    ("completed_dwellings_municipality", "completed_dwellings", "0380", "2020", "total",
     _one(RECORDINGS / "TAB2538", "*.json"), {"Region": "0380", "Tid": "2020"}),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, replay_server, kolada_server) -> Path:
    """One nightly run over every source the replay serves, as `make run` does."""
    root = tmp_path_factory.mktemp("all-sources")
    with pytest.MonkeyPatch.context() as patch:
        point_pipeline_at(root, replay_server, kolada_server, patch.setenv)
        summary = nightly()
    assert {o.status for o in summary.outcomes} == {"loaded"}
    assert len(summary.outcomes) == len(select_sources(load_sources(), None, on_replay=True))
    return root / "warehouse" / "oms.duckdb"


@pytest.mark.parametrize(("source", "indicator", "region", "period", "age", "recording", "cells"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_source_publishes_the_recorded_value(warehouse, source, indicator, region, period, age, recording,
                                             cells) -> None:
    with connect_read_only(warehouse) as con:
        published = con.execute("SELECT value, source_id FROM main.observation WHERE indicator_id = ? "
                                "AND region_code = ? AND period = ? AND sex = 'total' AND age = ? AND breakdown = ''",
                                [indicator, region, period, age]).fetchall()
    assert published == [(pytest.approx(recorded_sum(recording, **cells)), source)]


def test_out_commuter_share_is_out_commuters_over_employed_residents(warehouse) -> None:
    with connect_read_only(warehouse) as con:
        rows = dict(con.execute("SELECT indicator_id, value FROM main.observation WHERE region_code = '0330' "
                                "AND period = '2021' AND indicator_id IN ('out_commuters', 'employed_residents', "
                                "'out_commuter_share')").fetchall())
    expected = 100 * rows["out_commuters"] / rows["employed_residents"]
    assert rows["out_commuter_share"] == pytest.approx(expected, abs=0.01)
    assert rows["out_commuter_share"] > 50  # Knivsta: most of its workforce commutes (to Uppsala, Stockholm)


def test_every_published_indicator_is_in_the_catalogue_with_text_unit_and_focus_area(warehouse) -> None:
    with connect_read_only(warehouse) as con:
        undescribed = con.execute("""
            SELECT DISTINCT o.indicator_id FROM main.observation o LEFT JOIN main.indicator i USING (indicator_id)
            WHERE i.indicator_id IS NULL OR coalesce(i.description_en, '') = '' OR coalesce(i.description_sv, '') = ''
               OR coalesce(i.unit, '') = '' OR coalesce(i.focus_area, '') = ''""").fetchall()
        published = con.execute("SELECT count(DISTINCT indicator_id) FROM main.observation").fetchone()[0]
    assert undescribed == [] and published == 16  # every indicator with recorded data (live-only ones have none)


def test_education_levels_are_published_per_level_with_both_sexes_summed(warehouse) -> None:
    recording = _one(RECORDINGS / "TAB3981", "*.json")
    with connect_read_only(warehouse) as con:
        rows = dict(con.execute("SELECT breakdown, value FROM main.observation WHERE indicator_id = "
                                "'population_by_education' AND region_code = '0580' AND period = '2025' "
                                "AND sex = 'total'").fetchall())
        county = con.execute("SELECT value, value_origin FROM main.observation WHERE indicator_id = "
                             "'population_by_education' AND region_code = '05' AND period = '2025' "
                             "AND sex = 'total' AND breakdown = 'UtbildningsNiva=5'").fetchone()
    assert set(rows) == {f"UtbildningsNiva={level}" for level in ("1", "2", "3", "4", "5", "6", "7", "US")}
    for level in ("3", "5", "US"):  # Linköping, 2025: boys + girls of the recorded level
        assert rows[f"UtbildningsNiva={level}"] == recorded_sum(recording, Region="0580", Tid="2025",
                                                                 UtbildningsNiva=level)
    # Östergötland county: the sum of its 13 municipalities, all in the recording (0509-0586)
    expected = sum(recorded_sum(recording, Region=code, Tid="2025", UtbildningsNiva="5")
                   for code in ("0509", "0512", "0513", "0560", "0561", "0562", "0563", "0580", "0581", "0582",
                                "0583", "0584", "0586"))
    assert county == (expected, "harmonized")


def test_coverage_is_said_in_words_a_reader_understands(warehouse) -> None:
    with connect_read_only(warehouse) as con:
        coverage = dict(con.execute("SELECT indicator_id, coverage FROM main.indicator").fetchall())
        current = con.execute("SELECT level, count(*) FROM main.region WHERE is_current GROUP BY ALL "
                              "ORDER BY level").fetchall()
    assert current == [("county", 7), ("municipality", 88)]  # WHERE is_current: today's regions, Heby's 1917 not
    assert coverage["population_by_education"].startswith(
        # the recorded answer holds municipalities 0114-1439: those of four counties, so four county sums
        "counties: 4 of 7; municipalities: 56 of 88 (Stockholm 26/26, Uppsala 8/8, Södermanland 9/9, "
        "Östergötland 13/13, Örebro 0/12, Västmanland 0/10, Gävleborg 0/10); 1985–2025")
    assert coverage["grp_per_inhabitant"] == ("counties: 0 of 7; municipalities: 5 of 88 (Arboga, Finspång, "
                                              "Lindesberg, Stockholm, Älvkarleby); 2012–2023")
    assert coverage["births"].startswith("counties: 7 of 7; municipalities: 88 of 88; ")
