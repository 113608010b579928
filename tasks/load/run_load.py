"""Load every batch that passed, publish, and write the run audit, in one building copy swapped in at the end."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import duckdb
import pandas as pd

from tasks.context import RunContext
from tasks.fetch.fetched import FetchedSource
from tasks.land.landing import LandedResponse
from tasks.load.merge import mark_landings_loaded, merge_observations, record_landings
from tasks.load.warehouse import building_copy
from tasks.publish.exports import export_published
from tasks.publish.publish import publish
from tasks.validate.source_check import CheckedSource


@dataclass
class SourceOutcome:
    """One line of the run report: what happened to one source."""

    source_id: str
    source_table: str
    periods: str | None
    source_updated: str | None
    calls: int
    rows_fetched: int
    rows_rejected: int
    rows_loaded: int
    rows_published: int | None
    validation: str
    status: str
    message: str | None
    duration_s: float


def _fetched_outcome(fetched: FetchedSource, **result) -> SourceOutcome:
    """The outcome line of a fetched source: what its fetch reports, plus how the run ended for it."""
    return SourceOutcome(
        source_id=fetched.source.id, source_table=fetched.source.table,
        periods="..".join(fetched.periods) if fetched.periods else None, source_updated=fetched.updated,
        calls=fetched.calls, rows_loaded=0, rows_published=None, duration_s=round(fetched.seconds, 3), **result)


def outcome_of_check(checked: CheckedSource) -> SourceOutcome:
    if checked.passed:
        return _fetched_outcome(checked.fetched, rows_fetched=checked.rows, rows_rejected=0, validation="passed",
                                status="loaded", message=None)
    report = checked.quarantine
    return _fetched_outcome(checked.fetched, rows_fetched=checked.rows, rows_rejected=checked.rows,
                            validation="failed" if checked.verdict else "not run", status="quarantined",
                            message=f"{report.reason}: {report.path}" if report else None)


def outcome_of_error(source_id: str, table: str, error: BaseException, calls: int = 0) -> SourceOutcome:
    return SourceOutcome(source_id, table, None, None, calls, 0, 0, 0, None, "not run", "failed",
                         f"{type(error).__name__}: {error}", 0.0)


def outcome_without_load(fetched: FetchedSource) -> SourceOutcome:
    """A source with nothing to load: its data is already in the warehouse, or no period is in the range."""
    if fetched.nothing_planned:
        status, message = "skipped", "no period of the table is in the requested range"
    else:
        status, message = "unchanged", f"same version ({fetched.updated}) and periods as loaded"
    return _fetched_outcome(fetched, rows_fetched=0, rows_rejected=0, validation="not run", status=status,
                            message=message)


def _write_audit(con: duckdb.DuckDBPyConnection, ctx: RunContext, flow: str, parameters: dict,
                 started_at: datetime, outcomes: list[SourceOutcome]) -> None:
    failed = [o for o in outcomes if o.status in ("quarantined", "failed")]
    con.execute("DELETE FROM audit.batch WHERE run_id = ?", [ctx.run_id])
    frame = pd.DataFrame([{**asdict(o), "run_id": ctx.run_id} for o in outcomes])
    if not frame.empty:
        con.register("outcomes", frame)
        try:
            con.execute("INSERT INTO audit.batch BY NAME SELECT * FROM outcomes")
        finally:
            con.unregister("outcomes")
    con.execute(
        "INSERT OR REPLACE INTO audit.run VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [ctx.run_id, flow, json.dumps(parameters, default=str), started_at, datetime.now(UTC),
         "failed" if failed else "completed", sum(o.calls for o in outcomes),
         "; ".join(f"{o.source_id}: {o.status}" for o in failed) or None],
    )


def load_and_publish(ctx: RunContext, checked: list[CheckedSource], settled: list[SourceOutcome], flow: str,
                     parameters: dict, started_at: datetime, landed: list[LandedResponse] | None = None
                     ) -> list[SourceOutcome]:
    """The only place that writes the warehouse; everything here is swapped in at once or not at all.

    ``settled`` are outcomes decided before load (failed, unchanged, skipped); ``landed`` their landings, which
    the audit records too.
    """
    outcomes = [outcome_of_check(c) for c in checked] + settled
    by_id = {o.source_id: o for o in outcomes}
    with building_copy(ctx.warehouse, ctx.settings.paths.writer_wait_seconds) as con:
        # Reused answers too: those landed by an interrupted run were never recorded (INSERT OR IGNORE by path).
        record_landings(con, [item for c in checked for item in c.fetched.landed + c.fetched.data]
                        + (landed or []))
        for item in checked:
            if item.passed:
                by_id[item.fetched.source.id].rows_loaded = merge_observations(con, item.batch, ctx.run_id)
                mark_landings_loaded(con, item.fetched.data, ctx.run_id)
        published = publish(con, ctx.regions)
        for outcome in outcomes:
            if outcome.status in ("loaded", "unchanged"):
                outcome.rows_published = published.get(outcome.source_id, 0)
        _write_audit(con, ctx, flow, parameters, started_at, outcomes)
    # After the swap: a failed export is reported as one more failed outcome (the run exits 1, "the rest was
    # published"), never raised, since the warehouse is already published. audit.batch does not record it.
    export = export_published(ctx.warehouse, ctx.exports_dir, ctx.run_id)
    if export.error is not None:
        outcomes.append(outcome_of_error("exports", str(ctx.exports_dir), export.error))
    return outcomes
