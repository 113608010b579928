"""Sections `calls` and `fetch`: one full fetch of every configured source against the replay server.

Two scenarios share the measurements: SCB's real limits (150,000 cells per call, 30 calls per 10 s) and a small
cell limit with the same call limit, which forces the splitter to cut selections and makes the run need more
calls than one window admits, so pacing is actually exercised. Calls are counted by the server, not the client.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass

from benchmarks.environment import pipeline_pointed_at, replay_server, scb_sources
from benchmarks.harness import Bench
from benchmarks.report import Figure, SectionResult
from flows.pipeline import fetch_one_by_one
from replay.pxweb.server import PxWebReplayServer, ReplayLimits
from tasks.context import build_context
from tasks.fetch.common.fetched import FetchedSource
from tasks.fetch.pxweb.split_plan import minimum_calls

SCB_LIMITS = ReplayLimits()  # 150,000 cells per call, 30 calls per 10 s (shared/README.md)


@dataclass(frozen=True)
class SourceCalls:
    source_id: str
    table: str
    cells: int
    max_cells: int
    data_calls: int  # as the server counted them (retries included)
    metadata_calls: int

    @property
    def minimum(self) -> int:
        return minimum_calls(self.cells, self.max_cells)


@dataclass(frozen=True)
class FetchScenario:
    limits: ReplayLimits
    sources: list[SourceCalls]
    wall_seconds: float
    calls: int  # every call the server answered, /config and metadata included
    throttled: int  # 429 answers
    paced_seconds: float  # how long the client's limiter held calls back
    retries: int

    @property
    def name(self) -> str:
        return f"{self.limits.max_cells:,} cells/call"

    @property
    def data_calls(self) -> int:
        return sum(s.data_calls for s in self.sources)

    @property
    def minimum_data_calls(self) -> int:
        return sum(s.minimum for s in self.sources)

    @property
    def rate_bound_seconds(self) -> float:
        """calls ÷ calls-per-window × window: the sustained-rate bound."""
        return self.calls / self.limits.max_calls * self.limits.window_seconds

    @property
    def burst_floor_seconds(self) -> float:
        """The true lower bound: a sliding window admits the first max_calls calls at once."""
        return (math.ceil(self.calls / self.limits.max_calls) - 1) * self.limits.window_seconds


def scenario_limits(bench: Bench) -> list[ReplayLimits]:
    return [SCB_LIMITS, ReplayLimits(max_cells=bench.options.small_cells)]


def full_fetch(bench: Bench, limits: ReplayLimits) -> FetchScenario:
    return bench.once(f"fetch-{limits}", lambda: measure_full_fetch(bench, limits))


def measure_full_fetch(bench: Bench, limits: ReplayLimits) -> FetchScenario:
    workdir = bench.fresh_dir(f"fetch-{limits.max_cells}-cells")
    with replay_server(limits) as server, pipeline_pointed_at(server, workdir):
        ctx = build_context()
        sources = scb_sources()
        started = time.monotonic()
        results = fetch_one_by_one(ctx, sources)
        wall = time.monotonic() - started
        fetched = [raise_if_failed(r) for r in results]
        return FetchScenario(limits, source_calls(server, fetched, limits.max_cells), wall, server.count(),
                             server.count(status=429), ctx.pxweb.caller.limiter.waited_seconds,
                             ctx.pxweb.caller.stats.retries)


def raise_if_failed(result: FetchedSource | Exception) -> FetchedSource:
    # A benchmark over a source that failed would report a flattering, meaningless call count.
    if isinstance(result, Exception):
        raise RuntimeError(f"a source failed during the benchmark fetch: {result}") from result
    return result


def source_calls(server: PxWebReplayServer, fetched: list[FetchedSource], max_cells: int) -> list[SourceCalls]:
    by_table = Counter((record.kind, record.table) for record in server.log)
    return [SourceCalls(f.source.id, f.source.table, f.planned_cells, max_cells,
                        by_table["data", f.source.table], by_table["metadata", f.source.table]) for f in fetched]


def run_calls_section(bench: Bench) -> SectionResult:
    scenarios = [full_fetch(bench, limits) for limits in scenario_limits(bench)]
    rows: list[list[object]] = []
    for scenario in scenarios:
        for s in scenario.sources:
            rows.append([s.max_cells, s.source_id, s.table, s.cells, s.minimum, s.data_calls,
                         round(s.data_calls / s.minimum, 2), s.metadata_calls])
        rows.append([scenario.limits.max_cells, "all sources", "", sum(s.cells for s in scenario.sources),
                     scenario.minimum_data_calls, scenario.data_calls,
                     round(scenario.data_calls / scenario.minimum_data_calls, 2),
                     sum(s.metadata_calls for s in scenario.sources)])
    figures = [Figure(f"Data calls, {len(s.sources)} sources, {s.name}", "calls", s.data_calls,
                      s.minimum_data_calls, "minimum Σ⌈cells ÷ max cells⌉",
                      f"+{s.calls - s.data_calls} /config and metadata calls") for s in scenarios]
    notes = ["data calls as the replay server counted them (retries would count too); " + above_minimum(scenarios)]
    return SectionResult("calls", "API calls per source vs the minimum ⌈cells ÷ max cells per call⌉",
                         ["max cells", "source", "table", "cells", "minimum", "data calls", "ratio", "metadata"],
                         rows, figures, notes)


def above_minimum(scenarios: list[FetchScenario]) -> str:
    over = [f"{s.source_id} {s.data_calls} vs {s.minimum} at {scenario.name}"
            for scenario in scenarios for s in scenario.sources if s.data_calls > s.minimum]
    if not over:
        return "every source made its minimum number of data calls"
    # Why: a plan of boxes cannot always fill every call (section `split` compares with every guillotine plan).
    return "above the minimum: " + "; ".join(over) + " — no plan of boxes found fills every call to the limit"


def run_fetch_section(bench: Bench) -> SectionResult:
    scenarios = [full_fetch(bench, limits) for limits in scenario_limits(bench)]
    rows = [[s.limits.max_cells, s.calls, round(s.wall_seconds, 2), round(s.rate_bound_seconds, 2),
             round(s.wall_seconds / s.rate_bound_seconds, 2), round(s.burst_floor_seconds, 2),
             round(s.paced_seconds, 2), s.throttled, s.retries] for s in scenarios]
    figures = [Figure(f"Full fetch wall time, {s.calls} calls at {s.name}", "s", s.wall_seconds,
                      s.rate_bound_seconds, f"{s.calls} ÷ {s.limits.max_calls} × {s.limits.window_seconds:g} s",
                      f"429 answers: {s.throttled}") for s in scenarios]
    notes = ["bound = calls ÷ calls-per-window × window; floor = (⌈calls ÷ 30⌉ − 1) × 10 s, the least a sliding "
             "window allows (the first 30 calls go at once), so wall/bound < 1 is expected for short runs",
             "sources fetched one by one (fetch_one_by_one) on a replay server enforcing 30 calls / 10 s; "
             "paced = time the client's limiter held calls back",
             "the same two fetches as section `calls`, measured once per process (so this section's own time is ~0)"]
    return SectionResult("fetch", "Full fetch wall time vs the rate-limit bound (replay, 30 calls / 10 s)",
                         ["max cells", "calls", "wall s", "bound s", "wall/bound", "floor s", "paced s", "429s",
                          "retries"], rows, figures, notes)
