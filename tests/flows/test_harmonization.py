"""County series on today's borders, on the real Heby (2007) and Knivsta (2003) cases.

Expected numbers are computed here from the raw recordings, independently of the pipeline: SCB's births per
municipality 1968-2024 on today's codes (TAB1264, recorded by atlas290) and SCB's PX file of births 2002-2003 with
counties and municipalities as they were then (Heby as 1917 in Västmanland; shared/scb/px).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.pipeline import nightly
from replay.pxweb.cube import cube_from_px
from tasks.load.warehouse import connect_read_only
from tasks.regions import load_regions
from tests.conftest import recorded_cells
from tests.flows.conftest import point_pipeline_at

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TAB1264 = PROJECT_ROOT / "recordings/scb/v2/recorded-by-atlas290/TAB1264"


def _recorded_tab1264_births() -> dict[tuple[str, str], float]:
    """(municipality, year) -> births, boys + girls, straight from the recorded json-stat2 body."""
    (path,) = [p for p in TAB1264.glob("*.json") if p.name != "metadata.json"]
    dims, cells = recorded_cells(path)
    region, year = dims.index("Region"), dims.index("Tid")
    births: dict[tuple[str, str], float] = {}
    for key, value in cells.items():
        births[(key[region], key[year])] = births.get((key[region], key[year]), 0) + value
    return births


def _px_births(shared_dir: Path) -> dict[tuple[str, str], float]:
    """(region, year) -> births, boys + girls, all maternal ages, from SCB's PX file (borders of 2002-2003)."""
    cube = cube_from_px(shared_dir / "scb/px/aggregations_BE0101D1.px")
    regions, years = cube.dimension("region").codes, cube.dimension("year").codes
    total_age = cube.dimension("maternal age").codes.index("tot")
    return {(r, y): float(cube.values[i, total_age, j, :, 0].sum())
            for i, r in enumerate(regions) for j, y in enumerate(years)}


def _published(warehouse: Path, region: str, period: str) -> tuple:
    with connect_read_only(warehouse) as con:
        return con.execute("SELECT value, null_reason, value_origin, borders, source_id FROM main.observation "
                           "WHERE indicator_id = 'births' AND region_code = ? AND period = ? AND sex = 'total' "
                           "AND age = 'total'", [region, period]).fetchone()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, replay_server, kolada_server) -> Path:
    """One run for the module's tests that only read it (built per test, it cost three runs)."""
    root = tmp_path_factory.mktemp("births")
    with pytest.MonkeyPatch.context() as patch:
        point_pipeline_at(root, replay_server, kolada_server, patch.setenv)
        nightly(sources=["births_municipality_1968_2024", "births_2002_2003"])
    return root / "warehouse" / "oms.duckdb"


def test_uppsala_and_vastmanland_births_before_and_after_2007_are_on_todays_borders(warehouse) -> None:
    births = _recorded_tab1264_births()
    uppsala_today = [r.code for r in load_regions().regions
                     if r.county_code == "03" and r.level == "municipality" and r.is_current]
    assert "0331" in uppsala_today and len(uppsala_today) == 8  # Heby counts in Uppsala county for every year
    for year in ("2005", "2006", "2007", "2008"):
        expected = sum(births[(code, year)] for code in uppsala_today)
        assert _published(warehouse, "03", year) == (expected, None, "harmonized", "current",
                                                     "births_municipality_1968_2024")
    assert _published(warehouse, "03", "2006")[0] == 3792.0  # the figure an analyst sees for Uppsala county


def test_the_2003_county_as_published_plus_heby_equals_the_harmonized_county(warehouse, shared_dir) -> None:
    px = _px_births(shared_dir)
    heby_2003 = px[("1917", "2003")]
    assert heby_2003 == 110.0  # Heby, then in Västmanland, as SCB published it in 2003
    # SCB's county figures of 2003 plus or minus Heby are exactly today's-border sums from the other table:
    assert _published(warehouse, "03", "2003")[0] == px[("03", "2003")] + heby_2003 == 3560.0
    assert _published(warehouse, "19", "2003")[0] == px[("19", "2003")] - heby_2003 == 2559.0
    with connect_read_only(warehouse) as con:
        compared = con.execute("SELECT region_code, published_value, published_borders, summed_value, difference "
                               "FROM main.county_harmonization WHERE indicator_id = 'births' AND period = '2003' "
                               "AND sex = 'total' AND region_code IN ('03', '19') ORDER BY region_code").fetchall()
    assert compared == [("03", 3450.0, "as of period", 3560.0, 110.0), ("19", 2669.0, "as of period", 2559.0, -110.0)]


def test_knivsta_is_null_before_it_existed_and_uppsala_municipality_holds_its_area(warehouse, shared_dir) -> None:
    births = _recorded_tab1264_births()
    assert births[("0330", "2002")] == 0  # SCB's placeholder before Knivsta was formed (1 January 2003)
    assert _published(warehouse, "0330", "2002")[:2] == (None, "not yet formed")
    assert _published(warehouse, "0330", "2003")[0] == births[("0330", "2003")] == 182.0
    assert _published(warehouse, "0380", "2002")[0] == births[("0380", "2002")]  # area still in Uppsala kommun
    # the county is whole either way: before 2003 Uppsala kommun's figure included Knivsta's area
    uppsala_today = [r.code for r in load_regions().regions
                     if r.county_code == "03" and r.level == "municipality" and r.is_current]
    assert _published(warehouse, "03", "2002")[0] == sum(births[(c, "2002")] for c in uppsala_today)


def test_a_retired_code_is_published_under_todays_code(pipeline_env, shared_dir) -> None:
    """With only the PX table (Heby as 1917), Heby's births appear under 0331, marked harmonized."""
    nightly(sources=["births_2002_2003"])
    warehouse = pipeline_env / "warehouse" / "oms.duckdb"
    assert _published(warehouse, "0331", "2003") == (110.0, None, "harmonized", "current", "births_2002_2003")
    with connect_read_only(warehouse) as con:
        assert con.execute("SELECT count(*) FROM main.observation WHERE region_code = '1917'").fetchone()[0] == 0
