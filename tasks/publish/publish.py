"""Publish: rebuild the analyst-facing tables and views from core, inside the building copy of the warehouse."""

from __future__ import annotations

import logging

import duckdb
import pandas as pd

from tasks.config import Regions
from tasks.load.warehouse import SQL_DIR, apply_sql_files
from tasks.publish.dictionary import undescribed_objects

log = logging.getLogger(__name__)


def region_frame(regions: Regions) -> pd.DataFrame:
    created = {c.code: c.effective for c in regions.changes}
    return pd.DataFrame([
        {"region_code": r.code, "region_name": r.name, "short_name": r.short_name, "level": r.level,
         "county_code": r.county_code, "kolada_id": r.kolada_id, "nuts3": r.nuts3, "nuts2": r.nuts2,
         "valid_from": created.get(r.code), "valid_to": None}
        for r in regions.regions
    ])


def region_change_frame(regions: Regions) -> pd.DataFrame:
    return pd.DataFrame([
        {"effective_date": c.effective, "change_type": c.type, "region_code": c.code, "region_name": c.name,
         "from_code": c.from_code, "county_code": c.county, "from_county": c.from_county, "note": c.note}
        for c in regions.changes
    ])


def write_region_model(con: duckdb.DuckDBPyConnection, regions: Regions) -> None:
    """The region model comes from config/regions.yaml; rewrite it whole so edits there take effect."""
    for table, frame in (("core.region", region_frame(regions)), ("core.region_change", region_change_frame(regions))):
        con.register("incoming_regions", frame)
        try:
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_regions")
        finally:
            con.unregister("incoming_regions")


def publish(con: duckdb.DuckDBPyConnection, regions: Regions) -> dict[str, int]:
    """Rebuild main.* and return the published row count per source.

    The files run in name order; 90_comments.sql comes last because CREATE OR REPLACE drops an object's comments.
    """
    write_region_model(con, regions)
    apply_sql_files(con, sorted((SQL_DIR / "publish").glob("*.sql")))
    warn_about_undescribed_objects(con)
    rows = con.execute("SELECT source_id, count(*) FROM main.observation GROUP BY source_id").fetchall()
    return {source_id: int(count) for source_id, count in rows}


def warn_about_undescribed_objects(con: duckdb.DuckDBPyConnection) -> None:
    """A column without a description still publishes (its data is fine) but is named in the log; the test
    tests/publish/test_dictionary.py is what fails on it."""
    missing = undescribed_objects(con)
    if missing:
        log.warning("%d published object(s) have no description in warehouse/sql/publish/90_comments.sql: %s",
                    len(missing), ", ".join(missing))
