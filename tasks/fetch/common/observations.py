"""The tidy observation row every source produces, whatever its API: columns, key, why a value is NULL, and
helpers over whole batches."""

from __future__ import annotations

from dataclasses import dataclass

from tasks.lazy import LazyModule

np = LazyModule("numpy")
pd = LazyModule("pandas")


OBSERVATION_COLUMNS = [
    "indicator_id", "region_code", "period", "sex", "age", "breakdown", "value", "status", "null_reason", "unit",
    "value_origin", "source_id", "source_table", "source_updated", "fetched_at", "landing_sha256",
]
# Why a value is NULL, in our words (the source's own symbol stays in `status`, as the source gave it).
MISSING_IN_SOURCE = "missing in source"  # the source gives no number (its symbol, if any, in status)
INCOMPLETE_INPUTS = "incomplete inputs"  # a sum or ratio we derived over at least one missing input
DELETED_IN_SOURCE = "deleted in source"  # Kolada withdrew the value (isdeleted)
NOT_YET_FORMED = "not yet formed"  # the municipality did not exist then (set by the harmonization)
KEY_COLUMNS = ["indicator_id", "region_code", "period", "sex", "age", "breakdown"]


class SchemaError(ValueError):
    """The response does not have the dimensions the source's YAML expects (renamed, missing, extra)."""


@dataclass(frozen=True)
class Lineage:
    source_updated: str | None
    fetched_at: str
    landing_sha256: str


def indicators_by_key(batch: pd.DataFrame) -> pd.DataFrame:
    """One row per key without the indicator (region, period, sex, age, breakdown), one value column per indicator:
    for transforms and checks that relate indicators of the same batch."""
    others = [c for c in KEY_COLUMNS if c != "indicator_id"]
    return batch.pivot_table(index=others, columns="indicator_id", values="value", aggfunc="first", dropna=False)


def add_totals(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Add ``column = 'total'`` rows as the sum over that column's values, where the source publishes none.

    Declared per source (``derive_totals:``) only where the values partition the whole, e.g. TAB6471's ten-year
    age groups. A sum over a missing cell is missing, not a smaller number.
    """
    others = [c for c in KEY_COLUMNS if c != column]
    has_total = frame[frame[column] == "total"][others].drop_duplicates()
    parts = frame[frame[column] != "total"]
    if not has_total.empty:
        parts = parts.merge(has_total, on=others, how="left", indicator=True)
        parts = parts[parts["_merge"] == "left_only"].drop(columns="_merge")
    if parts.empty:
        return frame
    lineage = [c for c in OBSERVATION_COLUMNS if c not in KEY_COLUMNS
               and c not in ("value", "status", "null_reason", "value_origin")]
    grouped = parts.assign(_missing=parts["value"].isna()).groupby(others, sort=False, dropna=False)
    totals = grouped.agg(value=("value", "sum"), _missing=("_missing", "any"),
                         **{c: (c, "first") for c in lineage}).reset_index()
    totals["value"] = totals["value"].mask(totals.pop("_missing"))  # a sum over a missing cell is missing
    totals[column] = "total"
    totals["status"] = None  # no source said anything about a total we derived
    totals["null_reason"] = np.where(totals["value"].isna(), INCOMPLETE_INPUTS, None)
    totals["value_origin"] = "derived"
    return pd.concat([frame, totals[OBSERVATION_COLUMNS]], ignore_index=True)
