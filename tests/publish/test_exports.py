"""Parquet exports of a real published warehouse (SCB's recorded TAB6471 batch): files, manifest, latest, pruning."""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tasks.context import build_context
from tasks.load.run_load import load_and_publish
from tasks.load.warehouse import connect_read_only
from tasks.publish.exports import export_published

KNOWN_OBJECTS = {"region", "region_change", "observation", "published_sources", "population_by_region_year",
                 "population_by_sex_age"}


def _published_names(warehouse: Path) -> set[str]:
    with connect_read_only(warehouse) as con:
        rows = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT internal "
                           "UNION ALL SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' "
                           "AND NOT internal AND database_name = current_database()").fetchall()
    return {name for (name,) in rows}


def _rows(warehouse: Path, name: str) -> int:
    with connect_read_only(warehouse) as con:
        return con.execute(f"SELECT count(*) FROM main.{name}").fetchone()[0]


def _parquet_rows(path: str) -> int:
    with duckdb.connect() as con:
        return con.execute("SELECT count(*) FROM read_parquet(?)", [path]).fetchone()[0]


def test_every_published_object_is_exported_with_matching_rows_and_manifest(tmp_path, published_warehouse) -> None:
    result = export_published(published_warehouse, tmp_path / "exports", "run-a")

    assert result.error is None
    folder = tmp_path / "exports" / "run-a"
    names = _published_names(published_warehouse)
    assert names >= KNOWN_OBJECTS
    assert {p.name for p in folder.glob("*.parquet")} == {f"{name}.parquet" for name in names}
    for name in names:
        assert _parquet_rows(str(folder / f"{name}.parquet")) \
            == _rows(published_warehouse, name), name
    assert _parquet_rows(str(folder / "observation.parquet")) == 1008

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] == "run-a"
    assert abs(datetime.fromisoformat(manifest["created_at"]) - datetime.now(UTC)).total_seconds() < 60
    assert {f["name"] for f in manifest["files"]} == {f"{name}.parquet" for name in names}
    for entry in manifest["files"]:
        path = folder / entry["name"]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["rows"] == _rows(published_warehouse, entry["object_name"])
        parquet_columns = duckdb.read_parquet(str(path)).columns
        assert [c["name"] for c in entry["columns"]] == parquet_columns
    observation = next(f for f in manifest["files"] if f["name"] == "observation.parquet")
    assert {"name": "value", "type": "DOUBLE"} in observation["columns"]
    assert manifest["dictionary"]["sha256"] == hashlib.sha256((folder / "dictionary.md").read_bytes()).hexdigest()
    assert "## observation" in (folder / "dictionary.md").read_text(encoding="utf-8")
    assert not list((tmp_path / "exports").glob(".*.partial"))


def test_a_new_published_object_is_exported_without_code_changes(tmp_path, published_warehouse) -> None:
    warehouse = tmp_path / "oms.duckdb"
    shutil.copyfile(published_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE TABLE main.commuters AS SELECT '01' AS region_code, 42 AS commuters")

    assert export_published(warehouse, tmp_path / "exports", "run-b").error is None
    assert duckdb.read_parquet(str(tmp_path / "exports" / "run-b" / "commuters.parquet")).fetchall() == [("01", 42)]


def test_latest_moves_to_each_new_export_and_only_three_are_kept(tmp_path, published_warehouse) -> None:
    exports = tmp_path / "exports"
    for number in range(1, 6):
        result = export_published(published_warehouse, exports, f"run-{number}")
        assert result.error is None
        assert os.readlink(exports / "latest") == f"run-{number}"  # relative: the folder can move
        assert json.loads((exports / "latest" / "manifest.json").read_text())["run_id"] == f"run-{number}"

    assert result.pruned == ["run-2"]
    assert sorted(p.name for p in exports.iterdir() if not p.name.startswith(".")) == [
        "latest", "run-3", "run-4", "run-5"]
    assert not list(exports.glob(".latest.*"))  # no temporary symlink left behind


def test_a_failed_export_is_returned_not_raised(tmp_path, published_warehouse) -> None:
    occupied = tmp_path / "exports"
    occupied.write_text("a file where the exports folder should be")

    result = export_published(published_warehouse, occupied, "run-x")

    assert isinstance(result.error, FileExistsError)
    assert result.folder is None and result.files == []


@pytest.fixture()
def run_context(tmp_path, monkeypatch):
    monkeypatch.setenv("OMS_WAREHOUSE", str(tmp_path / "warehouse" / "oms.duckdb"))
    monkeypatch.setenv("OMS_DATA_DIR", str(tmp_path / "data"))
    return build_context(run_id="run-load")


def test_load_and_publish_exports_after_the_swap(run_context) -> None:
    outcomes = load_and_publish(run_context, [], [], "test", {}, datetime.now(UTC))

    assert outcomes == []
    latest = run_context.exports_dir / "latest"
    assert latest.resolve() == (run_context.exports_dir / "run-load").resolve()
    assert _parquet_rows(str(latest / "region.parquet")) == _rows(run_context.warehouse, "region") >= 95


def test_a_failed_export_keeps_the_publish_and_reports_an_outcome(run_context) -> None:
    run_context.exports_dir.parent.mkdir(parents=True)
    run_context.exports_dir.write_text("not a folder")

    outcomes = load_and_publish(run_context, [], [], "test", {}, datetime.now(UTC))

    assert [(o.source_id, o.status) for o in outcomes] == [("exports", "failed")]
    assert outcomes[0].message.startswith("FileExistsError")
    with connect_read_only(run_context.warehouse) as con:  # the publish and its audit were swapped in
        assert con.execute("SELECT status FROM audit.run WHERE run_id = 'run-load'").fetchone() == ("completed",)
        assert con.execute("SELECT count(*) FROM main.region").fetchone()[0] >= 95  # 7 counties, 88 municipalities


def _read_latest_repeatedly(exports: str, stop, valid_rows: list[int], queue, reads_so_far) -> None:
    """Another process: read latest/observation.parquet as fast as it can until ``stop`` is set; count anything
    that is not whole. ``reads_so_far`` lets the writer see how far it got."""
    latest = os.path.join(exports, "latest")
    parquet = os.path.join(latest, "observation.parquet")
    con = duckdb.connect()
    reads = unresolved = failures = wrong_rows = 0
    while not stop.is_set():
        unresolved += not os.path.exists(latest)  # follows the symlink: False if it dangles or is missing
        try:
            rows, values = con.execute("SELECT count(*), count(value) FROM read_parquet(?)", [parquet]).fetchone()
        except (duckdb.Error, OSError):
            failures += 1
            continue
        reads += 1
        reads_so_far.value = reads
        wrong_rows += rows not in valid_rows or values != rows
    queue.put({"reads": reads, "unresolved": unresolved, "failures": failures, "wrong_rows": wrong_rows})


def test_a_reader_of_latest_never_sees_a_missing_or_partial_file(tmp_path, build_warehouse) -> None:
    # Two warehouse versions with different row counts, exported alternately: a reader may see either, whole.
    small = build_warehouse(tmp_path / "small" / "oms.duckdb", ["2026M01"])
    large = build_warehouse(tmp_path / "large" / "oms.duckdb", None)
    valid_rows = [_rows(small, "observation"), _rows(large, "observation")]
    exports = tmp_path / "exports"
    assert export_published(small, exports, "run-0").error is None

    context = mp.get_context("spawn")
    queue, stop, reads = context.Queue(), context.Event(), context.Value("i", 0)
    reader = context.Process(target=_read_latest_repeatedly, args=(str(exports), stop, valid_rows, queue, reads))
    reader.start()
    # Swaps under reads, for at least 4 s, 10 exports and 100 reads however slow the machine (within 2 min).
    exported, started = 0, time.monotonic()
    while (time.monotonic() - started < 4.0 or exported < 10 or reads.value < 100) and \
            time.monotonic() - started < 120:
        exported += 1
        assert export_published(large if exported % 2 else small, exports, f"run-{exported}").error is None
    stop.set()
    result = queue.get(timeout=30)
    reader.join(timeout=30)

    assert valid_rows == [252, 1008]
    assert exported >= 10 and result["reads"] >= 100
    assert result == {**result, "unresolved": 0, "failures": 0, "wrong_rows": 0}
    assert len([p for p in exports.iterdir() if p.name.startswith("run-")]) == 3
