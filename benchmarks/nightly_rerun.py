"""Section `nightly`: a run right after a full one should only ask SCB whether anything changed."""

from __future__ import annotations

from benchmarks.harness import Bench
from benchmarks.pipeline_runs import RunMeasurement, full_then_unchanged, run_plain_pipeline, warm_up_validation
from benchmarks.report import Figure, SectionResult


def only_config_and_metadata(run: RunMeasurement) -> bool:
    return set(run.calls_by_kind) <= {"config", "metadata"}


def run_nightly_section(bench: Bench) -> SectionResult:
    warm_up = warm_up_validation(bench)
    full, unchanged = full_then_unchanged(bench, "nightly", run_plain_pipeline)
    rows = [[r.label, round(r.wall_seconds, 2), r.calls, r.calls_text(), r.rows_loaded,
             ", ".join(sorted(set(r.statuses.values())))] for r in (full, unchanged)]
    verdict = "only /config + metadata" if only_config_and_metadata(unchanged) else "UNEXPECTED data calls"
    figures = [
        Figure("No-change nightly run, wall time", "s", unchanged.wall_seconds, full.wall_seconds, "full run"),
        Figure("No-change nightly run, API calls", "calls", unchanged.calls, full.calls, "full run", verdict),
    ]
    notes = ["the nightly stages as plain functions (run_stages + fetch_one_by_one, check_source, "
             "load_and_publish), SCB's limits, every configured source; the Prefect flow is in section `prefect`",
             f"an untimed warm-up run first ({warm_up:.1f} s): the first validation in a process imports Great "
             "Expectations; each measured run still rebuilds the GX context and suites (~30 ms), as a new process "
             "would"]
    return SectionResult("nightly", "No-change nightly run (right after a full one) vs the full run",
                         ["run", "wall s", "calls", "by kind", "rows loaded", "statuses"], rows, figures, notes)
