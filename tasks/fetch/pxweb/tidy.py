"""Turn a parsed json-stat2 dataset into the tidy observation rows of one source (the YAML says how)."""

from __future__ import annotations

from collections.abc import Iterable

from tasks.catalogue import PxWebSource
from tasks.fetch.common.observations import (
    MISSING_IN_SOURCE,
    OBSERVATION_COLUMNS,
    Lineage,
    SchemaError,
    add_totals,
)
from tasks.fetch.pxweb.jsonstat import JsonStatDataset
from tasks.lazy import LazyModule

np = LazyModule("numpy")
pd = LazyModule("pandas")


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


def _breakdown(frame: pd.DataFrame, variables: list[str], codes: dict[str, dict[str, str]]) -> pd.Series:
    """Other dimensions as one readable key, e.g. ``marital status=OG``; empty when there are none."""
    if not variables:
        return pd.Series("", index=frame.index, dtype="object")
    parts = [variable + "=" + _mapped(frame[variable].astype(str), codes.get(variable, {})) for variable in variables]
    combined = parts[0]
    for part in parts[1:]:
        combined = combined + ";" + part
    return combined
