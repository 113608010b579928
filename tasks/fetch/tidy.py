"""Turn a parsed json-stat2 dataset into the tidy observation rows of one source (the YAML says how)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tasks.catalogue import PxWebSource
from tasks.fetch.jsonstat import JsonStatDataset

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


def _mapped(column: pd.Series, mapping: dict[str, str]) -> pd.Series:
    return column.map(lambda code: mapping.get(code, code))


def tidy_observations(dataset: JsonStatDataset, source: PxWebSource, code_maps: dict[str, dict[str, str]],
                      lineage: Lineage) -> pd.DataFrame:
    frame = dataset.frame
    present = [d.id for d in dataset.dimensions]
    metric = source.metric_variable
    mapped = {"region": source.columns.region, "period": source.columns.period, "sex": source.columns.sex,
              "age": source.columns.age}
    expected = {v for v in mapped.values() if v} | {metric} | set(source.breakdown)
    missing = sorted(expected - set(present))
    if missing:
        raise SchemaError(f"{source.table}: dimension(s) {missing} expected by source {source.id!r} are missing "
                          f"from the response (it has {present}); renamed upstream? Update config/sources.")
    extra = [d for d in present if d not in expected and frame[d].nunique() > 1]
    if extra:
        raise SchemaError(f"{source.table}: dimension(s) {extra} vary in the response but source {source.id!r} "
                          f"does not map them; add them to `breakdown:` or pin them in the selection")
    unknown_metrics = sorted(set(frame[metric]) - set(source.indicators))
    if unknown_metrics:
        raise SchemaError(f"{source.table}: content code(s) {unknown_metrics} have no indicator in source "
                          f"{source.id!r}")

    out = pd.DataFrame(index=frame.index)
    out["indicator_id"] = frame[metric].map({code: m.id for code, m in source.indicators.items()})
    out["region_code"] = frame[mapped["region"]].astype(str)
    out["period"] = frame[mapped["period"]].astype(str)
    for column in ("sex", "age"):
        dimension = mapped[column]
        vocabulary = {**code_maps.get(column, {}), **source.codes.get(dimension or "", {})}
        out[column] = _mapped(frame[dimension].astype(str), vocabulary) if dimension else "total"
    out["breakdown"] = _breakdown(frame, source.breakdown, source.codes)
    out["value"] = frame["value"].astype("float64")
    out["status"] = frame["status"].where(frame["status"].notna(), None)
    # A value SCB marks as missing ("..", "-") is stored as NULL with its symbol, never as 0.
    out.loc[out["status"].notna(), "value"] = np.nan
    out["null_reason"] = np.where(out["value"].isna(), MISSING_IN_SOURCE, None)
    out["unit"] = frame[metric].map({code: m.unit for code, m in source.indicators.items()})
    out["value_origin"] = "as_published"
    out["source_id"] = source.id
    out["source_table"] = source.table
    out["source_updated"] = lineage.source_updated
    out["fetched_at"] = lineage.fetched_at
    out["landing_sha256"] = lineage.landing_sha256
    return out[OBSERVATION_COLUMNS].reset_index(drop=True)


def tidy_batch(parts: Iterable[tuple[JsonStatDataset, Lineage]], source: PxWebSource,
               code_maps: dict[str, dict[str, str]]) -> pd.DataFrame:
    """All responses of one source as one batch. Totals are derived here, over the whole batch: a response may
    hold only some of the age groups when the fetch was split under the cell limit."""
    frames = [tidy_observations(dataset, source, code_maps, lineage) for dataset, lineage in parts]
    batch = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=OBSERVATION_COLUMNS)
    for column in source.derive_totals:
        batch = add_totals(batch, column)
    return batch


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
    grouped = parts.groupby(others, sort=False, dropna=False)
    totals = grouped.agg(value=("value", lambda v: v.sum() if v.notna().all() else np.nan),
                         **{c: (c, "first") for c in lineage}).reset_index()
    totals[column] = "total"
    totals["status"] = None  # no source said anything about a total we derived
    totals["null_reason"] = np.where(totals["value"].isna(), INCOMPLETE_INPUTS, None)
    totals["value_origin"] = "derived"
    return pd.concat([frame, totals[OBSERVATION_COLUMNS]], ignore_index=True)


def _breakdown(frame: pd.DataFrame, variables: list[str], codes: dict[str, dict[str, str]]) -> pd.Series:
    """Other dimensions as one readable key, e.g. ``marital status=OG``; empty when there are none."""
    if not variables:
        return pd.Series("", index=frame.index, dtype="object")
    parts = [variable + "=" + _mapped(frame[variable].astype(str), codes.get(variable, {})) for variable in variables]
    combined = parts[0]
    for part in parts[1:]:
        combined = combined + ";" + part
    return combined
