"""Selection expressions and the cell-limit splitter, on the variables of SCB's real TAB6471 metadata."""

from __future__ import annotations

import pytest

from tasks.fetch.common.errors import SelectionError
from tasks.fetch.pxweb.client import parse_table_metadata
from tasks.fetch.pxweb.selection import expand_value_expressions, resolve_selection, split_selection_under_cell_limit
from tasks.fetch.pxweb.split_plan import minimum_calls


@pytest.fixture(scope="module")
def metadata(tab6471_metadata: bytes):
    return parse_table_metadata("TAB6471", tab6471_metadata)


def test_metadata_lists_real_variables(metadata) -> None:
    assert list(metadata.variables) == ["Region", "Alder", "Kon", "ContentsCode", "Tid"]
    assert len(metadata.variables["Region"]) == 312 and len(metadata.variables["Alder"]) == 134
    assert metadata.updated == "2026-06-08T06:00:00Z" and metadata.time_variable == "Tid"
    assert "Kon" in metadata.eliminable and "Tid" not in metadata.eliminable


def test_expressions_follow_pxweb(metadata) -> None:
    months = metadata.variables["Tid"]
    # For the time variable SCB's TOP is the latest periods, BOTTOM the earliest; for others, first and last.
    assert expand_value_expressions(["top(2)"], months, "Tid", is_time=True) == ["2026M03", "2026M04"]
    assert expand_value_expressions(["bottom(1)"], months, "Tid", is_time=True) == ["2025M01"]
    assert expand_value_expressions(["top(2)"], metadata.variables["Kon"]) == ["TotSa", "1"]
    assert expand_value_expressions(["bottom(1)"], metadata.variables["Kon"]) == ["2"]
    assert expand_value_expressions(["from(2026M03)"], months) == ["2026M03", "2026M04"]
    assert expand_value_expressions(["range(2025M11,2026M01)"], months) == ["2025M11", "2025M12", "2026M01"]
    assert expand_value_expressions(["2026*"], months) == ["2026M01", "2026M02", "2026M03", "2026M04"]
    assert len(expand_value_expressions(["01??"], metadata.variables["Region"])) == 26  # Stockholm's municipalities
    with pytest.raises(SelectionError, match="'9999' does not exist"):
        expand_value_expressions(["9999"], metadata.variables["Region"], "Region")


def test_resolve_refuses_unknown_and_uneliminable_variables(metadata) -> None:
    with pytest.raises(SelectionError, match="unknown variable"):
        resolve_selection({"Lan": {"values": ["01"]}}, metadata.variables, metadata.eliminable)
    with pytest.raises(SelectionError, match="'Tid' is not in the selection"):
        resolve_selection({"Region": {"values": ["01"]}, "Alder": {"values": ["0"]}, "Kon": {"values": ["1"]},
                           "ContentsCode": {"values": ["*"]}}, metadata.variables, metadata.eliminable)
    # Kon may be eliminated on SCB's side, but the metadata names no elimination value: we refuse to guess.
    with pytest.raises(SelectionError, match="'Kon' is not in the selection"):
        resolve_selection({"Region": {"values": ["01"]}, "Alder": {"values": ["0"]}, "Tid": {"values": ["*"]},
                           "ContentsCode": {"values": ["*"]}}, metadata.variables, metadata.eliminable)


@pytest.mark.parametrize("max_cells", [150_000, 20_000, 5_000, 1_000])
def test_split_covers_every_cell_once_within_the_limit(metadata, max_cells: int) -> None:
    requested = {v: {"values": ["*"]} for v in metadata.variables}  # the whole table: 312*134*3*16 cells
    selection = resolve_selection(requested, metadata.variables, metadata.eliminable)
    assert selection.cells == 312 * 134 * 3 * 1 * 16
    parts = split_selection_under_cell_limit(selection, max_cells)
    assert all(p.cells <= max_cells for p in parts)
    assert sum(p.cells for p in parts) == selection.cells
    covered = {(r, a, k, t) for p in parts for r in p.values_of("Region") for a in p.values_of("Alder")
               for k in p.values_of("Kon") for t in p.values_of("Tid")}
    assert len(covered) == selection.cells
    assert len(parts) <= 1.05 * minimum_calls(selection.cells, max_cells)
    # Every call asks for a contiguous run of each variable's values, in the table's order (periods stay consecutive).
    for part in parts:
        for variable in part.variables:
            whole = selection.values_of(variable.variable)
            start = whole.index(variable.values[0])
            assert list(variable.values) == list(whole[start: start + len(variable.values)])


def test_no_split_needed_for_small_selection(metadata) -> None:
    requested = {"Region": {"values": ["01", "03"]}, "Alder": {"values": ["*"]}, "Kon": {"values": ["*"]},
                 "ContentsCode": {"values": ["*"]}, "Tid": {"values": ["*"]}}
    selection = resolve_selection(requested, metadata.variables, metadata.eliminable)
    assert split_selection_under_cell_limit(selection, 150_000) == [selection]
