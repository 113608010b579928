"""Named region sets in a selection (``$counties``, ``$municipalities``): the same for every API."""

from __future__ import annotations

from tasks.fetch.common.errors import SelectionError


def expand_region_sets(values: list[str], available: list[str], region_sets: dict[str, list[str]]) -> list[str]:
    """Replace ``$name`` by the codes of a named region set that the table has (historic tables lack new codes)."""
    expanded: list[str] = []
    for value in values:
        if value.startswith("$"):
            if value[1:] not in region_sets:
                raise SelectionError(f"unknown region set {value!r}; known: {sorted(region_sets)}")
            expanded.extend(code for code in region_sets[value[1:]] if code in available)
        else:
            expanded.append(value)
    return expanded
