"""Load a validated batch into core.observation with one MERGE: reruns and backfills add no duplicates."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from tasks.fetch.common.observations import KEY_COLUMNS
from tasks.load.warehouse import registered

if TYPE_CHECKING:  # annotations only: pandas is imported where a batch is parsed (tasks/lazy.py)
    import pandas as pd

_KEY = ["source_id", *KEY_COLUMNS]
# A key is rewritten when its value changed, or when a new version of the table confirmed it (lineage follows the
# table's updated stamp); a refetch of the same version with the same values changes nothing.
_CHANGED = " OR ".join(f"target.{c} IS DISTINCT FROM src.{c}"
                       for c in ("value", "status", "null_reason", "unit", "source_updated"))


def merge_observations(con: duckdb.DuckDBPyConnection, batch: pd.DataFrame, run_id: str) -> int:
    """Insert new keys, update keys whose value changed; return how many rows were inserted or changed."""
    if batch.empty:
        return 0
    frame = batch.assign(loaded_run_id=run_id)
    with registered(con, "incoming_batch", frame):
        on = " AND ".join(f"target.{c} = src.{c}" for c in _KEY)
        columns = list(frame.columns)
        updates = ", ".join(f"{c} = src.{c}" for c in columns if c not in _KEY)
        result = con.execute(f"""
            MERGE INTO core.observation AS target
            USING incoming_batch AS src
            ON {on}
            WHEN MATCHED AND ({_CHANGED}) THEN UPDATE SET {updates}
            WHEN NOT MATCHED THEN INSERT ({", ".join(columns)}) VALUES ({", ".join("src." + c for c in columns)})
        """).fetchall()
    return int(result[0][0]) if result else 0
