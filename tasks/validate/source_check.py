"""Parse the landed responses of one source into a tidy batch and decide: load it, or quarantine it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tasks.context import RunContext
from tasks.fetch.jsonstat import ResponseFormatError, parse_jsonstat_dataset
from tasks.fetch.source_batch import FetchedSource
from tasks.fetch.tidy import OBSERVATION_COLUMNS, Lineage, SchemaError, tidy_batch
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


def parse_batch(ctx: RunContext, fetched: FetchedSource) -> pd.DataFrame:
    def parsed(landed):
        dataset = parse_jsonstat_dataset(landed.body(), f"{fetched.source.table} response {landed.sha256[:12]}")
        updated = fetched.metadata.updated if fetched.metadata else dataset.updated
        return dataset, Lineage(updated, landed.fetched_at, landed.sha256)

    return tidy_batch((parsed(landed) for landed in fetched.data), fetched.source, ctx.code_maps)


def check_source(ctx: RunContext, fetched: FetchedSource) -> CheckedSource:
    source = fetched.source
    landed_paths = [item.path for item in fetched.landed]
    try:
        batch = parse_batch(ctx, fetched)
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
