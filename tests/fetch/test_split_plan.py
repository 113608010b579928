"""The split planner against two oracles nobody tuned it to: an independent brute-force search over every guillotine
plan, and the shapes of SCB's own answers and metadata documents (recorded selections and whole tables)."""

from __future__ import annotations

import itertools
import math
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replay.pxweb.recordings import recorded_shapes
from replay.pxweb.server import PROJECT_RECORDINGS
from tasks.fetch.pxweb.split_plan import minimum_calls, plan_boxes

LIMITS = [10, 50, 100, 500, 2_000, 150_000]  # issue 13's limits; 150,000 is SCB's maxDataCells


def brute_force_optimum(sizes: list[int], max_cells: int) -> int:
    """The fewest boxes any guillotine plan needs: every cut of every variable at every depth, nothing pruned."""

    @cache
    def best(shape: tuple[int, ...]) -> int:
        if math.prod(shape) <= max_cells:
            return 1
        return min(best(tuple(sorted(shape[:i] + (first,) + shape[i + 1:])))
                   + best(tuple(sorted(shape[:i] + (n - first,) + shape[i + 1:])))
                   for i, n in enumerate(shape) for first in range(1, n))

    return best(tuple(sorted(sizes)))


def assert_valid_plan(sizes: list[int], max_cells: int, boxes: list[list[range]]) -> None:
    seen: set[tuple[int, ...]] = set()
    for box in boxes:
        assert len(box) == len(sizes)
        assert all(r.step == 1 and len(r) > 0 and r.start >= 0 and r.stop <= n for r, n in zip(box, sizes, strict=True))
        assert math.prod(len(r) for r in box) <= max_cells
        cells = set(itertools.product(*box))
        assert not cells & seen, "a cell is asked for twice"
        seen |= cells
    assert len(seen) == math.prod(sizes), "a cell is never asked for"


@settings(max_examples=150, deadline=None)
@given(sizes=st.lists(st.integers(1, 12), min_size=1, max_size=5), max_cells=st.integers(1, 200))
def test_any_plan_covers_every_cell_once_within_the_limit_with_the_fewest_guillotine_boxes(
        sizes: list[int], max_cells: int) -> None:
    boxes = plan_boxes(sizes, max_cells)
    assert_valid_plan(sizes, max_cells, boxes)
    assert len(boxes) >= minimum_calls(math.prod(sizes), max_cells)
    assert len(boxes) == brute_force_optimum(sizes, max_cells)


def test_the_plan_is_the_same_every_time() -> None:
    # A resumed backfill must find the calls it made before.
    assert plan_boxes([88, 3, 51], 500) == plan_boxes([88, 3, 51], 500)


def test_refuses_a_limit_below_one_cell() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        plan_boxes([3, 4], 0)


def recorded(shared_dir: Path, kind: str) -> dict[tuple[int, ...], str]:
    return recorded_shapes(shared_dir / "scb", PROJECT_RECORDINGS, kind=kind)


def assert_near_minimum(sizes: tuple[int, ...], max_cells: int, where: str) -> None:
    boxes = plan_boxes(list(sizes), max_cells)
    least = minimum_calls(math.prod(sizes), max_cells)
    if len(boxes) > 1.05 * least:
        # Allowed only where no guillotine plan does better (checked by the brute force, small shapes only).
        assert math.prod(n + 1 for n in sizes) < 100_000, f"{where} {sizes} @ {max_cells}: {len(boxes)} vs {least}"
        assert len(boxes) == brute_force_optimum(list(sizes), max_cells), f"{where} {sizes} @ {max_cells}"
    assert all(math.prod(len(r) for r in box) <= max_cells for box in boxes)
    assert sum(math.prod(len(r) for r in box) for box in boxes) == math.prod(sizes)


@pytest.mark.parametrize("max_cells", LIMITS)
def test_every_recorded_selection_within_five_percent_of_the_minimum(shared_dir: Path, max_cells: int) -> None:
    selections = recorded(shared_dir, "data")  # what real clients asked SCB for
    assert len(selections) >= 15 and any(math.prod(s) > 90_000 for s in selections)
    for sizes, where in selections.items():
        assert_near_minimum(sizes, max_cells, where)


def test_whole_scb_tables_at_scbs_limit(shared_dir: Path) -> None:
    tables = recorded(shared_dir, "metadata")  # every value of every variable
    # TAB638: population by single year of age x marital status x sex x 312 regions x 57 years (3.9 M cells).
    assert (312, 4, 102, 2, 2, 57) in tables and len(tables) >= 10
    for sizes, where in tables.items():
        assert_near_minimum(sizes, 150_000, where)


@pytest.mark.parametrize("sizes", [
    (290, 290, 3, 29),  # commuting residence x workplace municipality x sex, RAMS 1993-2021 (TAB334 family)
    (290, 290, 3, 5),   # the same from BAS, TAB1830, 2020-2024
    (290, 101, 2, 57),  # population by single year of age x sex x 290 municipalities x 1968-2024
])
def test_real_sizes_beyond_the_recordings_reach_the_minimum(sizes: tuple[int, ...]) -> None:
    boxes = plan_boxes(list(sizes), 150_000)
    assert len(boxes) == minimum_calls(math.prod(sizes), 150_000)
    assert all(math.prod(len(r) for r in box) <= 150_000 for box in boxes)
    assert sum(math.prod(len(r) for r in box) for box in boxes) == math.prod(sizes)
