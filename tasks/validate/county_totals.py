"""Compare each county's total with the sum of its municipalities at that period (border history aware)."""

from __future__ import annotations

from tasks.lazy import LazyModule
from tasks.regions import PERIOD_PATTERN, Regions, county_members, division_date

pd = LazyModule("pandas")

COMPARISON_COLUMNS = ["county_code", "period", "indicator_id", "sex", "age", "breakdown", "county_value",
                      "municipality_sum", "relative_difference"]


def county_total_comparison(batch: pd.DataFrame, regions: Regions) -> pd.DataFrame:
    """One row per county cell that has every member municipality in the batch; others cannot be compared."""
    counties = set(regions.county_codes)
    # Malformed periods are the period expectation's to report; they cannot be placed in the border history.
    values = batch[batch["value"].notna() & batch["period"].astype(str).str.fullmatch(PERIOD_PATTERN)]
    county_rows = values[values["region_code"].isin(counties)]
    if county_rows.empty:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    members_cache: dict[tuple[str, str], frozenset[str]] = {}
    municipal = values[~values["region_code"].isin(counties)]
    present = municipal.groupby(["period"])["region_code"].agg(frozenset).to_dict()
    rows = []
    key = ["period", "indicator_id", "sex", "age", "breakdown"]
    municipal_by_key = {k: g for k, g in municipal.groupby(key)}
    for county in county_rows.itertuples(index=False):
        cache_key = (county.region_code, county.period)
        if cache_key not in members_cache:
            members_cache[cache_key] = frozenset(
                county_members(regions, county.region_code, division_date(county.period)))
        members = members_cache[cache_key]
        if not members or not members <= present.get(county.period, frozenset()):
            continue
        group = municipal_by_key.get(tuple(getattr(county, k) for k in key))
        if group is None:
            continue
        cells = group[group["region_code"].isin(members)]
        if set(cells["region_code"]) != members:
            continue
        total = float(cells["value"].sum())
        difference = abs(total - county.value) / county.value if county.value else float(total != 0)
        rows.append((county.region_code, county.period, county.indicator_id, county.sex, county.age,
                     county.breakdown, county.value, total, difference))
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
