"""Every number accounted for, on the exact cells an outside audit named: a real 0 is never published as NULL, a
placeholder 0 (a municipality before it was formed) is, with its reason, and SCB's own symbols are kept as SCB
gave them. Expected values are decoded from the recordings by the test's own reader (tests/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.pipeline import nightly
from replay.pxweb.cube import cube_from_px
from tasks.load.warehouse import connect_read_only
from tests.conftest import recorded_cells
from tests.flows.conftest import point_pipeline_at

ATLAS = Path(__file__).resolve().parents[2] / "recordings/scb/v2/recorded-by-atlas290"
SOURCES = ["completed_dwellings_municipality", "earned_income_municipality", "births_municipality_1968_2024",
           "population_age38_municipality_2002_2005"]
HEBY, NYKVARN, KNIVSTA = "0331", "0140", "0330"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, replay_server, kolada_server) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("zeros")
    with pytest.MonkeyPatch.context() as patch:
        point_pipeline_at(folder, replay_server, kolada_server, patch.setenv)
        nightly(sources=SOURCES)
    yield folder / "warehouse" / "oms.duckdb"


def _published(warehouse: Path, indicator: str, region: str, period: str, **key: str) -> tuple:
    conditions = " AND ".join(f"{column} = ?" for column in key) or "TRUE"
    with connect_read_only(warehouse) as con:
        return con.execute(f"SELECT value, status, null_reason FROM main.observation WHERE indicator_id = ? AND "
                           f"region_code = ? AND period = ? AND {conditions}",
                           [indicator, region, period, *key.values()]).fetchone()


def _dwellings(region: str, year: str) -> list[float | None]:
    """Both house types of TAB2538, as recorded (the source asks SCB for their sum)."""
    dims, cells = recorded_cells(ATLAS / "TAB2538/3418c50f4d46e630.json")
    return [v for k, v in cells.items() if k[dims.index("Region")] == region and k[dims.index("Tid")] == year]


def test_hebys_real_zeros_before_2007_are_published_as_zeros(warehouse) -> None:
    document = json.loads((ATLAS / "TAB2538/3418c50f4d46e630.json").read_text(encoding="utf-8"))["response"]
    assert document["value"][3391] == document["value"][3449] == 0  # the two cells the audit named
    assert _dwellings(HEBY, "1995") == [0, 0]
    assert _published(warehouse, "completed_dwellings", HEBY, "1995") == (0.0, None, None)
    assert _published(warehouse, "completed_dwellings", HEBY, "1994")[0] == sum(_dwellings(HEBY, "1994")) > 0


def test_nykvarns_zero_in_1995_is_real_because_scb_publishes_the_area_before_1999(warehouse) -> None:
    assert _dwellings(NYKVARN, "1995") == [0, 0] and sum(_dwellings(NYKVARN, "1992")) > 0
    assert _published(warehouse, "completed_dwellings", NYKVARN, "1995") == (0.0, None, None)
    for year in ("1991", "1992", "1993", "1994", "1996", "1997", "1998"):
        assert _published(warehouse, "completed_dwellings", NYKVARN, year)[0] == sum(_dwellings(NYKVARN, year))


def test_knivstas_widowed_38_year_olds_of_2002_are_real_zeros(warehouse, shared_dir) -> None:
    cube = cube_from_px(shared_dir / "scb/px/Hierarchies_BE0101A1det.px")
    region = cube.dimension("region").codes.index(KNIVSTA)
    status = cube.dimension("marital status").codes
    widowed = next(code for code in status if cube.dimension("marital status").labels[code].startswith("widow"))
    period = cube.dimension("period").codes.index("2002")
    cells = cube.values[0, region, status.index(widowed), period, :, 0]
    assert list(cells) == [0, 0]  # men and women, as SCB's PX file has them
    for sex in ("men", "women"):
        assert _published(warehouse, "population", KNIVSTA, "2002", sex=sex, age="38",
                          breakdown=f"marital status={widowed}") == (0.0, None, None)


def test_a_placeholder_zero_before_a_municipality_was_formed_is_null_with_its_reason(warehouse) -> None:
    dims, cells = recorded_cells(ATLAS / "TAB1264/d58c6d5eeff3108b.json")
    assert {v for k, v in cells.items() if k[0] == KNIVSTA and k[dims.index("Tid")] <= "2002"} == {0}
    assert _published(warehouse, "births", KNIVSTA, "2002", sex="total", age="total") == \
        (None, None, "not yet formed")  # SCB gave 0 and no symbol: the reason is ours, status stays empty
    assert _published(warehouse, "births", KNIVSTA, "2003", sex="total", age="total")[0] == 182


def test_scbs_symbols_are_kept_as_scb_gave_them_beside_our_reason(warehouse) -> None:
    dims, cells = recorded_cells(ATLAS / "TAB3554/474d0f391fc1c46f.json")
    knivsta = {k[dims.index("Tid")]: v for k, v in cells.items() if k[0] == KNIVSTA}
    assert [knivsta[y] for y in ("1999", "2000", "2001")] == [None, None, None] and knivsta["2002"] == 206.1
    for year in ("1999", "2000", "2001"):
        assert _published(warehouse, "earned_income_median", KNIVSTA, year) == (None, "..", "not yet formed")
    assert _published(warehouse, "earned_income_median", KNIVSTA, "2002") == (206.1, None, None)
    with connect_read_only(warehouse) as con:
        unexplained = con.execute("SELECT count(*) FROM main.observation WHERE value IS NULL "
                                  "AND null_reason IS NULL").fetchone()[0]
        symbols = dict(con.execute("SELECT status, count(*) FROM main.observation WHERE status IS NOT NULL "
                                   "GROUP BY ALL").fetchall())
    assert unexplained == 0 and symbols.get("..", 0) > 0
