"""Parse the landed responses of one source into a tidy batch and decide: load it, or quarantine it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tasks.context import RunContext
from tasks.fetch.fetched import FetchedSource
from tasks.fetch.jsonstat import ResponseFormatError
from tasks.fetch.source_batch import parse_fetched
from tasks.fetch.tidy import OBSERVATION_COLUMNS, SchemaError
from tasks.validate.batch import BatchVerdict, validate_batch
from tasks.validate.quarantine import QuarantineReport, write_quarantine_report


@dataclass
class CheckedSource:
    fetched: FetchedSource
    batch: pd.DataFrame
    passed: bool
    verdict: BatchVerdict | None = None
    quarantine: QuarantineReport | None = None

    @property
    def rows(self) -> int:
        return len(self.batch)


def check_source(ctx: RunContext, fetched: FetchedSource) -> CheckedSource:
    source = fetched.source
    landed_paths = [item.path for item in fetched.landed]
    try:
        batch = parse_fetched(ctx, fetched)
    except (ResponseFormatError, SchemaError) as err:
        report = write_quarantine_report(ctx.quarantine_dir, ctx.run_id, source.id, source.table,
                                         "response could not be parsed", [str(err)], landed_paths)
        return CheckedSource(fetched, pd.DataFrame(columns=OBSERVATION_COLUMNS), False, quarantine=report)
    verdict = validate_batch(batch, source, ctx.regions)
    if verdict.passed:
        return CheckedSource(fetched, batch, True, verdict)
    report = write_quarantine_report(ctx.quarantine_dir, ctx.run_id, source.id, source.table,
                                     "failed its expectation suite", verdict.failure_lines(), landed_paths, batch)
    return CheckedSource(fetched, batch, False, verdict, report)
