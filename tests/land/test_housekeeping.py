"""The landing does not grow without bound nor keep leftovers that look like answers; answers landed by runs that
were killed before their load are found and recorded in the audit."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from tasks.context import build_context
from tasks.fetch.common.http import RawResponse
from tasks.land.housekeeping import DAY, prune_metadata, remove_stale_partials
from tasks.land.landing import land_raw_response, landed_sidecars
from tasks.load.audit import audited_landings, record_unaudited_landings
from tasks.load.run_load import load_and_publish
from tasks.load.warehouse import apply_sql_files, schema_statements


def _land(landing: Path, kind: str, body: bytes, fetched_at: str, request: str = "/tables/TAB6471/metadata?lang=sv"):
    raw = RawResponse(url=f"http://127.0.0.1:1/api/v2{request}", method="GET", request_body=None, status=200,
                      content_type="application/json", body=body, fetched_at=fetched_at, attempts=1)
    return land_raw_response(raw, landing_dir=landing, source_id="population_county_month", table="TAB6471",
                             kind=kind, source_updated="2026-06-08T06:00:00Z", run_id="r1")


def _age(path: str, days: float) -> None:
    stamp = time.time() - days * DAY
    os.utime(path, (stamp, stamp))


def test_old_metadata_answers_are_pruned_but_the_newest_and_all_data_stay(tmp_path: Path) -> None:
    old = _land(tmp_path, "metadata", b'{"v": 1}', "2026-09-01T03:00:00.000Z")
    newer = _land(tmp_path, "metadata", b'{"v": 2}', "2026-10-01T03:00:00.000Z")
    newest = _land(tmp_path, "metadata", b'{"v": 3}', "2026-11-30T03:00:00.000Z")
    data = _land(tmp_path, "data", b'{"d": 1}', "2026-09-01T03:00:00.000Z", "/tables/TAB6471/data?lang=sv")
    for landed, days in ((old, 92), (newer, 62), (newest, 2), (data, 92)):
        _age(landed.path, days)
    pruned = prune_metadata(landed_sidecars(tmp_path), retention_days=35)
    assert sorted(p.path for p in pruned) == sorted([old.path, newer.path])
    assert not Path(old.path).exists() and not Path(old.path + ".meta.json").exists()
    assert Path(newest.path).exists() and Path(data.path).exists()
    _age(newest.path, 400)
    # The newest answer of a request is always kept.
    assert prune_metadata(landed_sidecars(tmp_path), retention_days=35) == []


def test_partial_files_older_than_the_run_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "population_county_month" / "abc"
    folder.mkdir(parents=True)
    stale, fresh = folder / "a.json.partial", folder / "b.json.partial"
    stale.write_bytes(b"{")
    fresh.write_bytes(b"{")
    _age(str(stale), 1)
    assert remove_stale_partials(tmp_path, older_than=time.time() - 3600) == 1
    assert not stale.exists() and fresh.exists()


def test_answers_landed_by_a_killed_run_are_recorded_by_the_next_load(tmp_path: Path) -> None:
    landed = [_land(tmp_path, "data", f'{{"d": {i}}}'.encode(), f"2026-11-0{i}T03:00:00.000Z",
                    f"/tables/TAB6471/data?n={i}") for i in range(1, 4)]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        apply_sql_files(con, schema_statements())
        assert record_unaudited_landings(con, tmp_path) == 3
        assert record_unaudited_landings(con, tmp_path) == 0  # once only
        paths = {row[0] for row in con.execute("SELECT path FROM audit.landing").fetchall()}
        assert paths == {item.path for item in landed}
        # What the audit holds is what a landing's sidecar says, field for field.
        assert sorted(audited_landings(con, "data"), key=lambda item: item.path) == sorted(
            landed, key=lambda item: item.path)


def test_sidecars_of_answers_the_audit_knows_are_not_read(tmp_path: Path) -> None:
    first, second = (_land(tmp_path, "data", f'{{"d": {i}}}'.encode(), f"2026-11-0{i}T03:00:00.000Z",
                           f"/tables/TAB6471/data?n={i}") for i in (1, 2))
    Path(first.path + ".meta.json").write_text("{not json")  # were it read, it would not parse
    assert landed_sidecars(tmp_path, known={first.path}) == [second]
    assert landed_sidecars(tmp_path) == [second]  # read, it is skipped as damaged


def test_a_metadata_answer_whose_body_is_gone_is_recorded_as_pruned(tmp_path: Path) -> None:
    older = _land(tmp_path, "metadata", b'{"v": 1}', "2026-09-01T03:00:00.000Z")
    newest = _land(tmp_path, "metadata", b'{"v": 2}', "2026-11-30T03:00:00.000Z")
    Path(older.path).unlink()  # removed by hand; the audit still lists it
    assert prune_metadata([older, newest], retention_days=35) == [older]
    assert not Path(older.path + ".meta.json").exists() and Path(newest.path).exists()


def test_a_run_prunes_the_old_metadata_answers_its_audit_records(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OMS_WAREHOUSE", str(tmp_path / "warehouse" / "oms.duckdb"))
    monkeypatch.setenv("OMS_DATA_DIR", str(tmp_path / "data"))
    ctx = build_context(run_id="r1")
    old = _land(ctx.landing_dir, "metadata", b'{"v": 1}', "2026-09-01T03:00:00.000Z")
    newest = _land(ctx.landing_dir, "metadata", b'{"v": 2}', "2026-11-30T03:00:00.000Z")
    _age(old.path, 92)
    killed = _land(ctx.landing_dir, "data", b'{"d": 1}', "2026-11-30T03:00:01.000Z", "/tables/TAB6471/data?n=1")
    load_and_publish(ctx, [], [], "test", {}, datetime.now(UTC), [old, newest])  # `killed`: no run recorded it
    with duckdb.connect(str(ctx.warehouse), read_only=True) as con:
        pruned = dict(con.execute("SELECT path, pruned_at IS NOT NULL FROM audit.landing").fetchall())
    assert pruned == {old.path: True, newest.path: False, killed.path: False}
    assert not Path(old.path).exists() and Path(newest.path).exists() and Path(killed.path).exists()
