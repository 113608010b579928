"""Idempotent MERGE and build-then-swap on a real DuckDB file, with SCB's recorded TAB6471 batch."""

from __future__ import annotations

import threading
import time

import duckdb
import pytest

from tasks.load.merge import merge_observations
from tasks.load.warehouse import WarehouseBusy, WarehouseUnreadable, building_copy, connect_read_only, writer_lock
from tasks.publish.publish import publish, reference_rows_from_config
from tests.conftest import damage


@pytest.fixture(scope="module")
def batch(county_batch):
    return county_batch


def _table(path, sql: str):
    with connect_read_only(path) as con:
        return con.execute(sql).fetchall()


def test_merge_twice_leaves_the_same_rows(tmp_path, batch) -> None:
    path = tmp_path / "oms.duckdb"
    with building_copy(path) as con:
        assert merge_observations(con, batch, "run1") == len(batch) == 1008
    first = _table(path, "SELECT * EXCLUDE (loaded_run_id) FROM core.observation ORDER BY ALL")
    with building_copy(path) as con:
        assert merge_observations(con, batch, "run2") == 0  # nothing new, nothing changed
    assert _table(path, "SELECT * EXCLUDE (loaded_run_id) FROM core.observation ORDER BY ALL") == first
    assert _table(path, "SELECT count(*) FROM core.observation")[0][0] == 1008


def test_a_revised_value_is_updated_not_duplicated(tmp_path, batch) -> None:
    path = tmp_path / "oms.duckdb"
    with building_copy(path) as con:
        merge_observations(con, batch, "run1")
    revised = batch.copy()
    revised.loc[0, "value"] += 7
    with building_copy(path) as con:
        assert merge_observations(con, revised, "run2") == 1
    assert _table(path, "SELECT count(*), count(DISTINCT loaded_run_id) FROM core.observation")[0] == (1008, 2)


def test_a_failed_build_leaves_the_published_file_as_it_was(tmp_path, batch) -> None:
    path = tmp_path / "oms.duckdb"
    with building_copy(path) as con:
        merge_observations(con, batch, "run1")
        publish(con, reference_rows_from_config())
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="crash halfway"), building_copy(path) as con:
        con.execute("DELETE FROM core.observation")
        publish(con, reference_rows_from_config())
        raise RuntimeError("crash halfway")
    assert path.read_bytes() == before
    assert not path.with_name("oms.duckdb.building").exists()
    assert _table(path, "SELECT count(*) FROM main.observation")[0][0] == 1008


def test_readers_keep_working_while_a_new_version_is_built(tmp_path, batch) -> None:
    path = tmp_path / "oms.duckdb"
    with building_copy(path) as con:
        publish(con, reference_rows_from_config())
    reader = duckdb.connect(str(path), read_only=True)  # an analyst holding the file open
    with building_copy(path) as con:
        merge_observations(con, batch, "run1")
        publish(con, reference_rows_from_config())
    assert reader.execute("SELECT count(*) FROM main.observation").fetchone()[0] == 0  # the old snapshot
    reader.close()
    assert _table(path, "SELECT count(*) FROM main.observation")[0][0] == 1008  # new connections: new state


def test_only_one_writer_at_a_time(tmp_path) -> None:
    path = tmp_path / "oms.duckdb"
    busy = pytest.raises(WarehouseBusy, match="another run is writing .* waited 0.3 s")
    with writer_lock(path), busy, writer_lock(path, wait_seconds=0.3):
        pass


def test_a_second_writer_waits_its_turn(tmp_path) -> None:
    path = tmp_path / "oms.duckdb"
    order: list[str] = []

    def first_writer() -> None:
        with writer_lock(path):
            order.append("first in")
            time.sleep(0.5)
            order.append("first out")

    thread = threading.Thread(target=first_writer)
    thread.start()
    while not order:
        time.sleep(0.01)
    with writer_lock(path, wait_seconds=10):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]


@pytest.mark.parametrize("how", ["truncated", "garbage", "empty", "block"])
def test_every_kind_of_damage_is_named_with_what_to_do(tmp_path, batch, how) -> None:
    warehouse = tmp_path / "oms.duckdb"
    with building_copy(warehouse) as con:
        merge_observations(con, batch, "r1")
        publish(con, reference_rows_from_config())
    damage(warehouse, how)
    with pytest.raises(WarehouseUnreadable, match=r"is damaged \(.*\): rebuild it from the landed answers with "
                                                  r"`oms rebuild`"), building_copy(warehouse) as con:
        publish(con, reference_rows_from_config())
    assert not warehouse.with_name("oms.duckdb.building").exists()
