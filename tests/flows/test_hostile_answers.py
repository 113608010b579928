"""Hostile and broken answers through a real nightly run: the source that got one is quarantined alone, the other
sources of the run are published, no wrong number is published, and the bad answer never poisons the next night.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.pipeline import RunFailed, nightly
from replay.faults import Fault
from replay.pxweb.server import PxWebReplayServer, ReplayLimits
from tasks.load.warehouse import connect_read_only
from tests.conftest import recorded_sum

HOSTILE = "population_municipality_year"  # TAB5557: 88 municipalities, 31 Dec 2025
HEALTHY = "population_county_month"  # TAB6471, in the same run
HUDIKSVALL, VALLENTUNA = "2184", "0115"


@pytest.fixture(scope="module")
def replay_server(shared_dir: Path) -> Iterator[PxWebReplayServer]:
    with PxWebReplayServer(shared_dir, ReplayLimits(max_calls=10_000, window_seconds=1)) as server:
        yield server


def _query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    with connect_read_only(warehouse) as con:
        return con.execute(sql, params or []).fetchall()


def _population(warehouse: Path, region: str) -> list[tuple]:
    return _query(warehouse, "SELECT value, status, value_origin FROM main.observation WHERE indicator_id = "
                             "'population' AND region_code = ? AND period = '2025' AND sex = 'total' AND "
                             "age = 'total' AND breakdown = ''", [region])


def _set_status_past_the_end(document: dict) -> None:
    document["status"] = {str(len(document["value"])): ".."}


def _nan_for_vallentuna(document: dict) -> None:
    position = document["dimension"]["Region"]["category"]["index"][VALLENTUNA]
    document["value"][position] = float("nan")  # json.dumps writes NaN, which JSON does not have


def _string_category_index(document: dict) -> None:
    region = document["dimension"]["Region"]["category"]["index"]
    first = next(iter(region))
    region[first] = str(region[first])


@pytest.mark.parametrize("fault", [
    Fault("sparse_value", table="TAB5557", value="-1"),  # JSON-stat's sparse form, a key no cell has
    Fault("sparse_value", table="TAB5557", value="88"),  # one past the 88 municipalities
    Fault("edit", table="TAB5557", edit=_set_status_past_the_end),
    Fault("edit", table="TAB5557", edit=_string_category_index),
    Fault("body", table="TAB5557", body=b"[" * 200_000),
    Fault("edit", table="TAB5557", edit=_nan_for_vallentuna),
], ids=["sparse-key-minus-1", "sparse-key-past-end", "status-past-end", "string-category-index",
        "deep-brackets", "nan-value"])
def test_a_hostile_answer_quarantines_its_source_alone_and_does_not_poison_the_next_night(
        pipeline_env, replay_server, shared_dir, fault) -> None:
    warehouse = pipeline_env / "warehouse" / "oms.duckdb"
    # Night 1: the hostile answer comes first. Its source is quarantined; the healthy one is published.
    replay_server.faults.add(fault)
    with pytest.raises(RunFailed, match=f"{HOSTILE} quarantined: response could not be parsed"):
        nightly(sources=[HOSTILE, HEALTHY])
    assert _batches(warehouse) == {HOSTILE: "quarantined", HEALTHY: "loaded"}
    assert _query(warehouse, "SELECT count(*) FROM main.observation WHERE source_id = ?", [HEALTHY])[0][0] == 1008
    assert _population(warehouse, HUDIKSVALL) == []

    # Night 2, without --force: the quarantined answer is not reused as if it were good; SCB's is fetched.
    replay_server.faults.clear()
    replay_server.reset_log()
    (outcome,) = nightly(sources=[HOSTILE]).outcomes
    assert (replay_server.count("data", status=200), outcome.status) == (1, "loaded")
    published = {region: _population(warehouse, region) for region in (HUDIKSVALL, VALLENTUNA, "21", "01")}
    assert published[HUDIKSVALL][0][0] == _recorded_hudiksvall(shared_dir)

    # Night 3, forced, hostile again: nothing of it is published, the previous values stay.
    replay_server.faults.add(fault)
    with pytest.raises(RunFailed):
        nightly(sources=[HOSTILE, HEALTHY], force=True)
    assert {region: _population(warehouse, region) for region in published} == published
    assert _batches(warehouse) == {HOSTILE: "quarantined", HEALTHY: "unchanged"}  # fetched again, same values


def _recorded_hudiksvall(shared_dir: Path) -> float:
    """SCB's figure as recorded (atlas290's TAB5557 answer), decoded by the test's own reader."""
    return recorded_sum(shared_dir / "scb/v2/recorded-by-atlas290/TAB5557_ac392dca4f25fab2.json", Region=HUDIKSVALL)


def _batches(warehouse: Path) -> dict[str, str]:
    return dict(_query(warehouse, "SELECT source_id, status FROM audit.batch WHERE run_id = (SELECT run_id "
                                  "FROM audit.run ORDER BY started_at DESC LIMIT 1)"))


def test_the_quarantine_mark_lives_beside_the_landed_answer(pipeline_env, replay_server) -> None:
    replay_server.faults.add(Fault("sparse_value", table="TAB5557", value="-1"))
    with pytest.raises(RunFailed):
        nightly(sources=[HOSTILE])
    marks = list((pipeline_env / "data" / "landing" / HOSTILE).rglob("*.rejected"))
    assert len(marks) == 1
    assert json.loads(marks[0].read_text(encoding="utf-8"))["reason"] == "response could not be parsed"
