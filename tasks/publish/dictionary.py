"""The data dictionary: Markdown generated from the warehouse's own catalogue and its comments.

The descriptions are written into the warehouse on every publish (from the YAML next to each object's SQL,
tasks/publish/documentation.py), so the same text reaches DuckDB users (`duckdb_columns().comment`),
docs/DATA_DICTIONARY.md and every export's dictionary.md. This module only reads: it works on any connection,
read-only included.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

PUBLISHED_SCHEMA = "main"

# The user's own tables and views in the attached file; DuckDB lists its system views (duckdb_tables, …) under
# `main` too, marked internal.
_OBJECTS_SQL = """
    SELECT table_name AS name, 'table' AS kind, comment FROM duckdb_tables()
    WHERE schema_name = $schema AND database_name = current_database() AND NOT internal AND NOT temporary
    UNION ALL
    SELECT view_name, 'view', comment FROM duckdb_views()
    WHERE schema_name = $schema AND database_name = current_database() AND NOT internal AND NOT temporary
    ORDER BY kind, name
"""
_COLUMNS_SQL = """
    SELECT table_name, column_name, data_type, comment FROM duckdb_columns()
    WHERE schema_name = $schema AND database_name = current_database() AND NOT internal
    ORDER BY table_name, column_index
"""

# The catalogue section shows the columns an analyst looks up an indicator by; the rest is in the table section.
_CATALOGUE_COLUMN_PREFIXES = ("indicator_id", "id", "name", "unit", "focus_area", "source")


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    comment: str | None


@dataclass(frozen=True)
class PublishedObject:
    """A table or view of the published schema, with its description and columns."""

    name: str
    kind: str  # table | view
    comment: str | None
    columns: tuple[Column, ...]


def published_objects(con: duckdb.DuckDBPyConnection, schema: str = PUBLISHED_SCHEMA) -> list[PublishedObject]:
    """Every table and view of ``schema`` (tables first, then views, by name), discovered, never hard-coded."""
    columns: dict[str, list[Column]] = {}
    for table, name, data_type, comment in con.execute(_COLUMNS_SQL, {"schema": schema}).fetchall():
        columns.setdefault(table, []).append(Column(name, data_type, comment))
    return [PublishedObject(name, kind, comment, tuple(columns.get(name, ())))
            for name, kind, comment in con.execute(_OBJECTS_SQL, {"schema": schema}).fetchall()]


def _described(comment: str | None) -> bool:
    return bool(comment and comment.strip())


def undescribed_objects(con: duckdb.DuckDBPyConnection, schema: str = PUBLISHED_SCHEMA) -> list[str]:
    """Every table, view or column of ``schema`` without a non-empty comment, e.g. ``main.observation.value``.

    Empty means the dictionary is complete; call it from any test that builds a full warehouse.
    """
    missing: list[str] = []
    for obj in published_objects(con, schema):
        if not _described(obj.comment):
            missing.append(f"{schema}.{obj.name} ({obj.kind})")
        missing.extend(f"{schema}.{obj.name}.{column.name} (column)"
                       for column in obj.columns if not _described(column.comment))
    return missing


def _cell(text: object) -> str:
    """One Markdown table cell: a pipe or newline in a comment would break the table."""
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def _table_rows(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> int:
    return int(con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0])


def _object_heading(con: duckdb.DuckDBPyConnection, schema: str, obj: PublishedObject) -> str:
    # Rows only for tables: counting a view runs its query, and its size follows from its table anyway.
    size = f", {_table_rows(con, schema, obj.name):,} rows" if obj.kind == "table" else ""
    return f"## {obj.name}\n\n*{obj.kind}{size}*"


def _object_section(con: duckdb.DuckDBPyConnection, schema: str, obj: PublishedObject) -> list[str]:
    lines = [_object_heading(con, schema, obj), "", obj.comment or "*(no description)*", "",
             "| column | type | description |", "|---|---|---|"]
    lines += [f"| `{column.name}` | {_cell(column.data_type)} | {_cell(column.comment)} |"
              for column in obj.columns]
    return [*lines, ""]


def _contents(objects: list[PublishedObject]) -> list[str]:
    lines = ["| name | kind | description |", "|---|---|---|"]
    lines += [f"| [{obj.name}](#{obj.name}) | {obj.kind} | {_cell(obj.comment)} |" for obj in objects]
    return [*lines, ""]


def _catalogue_columns(indicator: PublishedObject) -> list[str]:
    chosen = [c.name for c in indicator.columns if c.name.startswith(_CATALOGUE_COLUMN_PREFIXES)]
    # Unexpected column names: show everything rather than an empty table.
    return chosen or [c.name for c in indicator.columns]


def _indicator_catalogue(con: duckdb.DuckDBPyConnection, schema: str, objects: list[PublishedObject]) -> list[str]:
    """The indicator catalogue from main.indicator, whatever its columns are; a note while it is not published."""
    indicator = next((obj for obj in objects if obj.name == "indicator"), None)
    if indicator is None:
        return ["## Indicator catalogue", "", f"No `{schema}.indicator` table is published yet.", ""]
    names = _catalogue_columns(indicator)
    quoted = ", ".join(f'"{name}"' for name in names)
    rows = con.execute(f'SELECT {quoted} FROM "{schema}"."indicator" ORDER BY ALL').fetchall()
    lines = ["## Indicator catalogue", "", f"Every indicator in `{schema}.indicator` ({len(rows)}).", "",
             "| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return [*lines, ""]


def render_dictionary(con: duckdb.DuckDBPyConnection, schema: str = PUBLISHED_SCHEMA) -> str:
    """The whole data dictionary as Markdown: contents, one section per table and view, indicator catalogue."""
    objects = published_objects(con, schema)
    lines = [
        "# Data dictionary",
        "",
        f"The published tables and views of the oms-data warehouse (schema `{schema}`). Generated from the "
        "warehouse by `oms dictionary`: edit the descriptions in the `.yml` next to each object's SQL under "
        "`warehouse/sql/` (shared column texts: `warehouse/sql/columns.yml`), not here. In DuckDB the same text is "
        "in `duckdb_columns().comment`.",
        "",
        *_contents(objects),
    ]
    for obj in objects:
        lines += _object_section(con, schema, obj)
    lines += _indicator_catalogue(con, schema, objects)
    return "\n".join(lines).rstrip("\n") + "\n"
