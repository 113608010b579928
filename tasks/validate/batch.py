"""Validate one source batch: its own suite, then the county-total check where counties and members meet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tasks.catalogue import SourceConfig
from tasks.fetch.common.observations import indicators_by_key
from tasks.regions import Regions
from tasks.validate.county_totals import county_total_comparison
from tasks.validate.suites import ValidationOutcome, run_suite, suite_document

if TYPE_CHECKING:  # annotations only: pandas is imported where a batch is parsed (tasks/lazy.py)
    import pandas as pd


@dataclass(frozen=True)
class BatchVerdict:
    source_id: str
    passed: bool
    outcomes: list[ValidationOutcome]
    counties_compared: int

    def failure_lines(self) -> list[str]:
        return [f"[{o.suite}] {f.line()}" for o in self.outcomes for f in o.failures]


def validate_batch(batch: pd.DataFrame, source: SourceConfig, regions: Regions) -> BatchVerdict:
    suite_name = source.expectations
    outcomes = [run_suite(batch, suite_name, {"oms_region_codes": regions.all_codes})]
    meta = suite_document(suite_name).get("meta", {})
    if meta.get("wide_suite") and not batch.empty:
        outcomes.append(run_suite(indicators_by_key(batch).reset_index().rename_axis(columns=None), meta["wide_suite"]))
    tolerance = meta.get("county_total_tolerance")
    compared = 0
    if tolerance is not None:
        comparison = county_total_comparison(batch, regions)
        compared = len(comparison)
        if compared:
            outcomes.append(run_suite(comparison, "county_totals", {"county_total_tolerance": tolerance}))
    return BatchVerdict(source.id, all(o.success for o in outcomes), outcomes, compared)
