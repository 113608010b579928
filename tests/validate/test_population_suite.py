"""The population expectation suite on SCB's recorded TAB6471 answer, and the failures it must catch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tasks.config import load_code_maps, load_sources
from tasks.fetch.common.observations import Lineage
from tasks.fetch.pxweb.jsonstat import parse_jsonstat_dataset
from tasks.fetch.pxweb.tidy import tidy_batch
from tasks.regions import load_regions
from tasks.validate.batch import validate_batch


@pytest.fixture(scope="module")
def source():
    return next(s for s in load_sources() if s.id == "population_county_month")


@pytest.fixture(scope="module")
def regions():
    return load_regions()


@pytest.fixture()
def full_batch(tab6471_data, source):
    dataset = parse_jsonstat_dataset(tab6471_data)
    return tidy_batch([(dataset, Lineage(dataset.updated, "2026-11-25T00:00:00Z", "x"))], source, load_code_maps())


@pytest.fixture()
def oms_batch(full_batch, regions):
    return full_batch[full_batch["region_code"].isin(regions.county_codes)].reset_index(drop=True)


def test_tidy_maps_codes_and_derives_all_ages(oms_batch) -> None:
    # 7 counties x (11 age groups + derived total) x 3 sexes x 4 months
    assert len(oms_batch) == 7 * 12 * 3 * 4
    assert set(oms_batch["sex"]) == {"total", "men", "women"}
    assert "100+" in set(oms_batch["age"])
    total = oms_batch.query("region_code == '01' and sex == 'total' and age == 'total' and period == '2026M01'")
    groups = oms_batch.query("region_code == '01' and sex == 'total' and age != 'total' and period == '2026M01'")
    assert total["value"].item() == groups["value"].sum() > 2_400_000
    assert total["value_origin"].item() == "derived"


def test_recorded_oms_counties_pass(oms_batch, source, regions) -> None:
    verdict = validate_batch(oms_batch, source, regions)
    assert verdict.passed, verdict.failure_lines()


def test_counties_outside_oms_are_rejected(full_batch, source, regions) -> None:
    verdict = validate_batch(full_batch, source, regions)
    assert not verdict.passed
    (line,) = [f for f in verdict.failure_lines() if "region_code" in f and "in_set" in f]
    assert "unexpected" in line and "'06'" in line


def test_duplicate_keys_and_negative_values_are_rejected(oms_batch, source, regions) -> None:
    broken = oms_batch.copy()
    broken.loc[3, "value"] = -1.0
    broken = pd.concat([broken, broken.iloc[[0]]], ignore_index=True)
    lines = validate_batch(broken, source, regions).failure_lines()
    assert any("compound_columns_to_be_unique" in line for line in lines)
    assert any("to_be_between on `value`" in line and "-1.0" in line for line in lines)


def test_malformed_period_is_rejected(oms_batch, source, regions) -> None:
    broken = oms_batch.copy()
    broken.loc[0, "period"] = "2026-01"
    lines = validate_batch(broken, source, regions).failure_lines()
    assert any("match_regex on `period`" in line and "2026-01" in line for line in lines)


def test_a_few_missing_values_pass_but_mostly_missing_fails(oms_batch, source, regions) -> None:
    some = oms_batch.copy()
    some.loc[:4, "value"] = np.nan
    some.loc[:4, "status"] = ".."
    assert validate_batch(some, source, regions).passed
    most = oms_batch.copy()
    most.loc[: len(most) // 2, "value"] = np.nan
    assert not validate_batch(most, source, regions).passed


def test_suites_stay_usable_after_another_suite_is_defined(oms_batch, source, regions) -> None:
    """A process (a served deployment, a test session) validates with several suites in turn."""
    from tasks.validate.suites import run_suite

    assert validate_batch(oms_batch, source, regions).passed
    comparison = pd.DataFrame({"relative_difference": [0.0, 0.001]})
    assert run_suite(comparison, "county_totals", {"county_total_tolerance": 0.005}).success
    assert validate_batch(oms_batch, source, regions).passed
