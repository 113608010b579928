"""The warehouse's own record of runs (audit.run, audit.batch) and of every landed answer (audit.landing).

The run log beside the warehouse (tasks/runlog.py) holds the attempts that never reached a load — killed, stopped,
failed before publishing; each load folds them in, so audit.run lists every attempt. Landed answers that no load
recorded (a run killed between landing and loading) are found by their sidecars and recorded too.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from tasks.land.landing import LandedResponse, landed_sidecars
from tasks.load.outcomes import SourceOutcome
from tasks.load.warehouse import rows_select
from tasks.runlog import read_attempts


def write_run(con: duckdb.DuckDBPyConnection, run_id: str, flow: str, parameters: dict, started_at: datetime,
              outcomes: list[SourceOutcome], attempt_id: str | None = None, published: bool | None = None,
              publish_inputs: str | None = None) -> None:
    failed = [o for o in outcomes if o.status in ("quarantined", "failed")]
    con.execute("DELETE FROM audit.batch WHERE run_id = ?", [run_id])
    _insert_batches(con, run_id, [asdict(o) for o in outcomes])
    con.execute(
        "INSERT OR REPLACE INTO audit.run BY NAME SELECT ? AS run_id, ? AS flow, ? AS parameters, ? AS started_at, "
        "? AS finished_at, ? AS status, ? AS calls, ? AS message, ? AS attempt_id, ? AS published, "
        "? AS publish_inputs",
        [run_id, flow, json.dumps(parameters, default=str), started_at, datetime.now(UTC),
         "failed" if failed else "completed", sum(o.calls for o in outcomes),
         "; ".join(f"{o.source_id}: {o.status}" for o in failed) or None, attempt_id, published, publish_inputs])


def _insert_batches(con: duckdb.DuckDBPyConnection, run_id: str, outcomes: list[dict]) -> None:
    if outcomes:
        select, columns = rows_select([{**o, "run_id": run_id} for o in outcomes])
        con.execute(f"INSERT OR REPLACE INTO audit.batch BY NAME {select}", columns)


def fold_run_log(con: duckdb.DuckDBPyConnection, log: Path, current: str | None = None) -> int:
    """Attempts the log knows and audit.run does not (failed early, stopped, killed): one row each, with the
    per-source outcomes the log kept. Returns how many were added."""
    known = {row[0] for row in con.execute("SELECT run_id FROM audit.run").fetchall()}
    added = 0
    for attempt in read_attempts(log):
        state = attempt.state()
        if attempt.key in known or attempt.key == current or attempt.attempt_id == current or state == "running":
            continue
        con.execute(
            "INSERT INTO audit.run BY NAME SELECT ? AS run_id, ? AS flow, ? AS parameters, ? AS started_at, "
            "? AS finished_at, ? AS status, ? AS calls, ? AS message, ? AS attempt_id, ? AS command",
            [attempt.key, attempt.flow or attempt.command, json.dumps(attempt.parameters, default=str),
             attempt.started_at, attempt.ended_at, state, attempt.calls,
             attempt.message or ("no end was recorded: the process was killed" if state == "interrupted" else None),
             attempt.attempt_id, attempt.command])
        _insert_batches(con, attempt.key, attempt.outcomes)
        added += 1
    return added


def record_landings(con: duckdb.DuckDBPyConnection, landed: list[LandedResponse]) -> None:
    if not landed:
        return
    by_path = {item.path: asdict(item) for item in landed}  # one row per landed file
    select, columns = rows_select(list(by_path.values()))
    con.execute(f"""
        INSERT OR IGNORE INTO audit.landing BY NAME
        SELECT run_id, source_id, "table" AS source_table, kind, url, method, request_body, status AS http_status,
               content_type, sha256, bytes, source_updated, fetched_at, path FROM ({select})
    """, columns)


def record_unaudited_landings(con: duckdb.DuckDBPyConnection, landing_dir: Path) -> int:
    """Answers in ``landing_dir`` that no audit row names: landed by runs that never reached their load (killed
    mid-fetch). Only their sidecars are read."""
    known = {row[0] for row in con.execute("SELECT path FROM audit.landing").fetchall()}
    missing = landed_sidecars(landing_dir, known)
    record_landings(con, missing)
    return len(missing)


def audited_landings(con: duckdb.DuckDBPyConnection, kind: str) -> list[LandedResponse]:
    """The landed answers of one kind the audit records and no housekeeping has pruned, as their sidecars say."""
    cursor = con.execute("""
        SELECT source_id, source_table AS "table", kind, url, method, request_body, http_status AS status,
               content_type, sha256, bytes, source_updated, fetched_at, run_id, path
        FROM audit.landing WHERE kind = ? AND pruned_at IS NULL""", [kind])
    names = [column[0] for column in cursor.description]
    return [LandedResponse(**dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def mark_landings_loaded(con: duckdb.DuckDBPyConnection, landed: list[LandedResponse], run_id: str) -> None:
    """Remember which data responses are in the warehouse: the next night skips a source whose are all there."""
    paths = [item.path for item in landed]
    if paths:
        con.execute("UPDATE audit.landing SET loaded_run_id = ? WHERE path IN (SELECT unnest(?))", [run_id, paths])
