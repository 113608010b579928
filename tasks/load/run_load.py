"""Load every batch that passed, publish, and write the run audit, in one building copy swapped in at the end."""

from __future__ import annotations

import logging
import os
from datetime import datetime

from tasks.context import RunContext
from tasks.land.housekeeping import prune_metadata, remove_stale_partials
from tasks.land.landing import LandedResponse
from tasks.load.audit import (
    audited_landings,
    fold_run_log,
    mark_landings_loaded,
    record_landings,
    record_unaudited_landings,
    write_run,
)
from tasks.load.merge import merge_observations
from tasks.load.outcomes import SourceOutcome, outcome_of_check, settle_after_merge
from tasks.load.warehouse import building_copy
from tasks.publish.exports import latest_export_run
from tasks.publish.outputs import write_outputs
from tasks.publish.publish import last_publish, publish, publish_inputs, published_rows, reference_rows
from tasks.runlog import runlog_path
from tasks.validate.source_check import CheckedSource

log = logging.getLogger(__name__)


def load_and_publish(ctx: RunContext, checked: list[CheckedSource], settled: list[SourceOutcome], flow: str,
                     parameters: dict, started_at: datetime, landed: list[LandedResponse] | None = None
                     ) -> list[SourceOutcome]:
    """The only place that writes the warehouse; everything here is swapped in at once or not at all. Then the
    outputs read from the published file (Parquet exports, the site: tasks/publish/outputs.py).

    ``settled`` are outcomes decided before load (failed, unchanged, skipped); ``landed`` their landings, which
    the audit records too. main.* is rebuilt and exported only when something can have changed it: a batch passed,
    or config/SQL/code differ from the last build (a no-change night keeps the last build and its export).
    """
    outcomes = [outcome_of_check(c) for c in checked] + settled
    by_id = {o.source_id: o for o in outcomes}
    reference = reference_rows(ctx.regions, ctx.areas, ctx.indicators, ctx.sources)
    inputs = publish_inputs(reference)
    with building_copy(ctx.warehouse, ctx.settings.paths.writer_wait_seconds) as con:
        # Reused answers too: those landed by an interrupted run were never recorded (INSERT OR IGNORE by path).
        record_landings(con, [item for c in checked for item in c.fetched.landed + c.fetched.data]
                        + (landed or []))
        for item in checked:
            if item.passed:
                outcome = by_id[item.fetched.source.id]
                outcome.rows_loaded = merge_observations(con, item.batch, ctx.run_id)
                mark_landings_loaded(con, item.fetched.data, ctx.run_id)
                settle_after_merge(outcome)
        last = last_publish(con)
        rebuild = any(item.passed for item in checked) or last is None or last[1] != inputs
        published = publish(con, reference) if rebuild else published_rows(con)
        if not rebuild:
            log.info("nothing new loaded and config, SQL and code as run %s built them: main.* kept", last[0])
        for outcome in outcomes:
            if outcome.status in ("loaded", "unchanged"):
                outcome.rows_published = published.get(outcome.source_id, 0)
        keep_the_landing_in_order(con, ctx, started_at)
        fold_run_log(con, runlog_path(ctx.warehouse), current=ctx.run_id)
        write_run(con, ctx.run_id, flow, parameters, started_at, outcomes, os.environ.get("OMS_ATTEMPT_ID"),
                  published=rebuild, publish_inputs=inputs)
    write_outputs(ctx, outcomes, exports_stale=rebuild or latest_export_run(ctx.exports_dir) != last[0])
    return outcomes


def keep_the_landing_in_order(con, ctx: RunContext, started_at: datetime) -> None:
    """Under the writer lock: leftovers of killed runs removed or recorded, old metadata answers pruned."""
    remove_stale_partials(ctx.landing_dir, older_than=started_at.timestamp())
    record_unaudited_landings(con, ctx.landing_dir)
    pruned = prune_metadata(audited_landings(con, "metadata"), ctx.settings.landing.metadata_retention_days)
    if pruned:
        con.execute("UPDATE audit.landing SET pruned_at = now() WHERE path IN (SELECT unnest(?))",
                    [[item.path for item in pruned]])
