"""`oms rebuild`: a new warehouse from the landing alone, for when the published file is lost or damaged.

Every data answer the landing holds (quarantined ones excepted: they are marked beside their body) is parsed and
validated as a run does, one run's answers together, and merged in the order they were fetched; so the rebuilt
core holds what the runs loaded. The audit history comes back from the run log (every attempt and its per-source
outcomes) and from the landing's sidecars. The damaged file is kept beside it, never deleted.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from tasks.context import build_context
from tasks.fetch.common.fetched import FetchedSource
from tasks.land.landing import LandedResponse, is_rejected, landed_sidecars
from tasks.load.audit import fold_run_log, mark_landings_loaded, record_landings
from tasks.load.merge import merge_observations
from tasks.load.warehouse import building_copy
from tasks.publish.exports import export_published
from tasks.publish.publish import publish, reference_rows
from tasks.runlog import runlog_path
from tasks.validate.source_check import check_source


@dataclass
class RebuildReport:
    batches: int = 0
    rows: int = 0
    rejected: int = 0
    unknown_sources: tuple[str, ...] = ()
    attempts: int = 0
    kept_aside: str | None = None


def _batches(landing: list[LandedResponse]) -> list[tuple[str, str, list[LandedResponse]]]:
    """(source id, run id, data answers) in the order they were fetched."""
    grouped: dict[tuple[str, str], list[LandedResponse]] = defaultdict(list)
    for landed in landing:
        if landed.kind == "data" and landed.status == 200 and not is_rejected(landed):
            grouped[(landed.source_id, landed.run_id)].append(landed)
    ordered = sorted(grouped.items(), key=lambda item: min(answer.fetched_at for answer in item[1]))
    return [(source_id, run_id, sorted(answers, key=lambda a: a.fetched_at)) for (source_id, run_id), answers
            in ordered]


def rebuild_warehouse() -> RebuildReport:
    ctx = build_context(run_id="rebuild-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S"))
    from tasks.config import load_sources  # read here: a rebuild uses today's catalogue

    sources = {source.id: source for source in load_sources()}
    report, unknown = RebuildReport(), set()
    published = ctx.warehouse
    with building_copy(published, ctx.settings.paths.writer_wait_seconds, fresh=True) as con:
        landed = landed_sidecars(ctx.landing_dir)
        record_landings(con, landed)  # a fresh warehouse: every landed answer
        for source_id, run_id, answers in _batches(landed):
            if source_id not in sources:
                unknown.add(source_id)
                continue
            fetched = FetchedSource(sources[source_id], updated=answers[-1].source_updated, data=answers)
            checked = check_source(ctx, fetched)
            if not checked.passed:
                report.rejected += 1
                continue
            report.rows += merge_observations(con, checked.batch, run_id)
            mark_landings_loaded(con, answers, run_id)
            report.batches += 1
        publish(con, reference_rows(ctx.regions, ctx.areas, ctx.indicators, ctx.sources))
        report.attempts = fold_run_log(con, runlog_path(published))
        if published.exists():  # the damaged file stays for a look, beside the new one
            aside = published.with_name(f"{published.name}.damaged-{datetime.now(UTC):%Y%m%dT%H%M%S}")
            os.replace(published, aside)
            report.kept_aside = str(aside)
    report.unknown_sources = tuple(sorted(unknown))
    export_published(published, ctx.exports_dir, ctx.run_id)
    return report
