"""A night with nothing new keeps the last build of main.* and its export; anything that can change them rebuilds."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from tasks.context import build_context
from tasks.load.run_load import load_and_publish
from tasks.load.warehouse import connect_read_only
from tasks.publish.exports import latest_export_run


@pytest.fixture()
def context_for(tmp_path, monkeypatch):
    monkeypatch.setenv("OMS_WAREHOUSE", str(tmp_path / "warehouse" / "oms.duckdb"))
    monkeypatch.setenv("OMS_DATA_DIR", str(tmp_path / "data"))
    return lambda run_id: build_context(run_id=run_id)


def _runs(ctx) -> list[tuple]:
    with connect_read_only(ctx.warehouse) as con:
        return con.execute("SELECT run_id, published, publish_inputs IS NOT NULL FROM audit.run "
                           "ORDER BY started_at").fetchall()


def _region_name(ctx, code: str) -> str:
    with connect_read_only(ctx.warehouse) as con:
        return con.execute("SELECT region_name FROM main.region WHERE region_code = ?", [code]).fetchone()[0]


def test_a_night_with_nothing_new_keeps_the_build_and_its_export(context_for) -> None:
    first = context_for("run-1")
    load_and_publish(first, [], [], "test", {}, datetime.now(UTC))
    built = first.warehouse.stat().st_mtime_ns
    with connect_read_only(first.warehouse) as con:
        observation_comment = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'observation' "
                                          "AND schema_name = 'main'").fetchone()

    second = context_for("run-2")
    outcomes = load_and_publish(second, [], [], "test", {}, datetime.now(UTC))

    assert outcomes == []
    assert _runs(second) == [("run-1", True, True), ("run-2", False, True)]  # both audited, one build
    assert latest_export_run(second.exports_dir) == "run-1"
    assert not (second.exports_dir / "run-2").exists()
    assert second.warehouse.stat().st_mtime_ns > built  # the audit row was still swapped in
    with connect_read_only(second.warehouse) as con:  # the build is whole: documented, views in place
        assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'observation' "
                           "AND schema_name = 'main'").fetchone() == observation_comment
        assert con.execute("SELECT count(*) FROM main.region WHERE is_current").fetchone()[0] == 95


def test_an_edit_in_config_rebuilds_and_exports(context_for) -> None:
    load_and_publish(context_for("run-1"), [], [], "test", {}, datetime.now(UTC))
    edited = context_for("run-2")
    # As if config/regions.yaml had renamed Stockholm's county: the reference model changed, nothing else did.
    renamed = tuple(dataclasses.replace(r, name="Stockholms län (edited)") if r.code == "01" else r
                    for r in edited.regions.regions)
    edited.regions = dataclasses.replace(edited.regions, regions=renamed)

    load_and_publish(edited, [], [], "test", {}, datetime.now(UTC))

    assert _runs(edited) == [("run-1", True, True), ("run-2", True, True)]
    assert _region_name(edited, "01") == "Stockholms län (edited)"
    assert latest_export_run(edited.exports_dir) == "run-2"


def test_a_missing_or_failed_export_is_written_on_the_next_quiet_night(context_for) -> None:
    first = context_for("run-1")
    first.exports_dir.parent.mkdir(parents=True)
    first.exports_dir.write_text("not a folder")  # the export after run-1's build fails
    outcomes = load_and_publish(first, [], [], "test", {}, datetime.now(UTC))
    assert [(o.source_id, o.status) for o in outcomes] == [("exports", "failed")]
    first.exports_dir.unlink()

    second = context_for("run-2")
    assert load_and_publish(second, [], [], "test", {}, datetime.now(UTC)) == []

    assert _runs(second)[-1] == ("run-2", False, True)  # main.* kept: run-1's build is still right
    assert latest_export_run(second.exports_dir) == "run-2"  # but its export is written now
