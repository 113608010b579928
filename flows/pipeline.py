"""The Prefect flows: nightly run and backfill. They only compose the stages in tasks/.

plan (every source's metadata, one task) → fetch + land (per source with calls left) → validate (per source;
failures quarantined) → load + publish (once, swapped in atomically) → run report (log lines and a Prefect table
artifact).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.states import Failed, State
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows.attempts import calls_stop_on_sigterm, emulators_if_replay, logged_attempt
from tasks.catalogue import SourceConfig
from tasks.config import load_settings, load_sources, select_sources
from tasks.context import RunContext, build_context
from tasks.fetch.common.deadline import RunStopping
from tasks.fetch.common.errors import ResponseFormatError, SelectionError
from tasks.fetch.common.fetched import AlreadyLoaded, FetchedSource
from tasks.fetch.common.http import SourceHTTPError, SourceUnavailable
from tasks.fetch.source_batch import fetch_pending, fetch_source, plan_source
from tasks.land.landing import LandedResponse
from tasks.load.outcomes import SourceOutcome, outcome_of_error, outcome_without_load
from tasks.load.run_load import load_and_publish
from tasks.load.warehouse import WarehouseBusy, WarehouseUnreadable, already_loaded
from tasks.publish.site import site_index
from tasks.validate.source_check import CheckedSource, check_source, write_data_docs

# A flow takes only parameters Prefect can store, so the CLI's progress bar reaches the run through this, set for
# the duration of one call (reporting_progress); called with (source_id, sources_in_run) as each source is done.
_progress: ContextVar[Callable[[str, int], None] | None] = ContextVar("oms_progress", default=None)


@contextmanager
def reporting_progress(callback: Callable[[str, int], None]) -> Iterator[None]:
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)


class RunFailed(RuntimeError):
    """Some sources were quarantined or failed; the others were published."""


@dataclass
class RunSummary:
    run_id: str
    outcomes: list[SourceOutcome]
    seconds: float

    @property
    def failed(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.status in ("quarantined", "failed")]

    @property
    def calls(self) -> int:
        return sum(o.calls for o in self.outcomes)


PARALLEL_FETCHES = 4  # sources fetched side by side

# Failures with a clear message of their own: shown as one line in Prefect, not as a traceback.
UNREACHABLE = (SourceUnavailable, WarehouseBusy, WarehouseUnreadable)  # the whole run cannot go on
EXPECTED_SOURCE_ERRORS = (SourceHTTPError, SourceUnavailable, SelectionError, ResponseFormatError, RunStopping)


@task(name="plan fetches", cache_policy=NO_CACHE)
def plan_task(ctx: RunContext, sources: list[SourceConfig], loaded: AlreadyLoaded) -> list[FetchedSource | Exception]:
    """Every source's metadata side by side, and what is left to fetch. One task for all sources, not one each: on a
    night with nothing new this is the whole fetch stage, and a Prefect task run cost more than a metadata call."""
    logger = get_run_logger()

    def planned(source: SourceConfig) -> FetchedSource | Exception:
        try:
            return plan_source(ctx, source, loaded)
        except EXPECTED_SOURCE_ERRORS as err:
            return err
        except Exception as err:  # one failing source must not stop the others; a bug keeps its traceback
            logger.exception("%s: planning its fetch failed", source.id)
            return err

    with ThreadPoolExecutor(max_workers=PARALLEL_FETCHES) as pool:
        return list(pool.map(planned, sources))


@task(name="fetch and land", task_run_name="fetch {planned.source.id}", cache_policy=NO_CACHE)
def fetch_task(ctx: RunContext, planned: FetchedSource) -> FetchedSource | State:
    try:
        return fetch_pending(ctx, planned)
    except EXPECTED_SOURCE_ERRORS as err:
        return Failed(message=f"{planned.source.id}: {type(err).__name__}: {err}", data=err)


@task(name="validate", task_run_name="validate {fetched.source.id}", cache_policy=NO_CACHE)
def validate_task(ctx: RunContext, fetched: FetchedSource) -> CheckedSource:
    return check_source(ctx, fetched)


@task(name="load and publish", cache_policy=NO_CACHE)
def load_publish_task(ctx: RunContext, checked: list[CheckedSource], settled: list[SourceOutcome], flow_name: str,
                      parameters: dict, started_at: datetime, landed: list[LandedResponse]) -> list[SourceOutcome]:
    return load_and_publish(ctx, checked, settled, flow_name, parameters, started_at, landed)


def _quoted(*arguments: object) -> list[quote]:
    """Task arguments as Prefect should pass them: as they are. Unquoted, Prefect walks every object in them looking
    for futures, twice per task run (33 ms a walk of the run context alone); none of ours holds one."""
    return [quote(argument) for argument in arguments]


def fetch_one_by_one(ctx: RunContext, sources: list[SourceConfig],
                     loaded: AlreadyLoaded | None = None) -> list[FetchedSource | Exception]:
    results: list[FetchedSource | Exception] = []
    for source in sources:
        try:
            results.append(fetch_source(ctx, source, loaded))
        except Exception as err:  # one failing source must not stop the others
            results.append(err)
    return results


def fetch_in_parallel(ctx: RunContext, sources: list[SourceConfig],
                      loaded: AlreadyLoaded) -> list[FetchedSource | Exception]:
    """Plan every source (one task), then a Prefect task per source with calls left, on the flow's thread pool; SCB's
    rate limit is shared through ctx's one HTTP limiter."""
    results: list[FetchedSource | Exception] = plan_task(*_quoted(ctx, sources, loaded))
    futures = {position: fetch_task.submit(*_quoted(ctx, planned)) for position, planned in enumerate(results)
               if isinstance(planned, FetchedSource) and planned.pending}
    for position, future in futures.items():
        future.wait()
        state = future.state
        results[position] = future.result() if state.is_completed() else state.result(raise_on_failure=False)
    return results


def run_stages(ctx: RunContext, sources: list[SourceConfig], flow_name: str, parameters: dict,
               fetch_all=fetch_one_by_one, validate=check_source, load=load_and_publish,
               progress: Callable[[str], None] | None = None) -> RunSummary:
    """The pipeline for a set of sources; the flows pass Prefect tasks, benchmarks the plain functions.
    ``progress`` is called with each source's id as it is done."""
    started, clock = datetime.now(UTC), time.monotonic()
    loaded = already_loaded(ctx.warehouse)
    checked: list[CheckedSource] = []
    settled: list[SourceOutcome] = []  # decided without validation: failed, unchanged, skipped
    landed: list[LandedResponse] = []
    for source, fetched in zip(sources, fetch_all(ctx, sources, loaded), strict=True):
        if isinstance(fetched, BaseException):
            settled.append(outcome_of_error(source.id, source.table, fetched))
        elif fetched.unchanged or fetched.nothing_planned:
            settled.append(outcome_without_load(fetched))
            landed.extend(fetched.landed)
        else:
            checked.append(validate(ctx, fetched))
        if progress:
            progress(source.id)
    write_data_docs(ctx, checked)
    outcomes = load(ctx, checked, settled, flow_name, parameters, started, landed)
    return RunSummary(ctx.run_id, outcomes, time.monotonic() - clock)


def _line(o: SourceOutcome) -> str:
    """One line per source for the run's log: what was fetched, rejected, loaded and published."""
    published = "-" if o.rows_published is None else o.rows_published
    return (f"{o.source_id:<40} {o.status:<11} calls={o.calls} fetched={o.rows_fetched} rejected={o.rows_rejected} "
            f"loaded={o.rows_loaded} published={published} periods={o.periods or '-'}"
            + (f" — {o.message}" if o.message else ""))


def _report(summary: RunSummary, site: Path) -> None:
    logger = get_run_logger()
    for o in summary.outcomes:
        logger.info("%s", _line(o))
    logger.info("site: %s", site.absolute().as_uri())
    create_markdown_artifact(key="site", markdown=f"[Lägesbild ÖMS 2050]({site.absolute().as_uri()}) — the "
                             "monitoring site this run wrote (charts, source status, quarantine reports, Data Docs)",
                             description=f"oms-data run {summary.run_id}: the site's start page")
    create_table_artifact(key="run-report", table=[asdict(o) for o in summary.outcomes],
                          description=f"oms-data run {summary.run_id}: per-source outcome")
    for o in summary.failed:
        create_markdown_artifact(key="quarantine", markdown=f"**{o.source_id}** {o.status}: {o.message}",
                                 description=f"{o.source_id} was not published")


def _run(flow_name: str, sources: list[str] | None, first_year: int | None, last_year: int | None,
         force: bool) -> RunSummary | State:
    settings = load_settings()
    run_id = flow_run.get_id() or None
    parameters = {"sources": sources, "first_year": first_year, "last_year": last_year, "force": force}
    logger = get_run_logger()
    with logged_attempt(settings, flow_name, run_id, parameters) as outcome, calls_stop_on_sigterm(), \
            emulators_if_replay(settings, say=logger.info):
        try:
            summary = _run_stages(flow_name, sources, first_year, last_year, force, run_id, parameters)
        except UNREACHABLE as err:  # one line for the operator and the flow run, not a traceback
            outcome.update(status="unreachable", message=str(err))
            return Failed(message=str(err), data=err)
        outcome.update(outcomes=summary.outcomes, calls=summary.calls,
                       status="failed" if summary.failed else "completed")
    _report(summary, site_index(settings.paths.data_dir))
    if summary.failed:
        # A failed flow run with one readable message (callers get RunFailed raised), not a traceback.
        message = "; ".join(f"{o.source_id} {o.status}: {o.message}" for o in summary.failed)
        return Failed(message=message, data=RunFailed(message))
    return summary


def _run_stages(flow_name: str, sources: list[str] | None, first_year: int | None, last_year: int | None,
                force: bool, run_id: str | None, parameters: dict) -> RunSummary:
    ctx = build_context(run_id=run_id, first_year=first_year, last_year=last_year, force=force)
    chosen = select_sources(load_sources(), sources, ctx.on_replay)
    report = _progress.get()
    if any(source.api == "pxweb" for source in chosen):
        ctx.pxweb.limits()  # SCB's /config first: its limits pace every later call, and no network fails here

    return run_stages(ctx, chosen, flow_name, parameters, fetch_in_parallel,
                      lambda *arguments: validate_task(*_quoted(*arguments)),
                      lambda *arguments: load_publish_task(*_quoted(*arguments)),
                      (lambda source_id: report(source_id, len(chosen))) if report else None)


# Sources are fetched side by side; one limiter inside the HTTP client keeps all threads under SCB's limit.
FETCH_RUNNER = ThreadPoolTaskRunner(max_workers=PARALLEL_FETCHES)


@flow(name="oms-nightly", log_prints=True, task_runner=FETCH_RUNNER)
def nightly(sources: list[str] | None = None, force: bool = False) -> RunSummary | State:
    """The nightly job: every configured source, all periods the selection names."""
    return _run("oms-nightly", sources, None, None, force)


@flow(name="oms-backfill", log_prints=True, task_runner=FETCH_RUNNER)
def backfill(first_year: int, last_year: int, sources: list[str] | None = None,
             force: bool = False) -> RunSummary | State:
    """Reload a range of years for some or all sources; what already landed is reused unless force."""
    if first_year > last_year:
        raise ValueError(f"first_year {first_year} is after last_year {last_year}")
    return _run("oms-backfill", sources, first_year, last_year, force)
