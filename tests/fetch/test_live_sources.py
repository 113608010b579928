"""Every SCB source's YAML checked against SCB's own recorded metadata of its table (the full table, not the
replay's recorded slice): the variables, value codes and eliminations it names exist. This is what stands in for
a live call for the sources whose data was never recorded (`only_on: live`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from replay.pxweb.recordings import load_recordings
from replay.pxweb.server import PROJECT_RECORDINGS
from tasks.config import load_sources
from tasks.fetch.common.http import encode_json_body
from tasks.fetch.pxweb.client import parse_table_metadata, plan_selections
from tasks.regions import load_regions
from tests.conftest import shared_path

SCB_DIRS = (shared_path() / "scb", PROJECT_RECORDINGS)


def metadata_template(scb_dirs: tuple[Path, ...], table_id: str) -> dict | None:
    """SCB's own metadata document of the table (Swedish), where one was recorded."""
    table = load_recordings(*scb_dirs).table(table_id)
    return table.metadata.get("sv") if table is not None and table.metadata_recorded else None

SCB_SOURCES = [s for s in load_sources() if s.api == "pxweb" and s.only_on != "replay"]
# Live-only sources must be checkable; the others are checked where SCB's metadata was recorded (their recorded
# data is checked by every replay run anyway).
CHECKED = [s for s in SCB_SOURCES if s.only_on == "live" or metadata_template(SCB_DIRS, s.table) is not None]


@pytest.fixture(scope="module")
def scb_dirs() -> tuple[Path, ...]:
    return SCB_DIRS


def test_most_scb_sources_and_every_live_only_one_are_checked() -> None:
    assert len(CHECKED) >= len(SCB_SOURCES) - 1  # TAB5557: data recorded, metadata not
    assert {s.id for s in SCB_SOURCES if s.only_on == "live"} <= {s.id for s in CHECKED}


@pytest.mark.parametrize("source", CHECKED, ids=[s.id for s in CHECKED])
def test_selection_is_valid_for_scbs_recorded_metadata(source, scb_dirs) -> None:
    document = metadata_template(scb_dirs, source.table)
    assert document is not None, f"no recorded metadata of {source.table}: {source.id} cannot be checked offline"
    metadata = parse_table_metadata(source.table, encode_json_body(document).encode())
    selections = plan_selections(source, metadata, load_regions().region_sets(), max_cells=150_000)
    assert selections, f"{source.id} selects nothing in {source.table}"
    regions = {code for s in selections for code in s.values_of(source.columns.region)}
    # every selection reaches the ÖMS regions it names, and nothing else (no Riket, no Stor-Stockholm 0010)
    assert regions <= set(load_regions().all_codes) and len(regions) >= 7


def test_live_only_migration_flows_ask_for_in_and_out_migration_of_all_88(scb_dirs) -> None:
    source = next(s for s in SCB_SOURCES if s.id == "migration_flows_municipality_1997_2024")
    document = metadata_template(scb_dirs, "TAB1212")
    metadata = parse_table_metadata("TAB1212", encode_json_body(document).encode())
    (selection,) = plan_selections(source, metadata, load_regions().region_sets(), max_cells=150_000)
    assert selection.values_of("ContentsCode") == ("BE0101AU", "BE0101AV")
    assert len(selection.values_of("Region")) == 88 and selection.values_of("Tid")[0] == "1997"
    assert selection.cells == 88 * 1 * 2 * 2 * 28
