"""County membership through the real border changes (Heby 2007, Knivsta 2003), as the county-total check uses it."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.regions import county_members, division_date, existed_on, load_regions


@pytest.fixture(scope="module")
def regions():
    return load_regions()


def test_region_model_has_the_seven_counties_and_88_municipalities(regions) -> None:
    assert regions.county_codes == ["01", "03", "04", "05", "18", "19", "21"]
    assert len(regions.municipality_codes) == 88
    per_county = {c: sum(r.county_code == c for r in regions.regions if r.level == "municipality" and r.is_current)
                  for c in regions.county_codes}
    assert per_county == {"01": 26, "03": 8, "04": 9, "05": 13, "18": 12, "19": 10, "21": 10}
    # and the one retired code of these counties: Heby as 1917 in Västmanland, until 31 December 2006
    (heby,) = [r for r in regions.regions if not r.is_current]
    assert (heby.code, heby.county_code, heby.valid_to.isoformat(), heby.successor) == ("1917", "19", "2006-12-31",
                                                                                        "0331")


def test_year_end_figures_use_next_years_division() -> None:
    assert division_date("2005") == date(2006, 1, 1)
    assert division_date("2026M04") == date(2026, 5, 1)
    assert division_date("2025M12") == date(2026, 1, 1)
    assert division_date("2025K4") == date(2026, 1, 1)


def test_heby_belongs_to_vastmanland_until_2006(regions) -> None:
    assert "1917" in county_members(regions, "19", division_date("2005"))
    assert "0331" not in county_members(regions, "03", division_date("2005"))
    assert "0331" in county_members(regions, "03", division_date("2006"))  # in force 1 Jan 2007
    assert "1917" not in county_members(regions, "19", division_date("2006"))
    assert len(county_members(regions, "19", division_date("2006"))) == 10


def test_knivsta_is_part_of_uppsala_before_2003(regions) -> None:
    assert "0330" not in county_members(regions, "03", division_date("2001"))
    assert "0330" in county_members(regions, "03", division_date("2002"))
    assert not existed_on(regions, "0330", date(2002, 12, 31))
    assert existed_on(regions, "0330", date(2003, 1, 1))
    assert existed_on(regions, "0380", date(1980, 1, 1))
