"""The run audit in the warehouse and the Prefect artifact say exactly what happened; parallel fetches share one
rate limit."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest

from flows.pipeline import RunFailed, nightly
from replay.faults import Fault
from replay.pxweb.server import PxWebReplayServer, ReplayLimits
from tasks.load.warehouse import connect_read_only

SOURCES = ["population_county_month", "population_municipality_year", "population_county_sex_2007_2008"]


def _audit(warehouse: Path, run_id: str) -> tuple[tuple, dict[str, tuple]]:
    with connect_read_only(warehouse) as con:
        run = con.execute("SELECT flow, status, calls, message, parameters FROM audit.run WHERE run_id = ?",
                          [run_id]).fetchone()
        batches = con.execute("SELECT source_id, source_table, periods, calls, rows_fetched, rows_rejected, "
                              "rows_loaded, rows_published, validation, status FROM audit.batch WHERE run_id = ?",
                              [run_id]).fetchall()
    return run, {row[0]: row[1:] for row in batches}


def _run_report_artifact(run_id: str) -> list[dict]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["run-report"]), flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(run_id)])))
    data = artifact.data
    return json.loads(data) if isinstance(data, str) else data


def test_audit_and_artifact_record_each_source_as_it_happened(pipeline_env, replay_server) -> None:
    warehouse = pipeline_env / "warehouse" / "oms.duckdb"
    first = nightly(sources=SOURCES)
    replay_server.reset_log()
    # Second night: SCB has republished TAB5557, and its answer holds a region nobody knows; the other two
    # tables have not changed.
    replay_server.republish("TAB5557", "2026-11-24T07:00:00Z")
    replay_server.faults.add(Fault("unknown_region", table="TAB5557", dimension="Region", value="0399"))
    with pytest.raises(RunFailed, match="population_municipality_year quarantined"):
        nightly(sources=SOURCES)
    with connect_read_only(warehouse) as con:
        (second_id,) = con.execute("SELECT run_id FROM audit.run WHERE run_id <> ?", [first.run_id]).fetchone()

    run, batches = _audit(warehouse, first.run_id)
    assert run[:3] == ("oms-nightly", "completed", 6) and run[3] is None
    assert batches == {
        "population_county_month": ("TAB6471", "2026M01..2026M04", 2, 1008, 0, 1008, 1008, "passed", "loaded"),
        # 88 municipalities loaded; published with the 7 county totals summed from them (TAB5557 has no counties)
        "population_municipality_year": ("TAB5557", "2025..2025", 2, 88, 0, 88, 95, "passed", "loaded"),
        "population_county_sex_2007_2008": ("Autopen_BE0101N1", "2007..2008", 2, 42, 0, 42, 42, "passed",
                                            "loaded")}

    run, batches = _audit(warehouse, second_id)
    assert run[:3] == ("oms-nightly", "failed", 4)  # 3 metadata calls and the one refetch of TAB5557
    assert run[3] == "population_municipality_year: quarantined"
    assert json.loads(run[4])["sources"] == SOURCES
    assert batches == {
        "population_county_month": ("TAB6471", "2026M01..2026M04", 1, 0, 0, 0, 1008, "not run", "unchanged"),
        "population_municipality_year": ("TAB5557", "2025..2025", 2, 88, 88, 0, None, "failed", "quarantined"),
        "population_county_sex_2007_2008": ("Autopen_BE0101N1", "2007..2008", 1, 0, 0, 0, 42, "not run",
                                            "unchanged")}
    # What the server saw is what the audit says: per source one metadata call, one data call for TAB5557 only.
    assert replay_server.count("metadata", status=200) == 3 and replay_server.count("data", status=200) == 1

    report = {row["source_id"]: row for row in _run_report_artifact(second_id)}
    assert {k: (v["status"], v["rows_fetched"], v["rows_rejected"]) for k, v in report.items()} == {
        "population_county_month": ("unchanged", 0, 0), "population_municipality_year": ("quarantined", 88, 88),
        "population_county_sex_2007_2008": ("unchanged", 0, 0)}


def test_parallel_fetches_share_one_rate_limit(shared_dir, pipeline_env, monkeypatch) -> None:
    """Four sources fetched side by side against a server allowing 3 calls per second: no call is refused."""
    with PxWebReplayServer(shared_dir, ReplayLimits(max_calls=3, window_seconds=1)) as strict:
        monkeypatch.setenv("OMS_SCB_BASE_URL", strict.base_url)
        sources = [*SOURCES, "population_age38_municipality_2002_2005"]
        summary = nightly(sources=sources)
        assert [o.status for o in summary.outcomes] == ["loaded"] * 4
        # /config + 4 x (metadata + data), and the server, counting like SCB, never had to refuse one
        assert strict.count() == 9 and strict.count(status=429) == 0
