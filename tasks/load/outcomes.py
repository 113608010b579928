"""One line of the run report per source: what its fetch, validation and load did. Written to audit.batch, the run
log, the Prefect artifact and the terminal alike."""

from __future__ import annotations

from dataclasses import dataclass

from tasks.fetch.common.fetched import FetchedSource
from tasks.validate.source_check import CheckedSource


@dataclass
class SourceOutcome:
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
    status: str  # loaded | unchanged | skipped | quarantined | failed
    message: str | None
    duration_s: float
    version: str | None = None  # what identifies the loaded data; an unchanged version is not fetched again


def _fetched_outcome(fetched: FetchedSource, **result) -> SourceOutcome:
    """The outcome line of a fetched source: what its fetch reports, plus how the run ended for it."""
    return SourceOutcome(
        source_id=fetched.source.id, source_table=fetched.source.table,
        periods="..".join(fetched.periods) if fetched.periods else None, source_updated=fetched.updated,
        calls=fetched.calls, rows_loaded=0, rows_published=None, duration_s=round(fetched.seconds, 3),
        version=fetched.version, **result)


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


def settle_after_merge(outcome: SourceOutcome) -> None:
    """A batch that passed but changed no row (a backfill over years already loaded) is 'unchanged', not
    'loaded' with loaded=0."""
    if outcome.status == "loaded" and outcome.rows_loaded == 0:
        outcome.status, outcome.message = "unchanged", "fetched again: every value as already loaded"
