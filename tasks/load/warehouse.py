"""The one writer of the warehouse: build a new version beside the published file, then swap it in atomically.

DuckDB lets a writer lock out every reader of the same file, with no waiting (shared/STACK-NOTES.md). So a run
never opens the published file for writing: it copies it to ``<name>.building``, writes there, CHECKPOINTs,
closes and ``os.replace``s it over the published file. Analysts connected read-only keep their snapshot and see
either the old or the new state, never a half-published one; a run that fails leaves the published file as it
was. An exclusive lock file keeps a second writer (a backfill started during the nightly run) out.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from tasks.config import PROJECT_ROOT
from tasks.fetch.common.fetched import AlreadyLoaded

SQL_DIR = PROJECT_ROOT / "warehouse" / "sql"


class WarehouseBusy(RuntimeError):
    """Another run is writing the warehouse."""


class WarehouseUnreadable(RuntimeError):
    """The published warehouse cannot be read: its file is damaged, or another process holds it read-write."""


_DAMAGE = ("not a valid DuckDB database", "Could not read enough bytes", "Corrupt database file", "checksum")


def unreadable(published: Path, err: duckdb.Error) -> WarehouseUnreadable | None:
    """The one line an operator needs when the published file cannot be used; None for other database errors."""
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    if "Could not set lock" in text or "Conflicting lock" in text:
        return WarehouseUnreadable(
            f"{published} is held read-write by another process ({text[:160]}): analysts open it read-only "
            "(duckdb -readonly, read_only=True); close that connection and run again")
    if any(sign in text for sign in _DAMAGE):
        return WarehouseUnreadable(
            f"{published} is damaged ({text[:160]}): rebuild it from the landed answers with `oms rebuild` (the "
            "audit history comes back from the run log), or restore a copy and read data/exports/latest meanwhile")
    return None


@contextmanager
def _readable(published: Path) -> Iterator[None]:
    try:
        yield
    except duckdb.Error as err:
        raise (unreadable(published, err) or err) from err


def schema_statements() -> list[Path]:
    """The core schema files (numbered, run in order); publish files live in sql/publish/."""
    return sorted(SQL_DIR.glob("[0-9]*.sql"))


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: object) -> Iterator[None]:
    """``frame`` as the view ``name`` for the statements inside the block. No ``finally``: after a failed statement
    the build's transaction is aborted and dropping the view would raise too, hiding the error (the connection is
    discarded with its view)."""
    con.register(name, frame)
    yield
    con.unregister(name)


def rows_select(rows: list[dict]) -> tuple[str, list[list]]:
    """A SELECT of ``rows`` (dicts with the same keys) and its parameters: one list per column, unnested side by
    side by DuckDB. For the small tables of the audit and the reference model, which every run writes: no DataFrame,
    so a night with nothing to load never imports pandas (~0.8 s of a process)."""
    columns = list(rows[0])
    select = ", ".join(f'unnest(${position}) AS "{column}"' for position, column in enumerate(columns, 1))
    return f"SELECT {select}", [[row[column] for row in rows] for column in columns]


def apply_sql_files(con: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
    for path in files:
        con.execute(path.read_text(encoding="utf-8"))


@contextmanager
def writer_lock(published: Path, wait_seconds: float = 0) -> Iterator[None]:
    """One writer at a time. A second run (a backfill started during the nightly, a second worker) waits its turn
    for up to ``wait_seconds``, then gives up with WarehouseBusy; the flock is released if the holder dies."""
    published.parent.mkdir(parents=True, exist_ok=True)
    lock_path = published.with_name(published.name + ".lock")
    deadline = time.monotonic() + wait_seconds
    with lock_path.open("w") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as err:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(f"another run is writing {published} (lock {lock_path}); waited "
                                        f"{wait_seconds:g} s, try again later") from err
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def building_copy(published: Path, wait_seconds: float = 0, fresh: bool = False
                  ) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to a copy of the published warehouse (``fresh``: an empty one); swapped in only on
    success."""
    building = published.with_name(published.name + ".building")
    with writer_lock(published, wait_seconds):
        for leftover in (building, building.with_name(building.name + ".wal")):
            leftover.unlink(missing_ok=True)  # from a run that crashed: never trusted
        try:
            if published.exists() and not fresh:
                shutil.copyfile(published, building)
            with _readable(published):
                con = duckdb.connect(str(building))
        except BaseException:
            building.unlink(missing_ok=True)  # a copy that failed half-way (disk full) is never left behind
            raise
        try:
            with _readable(published):
                # One transaction for the whole build: the copy is private until swapped in, so a commit per
                # statement (a WAL write and sync each, ~2 ms; a publish runs ~250 statements) buys nothing.
                con.execute("BEGIN TRANSACTION")
                apply_sql_files(con, schema_statements())
                yield con
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
        except BaseException:
            con.close()
            building.unlink(missing_ok=True)
            raise
        con.close()
        os.replace(building, published)


def connect_read_only(published: Path) -> duckdb.DuckDBPyConnection:
    with _readable(published):
        return duckdb.connect(str(published), read_only=True)


def already_loaded(published: Path) -> AlreadyLoaded:
    """What the fetches of a run need to know of the published warehouse, read once before they start."""
    if not published.exists():
        return AlreadyLoaded()
    with _readable(published), connect_read_only(published) as con:
        return AlreadyLoaded(landing_audit(con), loaded_versions(con))


def landing_audit(con: duckdb.DuckDBPyConnection) -> dict[str, bool]:
    """Path of every data response a finished run recorded, and whether it was loaded (False: it was rejected).

    A landing missing here comes from a run that never reached the load (interrupted): it may be reused as is.
    """
    if not _has_column(con, "audit", "landing", "loaded_run_id"):
        return {}  # a warehouse from before this column: its landings count as never audited (loaded again)
    rows = con.execute("SELECT path, bool_or(loaded_run_id IS NOT NULL) FROM audit.landing "
                       "WHERE kind = 'data' GROUP BY path").fetchall()
    return dict(rows)


def _has_column(con: duckdb.DuckDBPyConnection, schema: str, table: str, column: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
                            "AND column_name = ?", [schema, table, column]).fetchone()[0])


def loaded_versions(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str | None]]:
    """Per source, the (version, periods) of its last batch that is in the warehouse (loaded or unchanged)."""
    # a warehouse from before the version column: its stamps stand for versions (the next load adds it)
    version = "coalesce(b.version, b.source_updated)" if _has_column(con, "audit", "batch", "version") \
        else "b.source_updated"
    rows = con.execute(f"""
        SELECT b.source_id, {version}, b.periods
        FROM audit.batch b JOIN audit.run r USING (run_id)
        WHERE b.status IN ('loaded', 'unchanged')
        QUALIFY row_number() OVER (PARTITION BY b.source_id ORDER BY r.started_at DESC) = 1
    """).fetchall()
    return {source_id: (updated, periods) for source_id, updated, periods in rows}
