"""The sections by name, in the order they run. Importing this module imports Prefect (through flows.pipeline)."""

from __future__ import annotations

from collections.abc import Callable

from benchmarks.fetch_calls import run_calls_section, run_fetch_section
from benchmarks.harness import Bench
from benchmarks.load_throughput import run_load_section
from benchmarks.nightly_process import run_process_section
from benchmarks.nightly_rerun import run_nightly_section
from benchmarks.prefect_overhead import run_prefect_section
from benchmarks.regions_cost import run_regions_section
from benchmarks.report import SectionResult
from benchmarks.split_plan import run_split_section

SECTIONS: dict[str, Callable[[Bench], SectionResult]] = {
    "split": run_split_section,
    "calls": run_calls_section,
    "fetch": run_fetch_section,
    "nightly": run_nightly_section,
    "load": run_load_section,
    "prefect": run_prefect_section,
    "process": run_process_section,
    "regions": run_regions_section,
}
