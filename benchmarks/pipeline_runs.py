"""Whole pipeline runs against a fresh replay server, measured: the plain-function pipeline and its warm-up."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.environment import pipeline_pointed_at, replay_server, scb_sources
from benchmarks.fetch_calls import SCB_LIMITS
from benchmarks.harness import Bench
from flows.pipeline import RunSummary, fetch_one_by_one, run_stages
from tasks.context import build_context
from tasks.load.run_load import load_and_publish
from tasks.validate.source_check import check_source

FULL, NO_CHANGE = "full", "no-change"


@dataclass(frozen=True)
class RunMeasurement:
    label: str
    wall_seconds: float
    stages_seconds: float  # run_stages alone (RunSummary.seconds), inside whatever wraps it
    calls_by_kind: dict[str, int]  # as the server counted them
    statuses: dict[str, str]
    rows_loaded: int

    @property
    def calls(self) -> int:
        return sum(self.calls_by_kind.values())

    def calls_text(self) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in sorted(self.calls_by_kind.items()))


def run_plain_pipeline(fetch: Callable = fetch_one_by_one, load: Callable = load_and_publish) -> RunSummary:
    """What the nightly flow does (flows.pipeline._run), with the stages as plain functions and no Prefect; a
    section may wrap the fetch and load stages to time or count them."""
    ctx = build_context()
    sources = scb_sources()
    ctx.pxweb.limits()
    summary = run_stages(ctx, sources, "benchmark-plain", {}, fetch, check_source, load)
    if summary.failed:  # the flow raises RunFailed here; timings of a failed run would mean nothing
        raise RuntimeError("; ".join(f"{o.source_id} {o.status}: {o.message}" for o in summary.failed))
    return summary


def measure_run(label: str, workdir: Path, run: Callable[[], RunSummary]) -> RunMeasurement:
    # A fresh server per run: each run builds its own client limiter, which cannot know the previous run's calls,
    # and a server window still holding them would answer 429 to back-to-back runs that a night apart never meet.
    with replay_server(SCB_LIMITS) as server, pipeline_pointed_at(server, workdir):
        started = time.monotonic()
        summary = run()
        wall = time.monotonic() - started
        calls = Counter(record.kind for record in server.log)
    return RunMeasurement(label, wall, summary.seconds, dict(calls),
                          {o.source_id: o.status for o in summary.outcomes},
                          sum(o.rows_loaded for o in summary.outcomes))


def full_then_unchanged(bench: Bench, name: str, run: Callable[[], RunSummary]) -> tuple[RunMeasurement, ...]:
    """A full run into an empty warehouse, then at once a second run that should find nothing new."""
    workdir = bench.fresh_dir(name)
    return measure_run(FULL, workdir, run), measure_run(NO_CHANGE, workdir, run)


def warm_up_validation(bench: Bench) -> float:
    """One untimed full run per process: the first validation imports Great Expectations (seconds, once per
    process), which would otherwise be charged to whichever measured run came first."""
    return bench.once("warm-up", lambda: measure_run("warm-up", bench.fresh_dir("warm-up"),
                                                     run_plain_pipeline).wall_seconds)
