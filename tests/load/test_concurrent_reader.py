"""An analyst's read-only process and the nightly writer at the same time: no blocking, no half-published state.

The reader opens the published file again and again (as analysts' tools do) while the writer builds and swaps in
new versions. Every snapshot it sees must be internally consistent: main.observation has exactly the row count
that the same build recorded in marker.build.
"""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import duckdb
import pytest

from tasks.load.merge import merge_observations
from tasks.load.warehouse import building_copy
from tasks.publish.publish import publish, reference_rows_from_config


def _reader(path: str, reading, building, stop, queue) -> None:
    reads = inconsistent = lock_errors = during_builds = 0
    while not stop.is_set() or reads < 20:
        try:
            con = duckdb.connect(path, read_only=True)
        except duckdb.IOException:
            lock_errors += 1
            continue
        try:
            marker = con.execute("SELECT rows FROM marker.build").fetchone()[0]
            rows = con.execute("SELECT count(*) FROM main.observation").fetchone()[0]
        finally:
            con.close()
        reads += 1
        during_builds += building.is_set()
        reading.set()
        inconsistent += marker != rows
    queue.put({"reads": reads, "inconsistent": inconsistent, "lock_errors": lock_errors,
               "during_builds": during_builds})


@pytest.fixture(scope="module")
def batch(county_batch):
    return county_batch


def _build_version(path: Path, batch, months: list[str], version: int) -> None:
    with building_copy(path) as con:
        con.execute("DELETE FROM core.observation")  # each version holds a different number of rows
        merge_observations(con, batch[batch["period"].isin(months)], f"v{version}")
        publish(con, reference_rows_from_config())
        con.execute("CREATE SCHEMA IF NOT EXISTS marker")  # outside main: published objects must be described
        con.execute("CREATE OR REPLACE TABLE marker.build AS SELECT count(*) AS rows FROM main.observation")


def test_reader_never_blocked_nor_sees_half_published_state(tmp_path, batch) -> None:
    path = tmp_path / "oms.duckdb"
    months = sorted(batch["period"].unique())
    _build_version(path, batch, months[:1], 0)
    context = mp.get_context("spawn")
    queue, reading, building, stop = context.Queue(), context.Event(), context.Event(), context.Event()
    reader = context.Process(target=_reader, args=(str(path), reading, building, stop, queue))
    reader.start()
    assert reading.wait(timeout=60), "the reader process never managed a first read"
    # A fixed number of swaps, not a time window: a loaded CI machine builds fewer per second.
    building.set()
    for version in range(1, 7):
        _build_version(path, batch, months[: version % len(months) + 1], version)
    building.clear()
    stop.set()
    result = queue.get(timeout=60)
    reader.join(timeout=30)
    assert result["reads"] >= 20
    assert result["inconsistent"] == 0
    assert result["lock_errors"] == 0
    # Not blocked: it kept reading while the writer built and swapped (a count, not a time: CI machines are slow).
    assert result["during_builds"] >= 5
