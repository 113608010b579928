"""Section `regions`: what covering all of Sweden costs next to ÖMS. Every SCB source the replay serves (its
recordings hold all 290 municipalities and 21 counties; education level those of counties 01-05; Kolada's are left
out, as in every section), run through the nightly stages for the selection `oms`, then `sweden`, each into an
empty warehouse on a fresh emulator with SCB's limits."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.environment import pipeline_pointed_at, replay_server
from benchmarks.fetch_calls import SCB_LIMITS
from benchmarks.harness import Bench
from benchmarks.pipeline_runs import run_plain_pipeline, warm_up_validation
from benchmarks.report import Figure, SectionResult
from flows.pipeline import fetch_one_by_one
from tasks.config import environment_overrides
from tasks.load.run_load import load_and_publish
from tasks.regions import load_regions

SELECTIONS = ("oms", "sweden")


@dataclass(frozen=True)
class RegionsRun:
    selection: str
    sources: int
    counties: int
    municipalities: int
    cells: int
    minimum_data_calls: int  # Σ⌈cells ÷ 150,000⌉ per source
    data_calls: int
    calls: int  # every SCB call the server answered: /config, metadata, data
    fetch_seconds: float
    load_publish_seconds: float  # load, publish, Parquet exports and the site (load_and_publish)
    rows_published: int
    warehouse_bytes: int

    @property
    def rate_bound_seconds(self) -> float:
        return self.calls / SCB_LIMITS.max_calls * SCB_LIMITS.window_seconds


def timed(spent: dict[str, float], key: str, stage: Callable) -> Callable:
    def run(*args, **kwargs):
        started = time.monotonic()
        try:
            return stage(*args, **kwargs)
        finally:
            spent[key] = spent.get(key, 0.0) + time.monotonic() - started
    return run


def measure_selection(bench: Bench, selection: str) -> RegionsRun:
    workdir = bench.fresh_dir(f"regions-{selection}")
    spent: dict[str, float] = {}
    cells: list[int] = []

    def fetch(ctx, sources, loaded):
        results = fetch_one_by_one(ctx, sources, loaded)
        cells.extend(r.planned_cells for r in results if not isinstance(r, Exception))
        return results

    with environment_overrides({"OMS_REGIONS": selection}), replay_server(SCB_LIMITS) as server, \
            pipeline_pointed_at(server, workdir) as where:
        summary = run_plain_pipeline(timed(spent, "fetch", fetch), timed(spent, "load", load_and_publish))
        regions = load_regions()  # the selection the run used (OMS_REGIONS)
        return RegionsRun(selection, len(summary.outcomes), len(regions.county_codes),
                          len(regions.municipality_codes), sum(cells),
                          sum(math.ceil(c / SCB_LIMITS.max_cells) for c in cells),
                          server.count("data"), server.count(), spent["fetch"], spent["load"],
                          sum(o.rows_published or 0 for o in summary.outcomes),
                          (where / "warehouse" / "oms.duckdb").stat().st_size)


def run_regions_section(bench: Bench) -> SectionResult:
    warm_up = warm_up_validation(bench)
    oms, sweden = (measure_selection(bench, selection) for selection in SELECTIONS)
    rows = [[r.selection, r.counties, r.municipalities, r.cells, r.minimum_data_calls, r.data_calls, r.calls,
             round(r.fetch_seconds, 2), round(r.rate_bound_seconds, 2), r.rows_published,
             round(r.load_publish_seconds, 2), round(r.warehouse_bytes / 2**20, 2)] for r in (oms, sweden)]
    figures = [
        Figure(f"Sweden vs ÖMS, data calls ({oms.sources} sources)", "calls", sweden.data_calls, oms.data_calls,
               "ÖMS",
               f"minimum ⌈cells ÷ 150,000⌉ summed: {sweden.minimum_data_calls} vs {oms.minimum_data_calls}"),
        Figure("Sweden vs ÖMS, fetch wall time", "s", sweden.fetch_seconds, oms.fetch_seconds, "ÖMS",
               f"rate-limit bound {sweden.rate_bound_seconds:.1f} s vs {oms.rate_bound_seconds:.1f} s"),
        Figure("Sweden vs ÖMS, rows published", "rows", sweden.rows_published, oms.rows_published, "ÖMS"),
        Figure("Sweden vs ÖMS, load + publish time", "s", sweden.load_publish_seconds, oms.load_publish_seconds,
               "ÖMS", "load, publish, Parquet exports and site"),
        Figure("Sweden vs ÖMS, warehouse file", "MiB", sweden.warehouse_bytes / 2**20, oms.warehouse_bytes / 2**20,
               "ÖMS"),
    ]
    notes = ["the nightly stages as plain functions (as section `nightly`), sources fetched one by one; each "
             "selection into an empty warehouse on a fresh replay server (150,000 cells, 30 calls / 10 s)",
             "minimum = Σ⌈cells ÷ 150,000⌉ per source; bound = calls ÷ 30 × 10 s, calls "
             "including /config and metadata",
             f"an untimed warm-up run first ({warm_up:.1f} s), as in section `nightly`"]
    return SectionResult("regions", "Cost of the region selection: ÖMS (7 counties, 88 municipalities) vs Sweden "
                                    f"(21, 290), the {oms.sources} sources the replay serves",
                         ["selection", "counties", "municipalities", "cells", "minimum", "data calls", "calls",
                          "fetch s", "bound s", "rows published", "load+publish s", "warehouse MiB"], rows, figures,
                         notes)
