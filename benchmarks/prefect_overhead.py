"""Section `prefect`: the real `nightly` flow run vs the same stages called as plain functions.

With no PREFECT_API_URL, Prefect starts a temporary local API in a subprocess on first use. It is started here
explicitly, so its start-up is reported on its own instead of hiding inside the first flow run.
"""

from __future__ import annotations

import os
import time

from benchmarks.environment import scb_sources
from benchmarks.harness import Bench
from benchmarks.pipeline_runs import (
    FULL,
    NO_CHANGE,
    RunMeasurement,
    full_then_unchanged,
    run_plain_pipeline,
    warm_up_validation,
)
from benchmarks.report import Figure, SectionResult
from flows.pipeline import RunSummary, nightly

API_STARTUP_TIMEOUT_SECONDS = 120  # Prefect's default (20 s) is too short for a first start on 2 slow cores


def start_temporary_prefect_api(bench: Bench) -> float | None:
    """Seconds to start Prefect's temporary API, or None when PREFECT_API_URL names a running server."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    from prefect.server.api.server import SubprocessASGIServer  # Prefect's own ephemeral-server class

    server = SubprocessASGIServer()  # a per-process singleton: the flow's client will find it running
    started = time.monotonic()
    server.start(timeout=API_STARTUP_TIMEOUT_SECONDS)
    elapsed = time.monotonic() - started
    # Stop it before the scratch directory (its PREFECT_HOME) is deleted, not at interpreter exit.
    bench.on_close(server.stop)
    return elapsed


def run_nightly_flow() -> RunSummary:
    return nightly(sources=[source.id for source in scb_sources()])


def comparison_rows(flow: tuple[RunMeasurement, ...], plain: tuple[RunMeasurement, ...]) -> list[list[object]]:
    rows: list[list[object]] = []
    for way, runs in (("nightly flow (Prefect)", flow), ("plain functions", plain)):
        for run in runs:
            rows.append([way, run.label, round(run.wall_seconds, 2), round(run.stages_seconds, 2),
                         round(run.wall_seconds - run.stages_seconds, 2), run.calls,
                         ", ".join(sorted(set(run.statuses.values())))])
    return rows


def run_prefect_section(bench: Bench) -> SectionResult:
    warm_up_validation(bench)
    startup = start_temporary_prefect_api(bench)
    flow = full_then_unchanged(bench, "prefect-flow", run_nightly_flow)
    plain = full_then_unchanged(bench, "prefect-plain", run_plain_pipeline)
    figures = [Figure(f"Prefect `nightly` flow, {f.label} run", "s", f.wall_seconds, p.wall_seconds,
                      "same stages as plain functions", f"+{f.wall_seconds - p.wall_seconds:.2f} s")
               for f, p in zip(flow, plain, strict=True)]
    if startup is not None:
        figures.append(Figure("Prefect temporary API start-up (once per process)", "s", startup, None,
                              "— (not needed by plain functions)"))
    notes = [f"runs in order: flow {FULL}, flow {NO_CHANGE}, plain {FULL}, plain {NO_CHANGE}; each pair in its "
             "own temporary warehouse and data dir, each run against a fresh replay server with SCB's limits",
             "the flow fetches 4 sources side by side on its thread pool (fetch_in_parallel); the plain run "
             "one by one (fetch_one_by_one); 'outside stages' = wall − run_stages time: flow run set-up, "
             "context, /config, report artifacts",
             "API start-up: " + (f"{startup:.1f} s for Prefect's temporary local API (a fresh PREFECT_HOME: its "
                                 "database is created and migrated), excluded from the flow runs"
                                 if startup is not None else "not measured, PREFECT_API_URL names a running server")]
    return SectionResult("prefect", "Prefect orchestration overhead: nightly flow vs plain functions",
                         ["way", "run", "wall s", "in run_stages s", "outside stages s", "calls", "statuses"],
                         comparison_rows(flow, plain), figures, notes)
