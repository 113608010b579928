"""Column descriptions and simple checks, kept in YAML next to the SQL that makes each object (like dbt's
schema.yml), written into the warehouse as comments on every publish.

Each ``warehouse/sql/**/NN_name.yml`` describes the objects its ``NN_name.sql`` creates: a description, every
column (``~`` takes the shared text in ``warehouse/sql/columns.yml``, written once for all objects), and checks.
A column that exists and is not described, or is described and does not exist, stops the publish: the build is
discarded and the published warehouse stays as it was. So does a failed check.

Checks: ``unique`` (columns that form a key), ``not_null``, ``accepted_values`` ({column: [values]}),
``null_reason_when_null`` (every NULL in that column has a null_reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import yaml

from tasks.config import PROJECT_ROOT

SQL_DIR = PROJECT_ROOT / "warehouse" / "sql"
SHARED = SQL_DIR / "columns.yml"


class DocumentationError(RuntimeError):
    """A warehouse object and its description disagree, or a check failed."""


@dataclass(frozen=True)
class ObjectDoc:
    name: str  # schema.object
    description: str
    columns: dict[str, str]
    checks: dict = field(default_factory=dict)
    source: Path | None = None


@cache
def load_docs(sql_dir: Path = SQL_DIR) -> dict[str, ObjectDoc]:
    shared = yaml.safe_load(SHARED.read_text(encoding="utf-8")) if SHARED.exists() else {}
    docs: dict[str, ObjectDoc] = {}
    for path in sorted(sql_dir.rglob("[0-9]*.yml")):
        for name, spec in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            columns = {}
            for column, text in (spec.get("columns") or {}).items():
                if text is None and column not in shared:
                    raise DocumentationError(f"{path}: {name}.{column} takes the shared text, and "
                                             f"{SHARED.name} has none for {column!r}")
                columns[column] = " ".join(str(text if text is not None else shared[column]).split())
            docs[name] = ObjectDoc(name, " ".join(str(spec["description"]).split()), columns,
                                   spec.get("checks") or {}, path)
    return docs


def _objects(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, list[str]]]:
    """schema.name -> (TABLE or VIEW, columns in order), for the schemas the docs describe."""
    rows = con.execute("""
        SELECT schema_name || '.' || table_name, column_name, column_index FROM duckdb_columns()
        WHERE database_name = current_database() AND schema_name IN ('main', 'audit', 'core')
        ORDER BY 1, 3
    """).fetchall()
    views = {f"{s}.{n}" for s, n in con.execute(
        "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    objects: dict[str, tuple[str, list[str]]] = {}
    for name, column, _ in rows:
        objects.setdefault(name, ("VIEW" if name in views else "TABLE", []))[1].append(column)
    return objects


def document_warehouse(con: duckdb.DuckDBPyConnection, docs: dict[str, ObjectDoc] | None = None) -> None:
    """Comment every object and column from the docs; refuse a published object without them."""
    docs = load_docs() if docs is None else docs
    objects = _objects(con)
    for name, (kind, columns) in objects.items():
        doc = docs.get(name)
        if doc is None:
            raise DocumentationError(f"{name} is in the warehouse but has no description (a .yml next to its SQL)")
        undescribed = [c for c in columns if c not in doc.columns]
        stale = [c for c in doc.columns if c not in columns]
        if undescribed or stale:
            raise DocumentationError(f"{doc.source}: {name}: " + "; ".join(
                part for part in (f"columns without a description: {undescribed}" if undescribed else "",
                                  f"described columns that do not exist: {stale}" if stale else "") if part))
        con.execute(f"COMMENT ON {kind} {name} IS {_quoted(doc.description)}")
        for column in columns:
            con.execute(f'COMMENT ON COLUMN {name}."{column}" IS {_quoted(doc.columns[column])}')


def run_checks(con: duckdb.DuckDBPyConnection, docs: dict[str, ObjectDoc] | None = None) -> None:
    """The checks the docs declare, each a query that must find nothing."""
    for doc in (load_docs() if docs is None else docs).values():
        for sql, what in _check_queries(doc):
            found = con.execute(sql).fetchall()
            if found:
                raise DocumentationError(f"{doc.name}: {what}; e.g. {found[:3]} ({doc.source})")


def _check_queries(doc: ObjectDoc) -> list[tuple[str, str]]:
    checks, name = doc.checks, doc.name
    queries = []
    if checks.get("unique"):
        key = ", ".join(checks["unique"])
        queries.append((f"SELECT {key}, count(*) FROM {name} GROUP BY ALL HAVING count(*) > 1 LIMIT 3",
                        f"({key}) is not unique"))
    for column in checks.get("not_null", []):
        queries.append((f"SELECT * FROM {name} WHERE {column} IS NULL LIMIT 3", f"{column} is NULL"))
    for column, values in (checks.get("accepted_values") or {}).items():
        allowed = ", ".join(_quoted(str(v)) for v in values)
        queries.append((f"SELECT DISTINCT {column} FROM {name} WHERE {column} NOT IN ({allowed}) LIMIT 3",
                        f"{column} has values outside {values}"))
    if checks.get("null_reason_when_null"):
        column = checks["null_reason_when_null"]
        queries.append((f"SELECT * FROM {name} WHERE {column} IS NULL AND null_reason IS NULL LIMIT 3",
                        f"a NULL {column} without a null_reason"))
    return queries


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
