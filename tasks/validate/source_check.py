"""Parse the landed responses of one source into a tidy batch and decide: load it, or quarantine it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tasks.context import RunContext
from tasks.fetch.common.errors import ResponseFormatError
from tasks.fetch.common.fetched import FetchedSource
from tasks.fetch.common.observations import OBSERVATION_COLUMNS, SchemaError
from tasks.land.landing import mark_rejected
from tasks.lazy import LazyModule
from tasks.validate.batch import BatchVerdict, validate_batch
from tasks.validate.decode import decode_landed
from tasks.validate.quarantine import QuarantineReport, write_quarantine_report
from tasks.validate.suites import update_data_docs

pd = LazyModule("pandas")

log = logging.getLogger(__name__)


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
    """Never raises: whatever an answer does to the parser or the suites costs this source alone (quarantined),
    never the run."""
    try:
        batch = decode_landed(ctx, fetched)
    except (ResponseFormatError, SchemaError) as err:
        return _quarantined(ctx, fetched, "response could not be parsed", [str(err)])
    except Exception as err:  # noqa: BLE001 - a defect a hostile answer exposes must not stop the other sources
        return _quarantined(ctx, fetched, "response could not be parsed",
                            [f"unexpected {type(err).__name__} while decoding: {err}"[:500]])
    try:
        verdict = validate_batch(batch, fetched.source, ctx.regions)
    except Exception as err:  # noqa: BLE001
        return _quarantined(ctx, fetched, "validation could not run",
                            [f"{type(err).__name__}: {err}"[:500]], batch)
    if verdict.passed:
        return CheckedSource(fetched, batch, True, verdict)
    return _quarantined(ctx, fetched, "failed its expectation suite", verdict.failure_lines(), batch, verdict)


def _quarantined(ctx: RunContext, fetched: FetchedSource, reason: str, details: list[str],
                 batch: pd.DataFrame | None = None, verdict: BatchVerdict | None = None) -> CheckedSource:
    """Write the report and mark the data answers rejected, so no later run reuses them as good."""
    source = fetched.source
    report = write_quarantine_report(ctx.quarantine_dir, ctx.run_id, source.id, source.table, reason, details,
                                     [item.path for item in fetched.landed], batch)
    for landed in fetched.data:
        mark_rejected(landed, ctx.run_id, reason)
    empty = pd.DataFrame(columns=OBSERVATION_COLUMNS)
    return CheckedSource(fetched, batch if batch is not None else empty, False, verdict, report)


def write_data_docs(ctx: RunContext, checked: list[CheckedSource]) -> None:
    """GX's Data Docs for this run's validations, once per run; a failure costs the docs, never the run."""
    results = [o.gx_result for c in checked if c.verdict for o in c.verdict.outcomes if o.gx_result is not None]
    try:
        update_data_docs(ctx.settings.paths.data_dir, results, ctx.settings.validation.data_docs_results)
    except Exception as err:  # noqa: BLE001 - the docs are a report about the run, not part of it
        log.warning("Great Expectations Data Docs not updated: %s: %s", type(err).__name__, err)
