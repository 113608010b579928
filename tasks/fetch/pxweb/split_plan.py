"""Plan the calls for a selection larger than SCB's cell limit: as few calls as the boxes allow.

A call asks for a box: a set of values per variable, all their combinations. The least number of calls is
⌈cells ÷ limit⌉; cutting along whole values of one variable (as pxweb clients do) leaves most calls part-empty.
This planner searches guillotine partitions: cut one variable's values in two, plan each half the same way, on any
variable at any depth. The search is exact for variables of up to 64 values and tries the cuts that fill whole
calls (multiples of the limit) for longer ones; a branch stops as soon as a half cannot beat the best plan so far
(each half needs at least ⌈its cells ÷ limit⌉ calls), and the whole search as soon as it reaches the minimum.

Cuts keep each variable's values in their order, so every call asks for a contiguous run of them (periods stay
consecutive), and the plan for a given selection and limit is always the same (a resumed backfill finds its calls).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

Shape = tuple[int, ...]  # values per variable, sorted: the number of calls depends only on the sizes
Cut = tuple[int, int]  # (position in the sorted shape, values in the first half)

_EXHAUSTIVE_UP_TO = 64  # values; above this, only the cuts below are tried
_FILL_MULTIPLES = 16  # cuts that hold 1..16 whole calls' worth of cells


def minimum_calls(cells: int, max_cells: int) -> int:
    return max(1, math.ceil(cells / max_cells))


def _cuts(values: int, cells_per_value: int, max_cells: int) -> list[int]:
    """Sizes of the first half (at most half of ``values``) worth trying, largest first."""
    if values <= _EXHAUSTIVE_UP_TO:
        return list(range(values // 2, 0, -1))
    filling = {m * max_cells // cells_per_value for m in range(1, _FILL_MULTIPLES + 1)}
    sizes = (set(range(1, 9)) | {values // m for m in range(2, 9)} | {-(-values // m) for m in range(2, 9)}
             | filling | {values - f for f in filling})
    return sorted({min(s, values - s) for s in sizes if 0 < s < values}, reverse=True)


class _Planner:
    def __init__(self, max_cells: int) -> None:
        self.max_cells = max_cells
        self.best_cut: dict[Shape, Cut] = {}
        self.calls = lru_cache(maxsize=None)(self._calls)

    def _calls(self, shape: Shape) -> int:
        cells = math.prod(shape)
        if cells <= self.max_cells:
            return 1
        least = minimum_calls(cells, self.max_cells)
        best = math.inf
        for position, values in enumerate(shape):
            per_value = cells // values
            for first in _cuts(values, per_value, self.max_cells):
                left, right = _cut_shape(shape, position, first)
                floor_right = minimum_calls(right[1] * per_value, self.max_cells)
                if minimum_calls(first * per_value, self.max_cells) + floor_right >= best:
                    continue
                calls = self.calls(left[0])
                if calls + floor_right >= best:
                    continue
                calls += self.calls(right[0])
                if calls < best:
                    best, self.best_cut[shape] = calls, (position, first)
                    if best == least:
                        return best
        return int(best)


def _cut_shape(shape: Shape, position: int, first: int) -> tuple[tuple[Shape, int], tuple[Shape, int]]:
    rest = shape[:position] + shape[position + 1:]
    second = shape[position] - first
    return (_normal((*rest, first)), first), (_normal((*rest, second)), second)


def _normal(sizes: tuple[int, ...]) -> Shape:
    return tuple(sorted(n for n in sizes if n > 1))


def sorted_shape(sizes: list[int]) -> tuple[Shape, list[int]]:
    """The sorted shape of the variables with more than one value, and which variable each position is."""
    order = sorted((i for i, n in enumerate(sizes) if n > 1), key=lambda i: (sizes[i], i))
    return tuple(sizes[i] for i in order), order


@contextmanager
def _deep_enough(depth: int) -> Iterator[None]:
    # A chain of one-value cuts recurses once per value; the default limit (1,000) is below SCB's 290 x 290 shapes.
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, depth))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def plan_boxes(sizes: list[int], max_cells: int) -> list[list[range]]:
    """Boxes (one range of value positions per variable) covering every cell exactly once, each within the limit,
    as few as the search finds (see the module's docstring)."""
    if max_cells < 1:
        raise ValueError(f"a cell limit must be at least 1, not {max_cells}")
    planner = _Planner(max_cells)
    with _deep_enough(4 * sum(sizes) + 1_000):
        planner.calls(sorted_shape(sizes)[0])
        boxes: list[list[range]] = []
        _unfold(planner, [range(n) for n in sizes], boxes)
    return boxes


def _unfold(planner: _Planner, box: list[range], out: list[list[range]]) -> None:
    sizes = [len(r) for r in box]
    shape, order = sorted_shape(sizes)
    if math.prod(sizes) <= planner.max_cells:
        out.append(box)
        return
    if shape not in planner.best_cut:  # reached through a cut the search pruned: plan it now
        planner.calls(shape)
    position, first = planner.best_cut[shape]
    variable = order[position]
    values = box[variable]
    for half in (values[:first], values[first:]):
        _unfold(planner, box[:variable] + [half] + box[variable + 1:], out)
