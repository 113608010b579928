"""Section `split`: calls the split planner needs for SCB's recorded selections and real table shapes, against the
minimum ⌈cells ÷ limit⌉ and against cutting whole values of one variable at a time (the former splitter; R pxweb's
approach), both measured here. No server: the planner is pure arithmetic, so this section takes seconds."""

from __future__ import annotations

import math
import time
from functools import cache

from benchmarks.environment import shared_dir
from benchmarks.harness import Bench
from benchmarks.report import Figure, SectionResult
from replay.pxweb.recordings import recorded_shapes
from replay.pxweb.server import PROJECT_RECORDINGS
from tasks.fetch.pxweb.split_plan import minimum_calls, plan_boxes

LIMITS = [10, 50, 100, 500, 2_000, 150_000]
REAL_SHAPES = {  # sizes beyond the recordings, from SCB's metadata (notes in tests/fetch/test_split_plan.py)
    "commuting 290 x 290 municipalities x 3 x 29 years (RAMS)": (290, 290, 3, 29),
    "population single age 101 x 2 sexes x 290 municipalities x 57 years": (290, 101, 2, 57),
}


def one_variable_calls(sizes: tuple[int, ...], max_cells: int) -> int:
    """Calls when each cut takes whole values of one variable, filled up to the limit; the best variable each time."""

    @cache
    def calls(shape: tuple[int, ...]) -> int:
        cells = math.prod(shape)
        if cells <= max_cells:
            return 1
        options = []
        for i, n in enumerate(shape):
            if n > 1:
                chunk = max(1, max_cells // (cells // n))
                full, rest = divmod(n, chunk)
                options.append(full * calls(shape[:i] + (chunk,) + shape[i + 1:])
                               + (calls(shape[:i] + (rest,) + shape[i + 1:]) if rest else 0))
        return min(options)

    return calls(tuple(sorted(n for n in sizes if n > 1)))


def planned(sizes: tuple[int, ...], max_cells: int) -> tuple[int, float]:
    started = time.perf_counter()
    calls = len(plan_boxes(list(sizes), max_cells))
    return calls, time.perf_counter() - started


def run_split_section(bench: Bench) -> SectionResult:
    selections = recorded_shapes(shared_dir() / "scb", PROJECT_RECORDINGS, kind="data")
    tables = recorded_shapes(shared_dir() / "scb", PROJECT_RECORDINGS, kind="metadata")
    rows: list[list[object]] = []
    figures: list[Figure] = []
    cases = [(f"{len(selections)} recorded selections", list(selections), limit) for limit in LIMITS]
    cases.append((f"{len(tables)} whole recorded tables", list(tables), 150_000))
    cases += [(name, [shape], 150_000) for name, shape in REAL_SHAPES.items()]
    for name, shapes, limit in cases:
        least = sum(minimum_calls(math.prod(s), limit) for s in shapes)
        results = [planned(s, limit) for s in shapes]
        calls = sum(c for c, _ in results)
        baseline = sum(one_variable_calls(s, limit) for s in shapes)
        slowest = max(seconds for _, seconds in results)
        rows.append([name, limit, least, calls, round(calls / least, 3), baseline, round(baseline / least, 3),
                     round(slowest * 1000, 1)])
        if limit in (10, 50, 100) or len(shapes) == 1:
            figures.append(Figure(f"Calls, {name}, {limit:,} cells/call", "calls", calls, baseline,
                                  "whole values of one variable", f"minimum {least}"))
    notes = ["minimum = Σ⌈cells ÷ limit⌉ per selection; the planner's target is ≤ 1.05 × minimum for each",
             "one variable = at every cut, whole values of the one variable that gives the fewest calls",
             "plan ms = the slowest single plan (planning happens once per source per run)"]
    return SectionResult("split", "Calls the split planner needs vs the minimum and vs one-variable cuts",
                         ["shapes", "limit", "minimum", "planner", "planner ÷ min", "one variable",
                          "one variable ÷ min", "plan ms"],
                         rows, figures, notes)
