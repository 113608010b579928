"""The real PxWebApi 2 client (requests) against the loopback replay of SCB's recordings: limits, splitting,
pacing, retries and clear errors. No function is mocked: every call crosses a socket."""

from __future__ import annotations

import math
import time

import pandas as pd
import pytest
import requests

from replay.faults import Fault
from replay.pxweb.server import PxWebReplayServer, ReplayLimits
from tasks.config import load_code_maps, load_sources
from tasks.context import build_context
from tasks.fetch.common.errors import SelectionError
from tasks.fetch.common.http import OFFLINE_HINT, HttpCaller, SourceHTTPError, SourceUnavailable, check_host_resolves
from tasks.fetch.common.observations import Lineage
from tasks.fetch.common.rate_limit import SlidingWindowLimiter
from tasks.fetch.common.region_sets import expand_region_sets
from tasks.fetch.pxweb.client import ApiLimits, PxWebClient, parse_table_metadata, plan_selections
from tasks.fetch.pxweb.jsonstat import parse_jsonstat_dataset
from tasks.fetch.pxweb.split_plan import minimum_calls
from tasks.fetch.pxweb.tidy import tidy_batch
from tasks.fetch.source_batch import fetch_source
from tasks.regions import load_regions

COUNTY_MONTH = next(s for s in load_sources() if s.id == "population_county_month")


def _client(server: PxWebReplayServer, **caller_options) -> PxWebClient:
    options = {"max_attempts": 4, "backoff_seconds": 0.01, "timeout_seconds": 5} | caller_options
    return PxWebClient(HttpCaller(server.base_url, SlidingWindowLimiter(30, 10), requests.Session(), **options))


def _fetch_all(client: PxWebClient) -> tuple[pd.DataFrame, int, int]:
    """Plan and fetch population_county_month; the tidy rows, the data calls made and the cells asked for."""
    limits = client.limits()
    metadata = parse_table_metadata("TAB6471", client.metadata("TAB6471").body)
    selections = plan_selections(COUNTY_MONTH, metadata, load_regions().region_sets(), limits.max_cells,
                                 on_replay=True)
    parts = [(parse_jsonstat_dataset(client.fetch("TAB6471", s).body), Lineage(None, "t", "sha")) for s in selections]
    rows = tidy_batch(parts, COUNTY_MONTH, load_code_maps())
    rows = rows.sort_values(["region_code", "period", "sex", "age"]).reset_index(drop=True)
    return rows, len(selections), sum(s.cells for s in selections)


def test_client_reads_the_announced_limits_and_paces_by_them(shared_dir) -> None:
    with PxWebReplayServer(shared_dir, ReplayLimits(max_cells=2000, max_calls=4, window_seconds=1)) as server:
        client = _client(server)
        assert client.limits() == ApiLimits(max_cells=2000, max_calls=4, window_seconds=1.0)
        assert (client.caller.limiter.max_calls, client.caller.limiter.window_seconds) == (4, 1.0)
        for _ in range(9):  # over two windows' worth: the client must wait, not collect 429s
            client.metadata("TAB5557")
        assert server.count(status=429) == 0
        assert server.count() == 10


@pytest.mark.parametrize("max_cells", [150_000, 500, 231, 100])
def test_split_fetch_equals_one_call_and_stays_near_the_minimum(shared_dir, max_cells: int) -> None:
    with PxWebReplayServer(shared_dir) as server:
        whole, calls, cells = _fetch_all(_client(server))
    assert (calls, cells, len(whole)) == (1, 924, 1008)  # 7 counties x 11 ages x 3 sexes x 4 months (+ totals)
    with PxWebReplayServer(shared_dir, ReplayLimits(max_cells=max_cells)) as server:
        parts, calls, cells = _fetch_all(_client(server))
        assert server.count("data") == calls and server.count(status=400) == 0
    pd.testing.assert_frame_equal(parts, whole)
    assert cells == 924
    assert calls <= minimum_calls(cells, max_cells) + 1  # 924 cells: 1, 2 (500), 4 (231), 10 (100, min 10)
    assert calls >= math.ceil(cells / max_cells)


def test_a_source_planning_more_calls_than_allowed_is_refused_before_any_data_call(shared_dir, tmp_path,
                                                                                   monkeypatch) -> None:
    with PxWebReplayServer(shared_dir, ReplayLimits(max_cells=100)) as server:
        monkeypatch.setenv("OMS_SCB_BASE_URL", server.base_url)
        monkeypatch.setenv("OMS_SCB_MAX_CALLS_PER_SOURCE", "5")
        monkeypatch.setenv("OMS_WAREHOUSE", str(tmp_path / "oms.duckdb"))
        monkeypatch.setenv("OMS_DATA_DIR", str(tmp_path / "data"))
        with pytest.raises(SelectionError, match=r"^population_county_month would make \d+ data calls, more than "
                                                 r"max_calls_per_source \(5\): narrow its selection"):
            fetch_source(build_context(run_id="r"), COUNTY_MONTH)
        assert server.count("metadata") == 1 and server.count("data") == 0


def test_server_refuses_a_call_over_the_cell_limit(shared_dir) -> None:
    with PxWebReplayServer(shared_dir, ReplayLimits(max_cells=100)) as server:
        body = {"selection": [{"variableCode": "Region", "valueCodes": ["*"]},
                              {"variableCode": "Civilstand", "valueCodes": ["SC"]},
                              {"variableCode": "Alder", "valueCodes": ["TotSA"]},
                              {"variableCode": "ContentsCode", "valueCodes": ["*"]},
                              {"variableCode": "Tid", "valueCodes": ["*"]}]}
        response = requests.post(f"{server.base_url}/tables/TAB5557/data", json=body, timeout=5)
    # SCB's server answers 400 "Too many cells selected" (its spec lists 403; the client handles both alike)
    assert response.status_code == 400
    assert response.json()["title"] == "Too many cells selected"
    # 312 regions x 2 contents of SCB's full TAB5557 metadata (the recording holds 290 x 1 of them)
    assert response.json()["detail"] == "The request selects 624 cells; the limit is 100"


def test_429_retry_after_is_honoured(shared_dir) -> None:
    with PxWebReplayServer(shared_dir) as server:
        client = _client(server)
        server.faults.add(Fault("status_429", endpoint="metadata", seconds=1, times=1))
        started = time.monotonic()
        raw = client.metadata("TAB5557")
        waited = time.monotonic() - started
        assert raw.status == 200 and raw.attempts == 2
        assert [r.status for r in server.log] == [429, 200]
        assert waited >= 1.0  # the client waited as long as the server asked


def test_5xx_burst_and_connection_reset_are_retried(shared_dir) -> None:
    with PxWebReplayServer(shared_dir) as server:
        client = _client(server)
        server.faults.add(Fault("status_503", endpoint="metadata", times=2))
        server.faults.add(Fault("reset", endpoint="data", times=1))
        assert client.metadata("TAB5557").attempts == 3
        rows, _, _ = _fetch_all(client)
        assert len(rows) == 1008
        assert [r.status for r in server.log if r.kind == "data"] == [0, 200]  # 0: reset, no answer
        assert client.caller.stats.retries == 3


def test_a_slow_answer_times_out_and_is_retried(shared_dir) -> None:
    with PxWebReplayServer(shared_dir) as server:
        client = _client(server, timeout_seconds=0.5)
        server.faults.add(Fault("slow", endpoint="metadata", seconds=1.5, times=1))
        assert client.metadata("TAB5557").attempts == 2


def test_persistent_failure_names_the_call_and_the_last_problem(shared_dir) -> None:
    with PxWebReplayServer(shared_dir) as server:
        client = _client(server, max_attempts=3)
        server.faults.add(Fault("status_503", endpoint="metadata"))
        with pytest.raises(SourceUnavailable, match=r"TAB5557/metadata still failing after 3 attempts "
                                                    r"\(last: HTTP 503: Injected fault: service unavailable.\)"):
            client.metadata("TAB5557")


def test_unknown_table_is_a_clear_error_not_retried(shared_dir) -> None:
    with PxWebReplayServer(shared_dir) as server:
        client = _client(server)
        with pytest.raises(SourceHTTPError, match="HTTP 404: Table TAB0000 does not exist") as caught:
            client.metadata("TAB0000")
        assert caught.value.status == 404 and server.count() == 1


def test_without_network_the_live_api_fails_at_once_with_the_offline_hint() -> None:
    # .invalid never resolves (RFC 6761), so this holds on machines with network too.
    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match=r"cannot resolve .*oms run --replay"):
        check_host_resolves("https://statistikdatabasen.scb.se.invalid/api/v2", OFFLINE_HINT)
    client = PxWebClient(HttpCaller("https://statistikdatabasen.scb.se.invalid/api/v2", SlidingWindowLimiter(30, 10),
                                    offline_hint=OFFLINE_HINT))
    with pytest.raises(SourceUnavailable, match=r"no network\?\). To run offline"):
        client.limits()
    assert client.caller.stats.calls == 1  # not retried: a name that does not resolve will not resolve in 30 s
    assert time.monotonic() - started < 5


def test_an_eliminated_variable_is_summed_and_not_counted_against_the_cell_limit(shared_dir) -> None:
    """TAB2538 without Hustyp: SCB sums the two house types; the answer has 88 x 51 cells, within 5,000."""
    with PxWebReplayServer(shared_dir, ReplayLimits(max_cells=5_000)) as server:
        body = {"selection": [{"variableCode": "Region", "valueCodes": ["0380", "0330"]},
                              {"variableCode": "ContentsCode", "valueCodes": ["BO0101A5"]},
                              {"variableCode": "Tid", "valueCodes": ["2020"]}]}
        summed = requests.post(f"{server.base_url}/tables/TAB2538/data", json=body, timeout=5).json()
        body["selection"].append({"variableCode": "Hustyp", "valueCodes": ["*"]})
        by_type = requests.post(f"{server.base_url}/tables/TAB2538/data", json=body, timeout=5).json()
    assert summed["id"] == ["Region", "ContentsCode", "Tid"]
    assert summed["value"] == [by_type["value"][0] + by_type["value"][1], by_type["value"][2] + by_type["value"][3]]


def test_the_client_reads_scbs_full_metadata_of_every_recorded_table(shared_dir) -> None:
    """The emulator serves SCB's own metadata documents; the client reads every one of them as SCB wrote it, and
    the named region sets expand against the full code lists (e.g. 7 counties among TAB6471's 312 regions)."""
    regions = load_regions().region_sets()
    with PxWebReplayServer(shared_dir, ReplayLimits(max_calls=10_000, window_seconds=1)) as server:
        client = _client(server)
        tables = [t for t in server.recordings.tables.values() if t.metadata_recorded and "sv" in t.languages]
        assert len(tables) >= 15
        for table in tables:
            metadata = parse_table_metadata(table.table_id, client.metadata(table.table_id).body)
            scb = table.metadata["sv"]
            assert list(metadata.variables) == scb["id"], table.table_id
            assert [len(codes) for codes in metadata.variables.values()] == scb["size"], table.table_id
        tab6471 = parse_table_metadata("TAB6471", client.metadata("TAB6471").body)
    assert len(tab6471.variables["Region"]) == 312
    counties = expand_region_sets(["$counties"], tab6471.variables["Region"], regions)
    assert counties == ["01", "03", "04", "05", "18", "19", "21"]
    municipalities = expand_region_sets(["$municipalities"], tab6471.variables["Region"], regions)
    assert len(municipalities) == 88  # today's 88; Heby's old code 1917 is not in a table from 2025
