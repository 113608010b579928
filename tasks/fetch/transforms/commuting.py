"""Commuting (RAMS): employed residents and the out-commuters' share, derived from the same batch."""

from __future__ import annotations

from tasks.fetch.common.observations import INCOMPLETE_INPUTS, KEY_COLUMNS, OBSERVATION_COLUMNS, indicators_by_key
from tasks.lazy import LazyModule

np = LazyModule("numpy")
pd = LazyModule("pandas")


def _derived_rows(batch: pd.DataFrame, template_indicator: str, values: pd.Series, indicator_id: str,
                  unit: str) -> pd.DataFrame:
    others = [c for c in KEY_COLUMNS if c != "indicator_id"]
    template = batch[batch["indicator_id"] == template_indicator].set_index(others)
    rows = template.loc[values.index].reset_index()
    rows["indicator_id"] = indicator_id
    rows["value"] = values.to_numpy()
    rows["status"] = None
    rows["null_reason"] = np.where(rows["value"].isna(), INCOMPLETE_INPUTS, None)
    rows["unit"] = unit
    rows["value_origin"] = "derived"
    return rows[OBSERVATION_COLUMNS]


def employed_residents_and_out_commuter_share(batch: pd.DataFrame, units: dict[str, str]) -> pd.DataFrame:
    """RAMS: employed residents = those who live and work in the municipality + the out-commuters; and the
    out-commuters' share of them, the measure of how far a municipality's workforce travels."""
    wide = indicators_by_key(batch)
    employed = wide["live_and_work_locally"] + wide["out_commuters"]
    share = (100 * wide["out_commuters"] / employed.where(employed > 0)).round(2)
    return pd.concat([batch,
                      _derived_rows(batch, "out_commuters", employed, "employed_residents",
                                    units["employed_residents"]),
                      _derived_rows(batch, "out_commuters", share, "out_commuter_share",
                                    units["out_commuter_share"])], ignore_index=True)
