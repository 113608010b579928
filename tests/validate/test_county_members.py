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


# -- any set of counties (settings `regions:`) ----------------------------------------------------------------------
def test_sweden_has_21_counties_and_290_municipalities() -> None:
    sweden = load_regions(selection="sweden")
    assert (sweden.selection, sweden.label, len(sweden.county_codes), len(sweden.municipality_codes)) == (
        "sweden", "Sverige", 21, 290)
    assert {r.code: (r.kolada_id, r.nuts3, r.nuts2) for r in sweden.regions if r.level == "county"}["14"] == (
        "0014", "SE232", "SE23")
    assert len(county_members(sweden, "12", division_date("2024"))) == 33  # Skåne: no change compiled there
    assert len(county_members(sweden, "14", division_date("2024"))) == 49  # Västra Götaland


def test_a_selection_keeps_only_its_counties_and_the_changes_that_touch_them() -> None:
    skane = load_regions(selection="12")
    assert (skane.selection, skane.label, skane.county_codes) == ("12", "län 12", ["12"])
    assert county_members(skane, "12", division_date("2024")) == set(skane.municipality_codes)
    assert skane.changes == () and skane.historical_codes == []
    assert skane.region_sets()["municipalities_in_01"] == []  # a source naming another county asks for nothing
    # Heby's retired code 1917 comes with Västmanland (19), where it lay, and with Uppsala (03), whose 0331 it feeds
    assert load_regions(selection="19").historical_codes == ["1917"]
    assert load_regions(selection="03").historical_codes == ["1917"]
    assert load_regions(selection=["01", "12"]).historical_codes == []
    assert [c.code for c in load_regions(selection="01,12").changes] == ["0128", "0117", "0140"]
    # the seven ÖMS counties by their codes are the selection oms
    assert load_regions(selection="21,19,18,05,04,03,01").selection == "oms"


@pytest.mark.parametrize("selection", ["skane", "01,99", "1", "", ["01", "2"]])
def test_an_unknown_selection_is_one_line_naming_the_allowed_values(selection) -> None:
    from tasks.config import ConfigError

    with pytest.raises(ConfigError, match=r"^regions: .* is neither a selection \(oms, sweden\) nor county codes "
                                          r"separated by commas \(01, 03, .*, 25\)") as refused:
        load_regions(selection=selection)
    assert "\n" not in str(refused.value)


def test_the_setting_and_its_environment_override(monkeypatch) -> None:
    from tasks.config import load_settings

    monkeypatch.delenv("OMS_REGIONS", raising=False)
    assert load_settings().regions == "oms" and load_regions().selection == "oms"
    monkeypatch.setenv("OMS_REGIONS", "sweden")
    assert load_settings().regions == "sweden" and len(load_regions().county_codes) == 21
