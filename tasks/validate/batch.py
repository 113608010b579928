"""Validate one source batch: its own suite, then the county-total check where counties and members meet."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tasks.catalogue import SourceConfig
from tasks.config import Regions
from tasks.fetch.tidy import KEY_COLUMNS
from tasks.validate.county_totals import county_total_comparison
from tasks.validate.suites import ValidationOutcome, run_suite, suite_document


@dataclass(frozen=True)
class BatchVerdict:
    source_id: str
    passed: bool
    outcomes: list[ValidationOutcome]
    counties_compared: int

    def failure_lines(self) -> list[str]:
        return [f"[{o.suite}] {f.line()}" for o in self.outcomes for f in o.failures]


def indicators_side_by_side(batch: pd.DataFrame) -> pd.DataFrame:
    """One row per region, period and breakdown, one column per indicator: for checks between indicators."""
    key = [c for c in KEY_COLUMNS if c != "indicator_id"]
    return batch.pivot_table(index=key, columns="indicator_id", values="value", aggfunc="first",
                             dropna=False).reset_index().rename_axis(columns=None)


def validate_batch(batch: pd.DataFrame, source: SourceConfig, regions: Regions) -> BatchVerdict:
    suite_name = source.expectations
    outcomes = [run_suite(batch, suite_name, {"oms_region_codes": regions.all_codes})]
    meta = suite_document(suite_name).get("meta", {})
    if meta.get("wide_suite") and not batch.empty:
        outcomes.append(run_suite(indicators_side_by_side(batch), meta["wide_suite"]))
    tolerance = meta.get("county_total_tolerance")
    compared = 0
    if tolerance is not None:
        comparison = county_total_comparison(batch, regions)
        compared = len(comparison)
        if compared:
            outcomes.append(run_suite(comparison, "county_totals", {"county_total_tolerance": tolerance}))
    return BatchVerdict(source.id, all(o.success for o in outcomes), outcomes, compared)
