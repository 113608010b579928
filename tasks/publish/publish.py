"""Publish: rebuild the analyst-facing tables and views from core, inside the building copy of the warehouse."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from tasks.catalogue import FocusArea, Indicator, SourceConfig
from tasks.config import load_catalogue, load_sources
from tasks.fetch.transforms import TRANSFORMS
from tasks.load.warehouse import SQL_DIR, apply_sql_files, rows_select
from tasks.publish.documentation import document_warehouse, run_checks
from tasks.regions import Regions, load_regions

Rows = list[dict]  # one dict per row, the same keys in each: a table of the reference model


def region_rows(regions: Regions) -> Rows:
    return [
        {"region_code": r.code, "region_name": r.name, "short_name": r.short_name, "level": r.level,
         "county_code": r.county_code, "kolada_id": r.kolada_id, "nuts3": r.nuts3, "nuts2": r.nuts2,
         "valid_from": r.valid_from, "valid_to": r.valid_to, "successor": r.successor}
        for r in regions.regions
    ]


def indicator_rows(areas: dict[str, FocusArea], indicators: dict[str, Indicator]) -> Rows:
    return [
        {"indicator_id": key, "name_sv": i.name.sv, "name_en": i.name.en, "description_sv": i.description.sv,
         "description_en": i.description.en, "unit": i.unit, "focus_area": i.focus_area,
         "focus_area_sv": areas[i.focus_area].name.sv, "focus_area_en": areas[i.focus_area].name.en,
         "additive": i.additive}
        for key, i in indicators.items()
    ]


def indicator_source_rows(sources: list[SourceConfig]) -> Rows:
    """Which source feeds which indicator: by content code or KPI, or derived by the source's transform."""
    def feeds(source: SourceConfig) -> list[tuple[str, str]]:
        mapped = [(mapping.id, code) for code, mapping in source.indicators.items()]
        transform = TRANSFORMS.get(getattr(source, "transform", None) or "")
        derived = transform.outputs if transform else ()
        return mapped + [(indicator_id, "derived") for indicator_id in derived]

    return [
        {"indicator_id": indicator_id, "source_id": s.id, "api": s.api, "source_table": s.table,
         "source_code": code, "title": s.title, "frequency": s.frequency, "only_on": s.only_on}
        for s in sources for indicator_id, code in feeds(s)
    ]


def _replace_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Rows) -> None:
    con.execute(f"DELETE FROM {table}")
    if rows:
        select, columns = rows_select(rows)
        con.execute(f"INSERT INTO {table} BY NAME {select}", columns)


def region_change_rows(regions: Regions) -> Rows:
    return [
        {"effective_date": c.effective, "change_type": c.type, "region_code": c.code, "region_name": c.name,
         "from_code": c.from_code, "county_code": c.county, "from_county": c.from_county, "note": c.note}
        for c in regions.changes
    ]


def reference_rows(regions: Regions, areas: dict[str, FocusArea], indicators: dict[str, Indicator],
                   sources: list[SourceConfig]) -> dict[str, Rows]:
    """The core tables config/ defines: regions, border changes and the indicator catalogue, from what the caller
    read (a run reads config/ once, in build_context)."""
    return {"core.region": region_rows(regions), "core.region_change": region_change_rows(regions),
            "core.indicator": indicator_rows(areas, indicators),
            "core.indicator_source": indicator_source_rows(sources)}


def reference_rows_from_config() -> dict[str, Rows]:
    """The same, read from config/ now: for a publish outside a run."""
    return reference_rows(load_regions(), *load_catalogue(), load_sources())


def write_reference_model(con: duckdb.DuckDBPyConnection, reference: dict[str, Rows]) -> None:
    """Rewritten whole on every publish, so edits in config/ take effect."""
    for table, rows in reference.items():
        _replace_rows(con, table, rows)


def publish_inputs(reference: dict[str, Rows]) -> str:
    """A digest of what main.* is built from besides core.observation: the reference model, the publish SQL and its
    docs, this package's code and DuckDB's version. Equal digests and no new observations give an equal main.*."""
    digest = hashlib.sha256(duckdb.__version__.encode())
    for table, rows in reference.items():
        digest.update(table.encode() + json.dumps(rows, default=str, ensure_ascii=False).encode())
    for path in sorted(SQL_DIR.rglob("*.*")) + sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def last_publish(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """(run id, publish inputs) of the last run that rebuilt main.*, if one recorded them."""
    rows = con.execute("SELECT run_id, publish_inputs FROM audit.run WHERE published AND publish_inputs IS NOT NULL "
                       "ORDER BY started_at DESC LIMIT 1").fetchall()
    return rows[0] if rows else None


def publish(con: duckdb.DuckDBPyConnection, reference: dict[str, Rows]) -> dict[str, int]:
    """Rebuild main.* and return the published row count per source.

    The SQL files run in name order; then every object gets its description from the YAML next to its SQL, and the
    declared checks run: an undescribed column or a failed check stops the publish (the build is discarded).
    """
    write_reference_model(con, reference)
    apply_sql_files(con, sorted((SQL_DIR / "publish").glob("*.sql")))
    document_warehouse(con)
    run_checks(con)
    return published_rows(con)


def published_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per source in main.observation."""
    rows = con.execute("SELECT source_id, count(*) FROM main.observation GROUP BY source_id").fetchall()
    return {source_id: int(count) for source_id, count in rows}
