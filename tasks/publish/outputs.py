"""What is written from the published warehouse after the swap: the Parquet exports and the monitoring site.

Never raised: the warehouse is already published, so a failure becomes one more failed outcome (the run exits 1,
"the rest was published"); audit.batch does not record it.
"""

from __future__ import annotations

from tasks.context import RunContext
from tasks.load.outcomes import SourceOutcome, outcome_of_error
from tasks.publish.exports import export_published
from tasks.publish.site import build_site


def write_outputs(ctx: RunContext, outcomes: list[SourceOutcome], exports_stale: bool) -> None:
    """``exports_stale``: main.* was rebuilt, or the last export is not of the build now published."""
    if exports_stale:
        export = export_published(ctx.warehouse, ctx.exports_dir, ctx.run_id)
        if export.error is not None:
            outcomes.append(outcome_of_error("exports", str(ctx.exports_dir), export.error))
    # The site shows the last run's status per source, so it is written every run (charts only when data changed).
    site = build_site(ctx.warehouse, ctx.site_dir, ctx.run_id, ctx.quarantine_dir)
    if site.error is not None:
        outcomes.append(outcome_of_error("site", str(ctx.site_dir), site.error))
