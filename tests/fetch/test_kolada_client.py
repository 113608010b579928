"""The real Kolada v3 client (requests) against the loopback replay of the Kolada values in ../shared/kolada: paging,
chunking, from_date, retries and clear errors. No function is mocked: every call crosses a socket.

The numbers are Kolada's, as rKolada recorded them (shared/kolada/PROVENANCE.md): e.g. kolada_v3_values_kld_data
row "T,1,,777.735791,N03702,2012,0180,Stockholm,K".
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import requests

from replay.faults import Fault
from replay.kolada.server import KoladaReplayServer
from replay.loopback import CallWindow
from tasks.fetch.common.errors import ResponseFormatError
from tasks.fetch.common.http import HttpCaller, SourceHTTPError
from tasks.fetch.common.rate_limit import SlidingWindowLimiter
from tasks.fetch.kolada.client import (
    KoladaClient,
    data_paths,
    kolada_id_for_region,
    minimum_kolada_calls,
    next_page_url,
    parse_kolada_values,
    parse_kpi_metadata,
    region_code_from_kolada,
)

BIG_CITIES = ["0180", "1280", "1480"]  # kld_data: N03702/N03703, 2012-2019
ARBOGA_PEERS = ["0319", "0562", "0687", "1082", "1083", "1885", "1984", "2084"]  # grp_data: N03702/N03703, 2012-2023
UNRECORDED = ["0114", "0115", "0117", "0120", "0123", "0125", "0126", "0127", "0128", "0136", "0138", "0139",
              "0140", "0160", "0162", "0163", "0181", "0182", "0183"]  # real municipalities without recorded values


@pytest.fixture(scope="module")
def running_server(shared_dir: Path) -> Iterator[KoladaReplayServer]:
    with KoladaReplayServer(shared_dir) as replay:  # Kolada's advised pace: 5 calls per second
        yield replay


@pytest.fixture()
def server(running_server: KoladaReplayServer) -> KoladaReplayServer:
    """One server for the module (stopping one takes 0.5 s), fresh for each test: no faults, log or past calls."""
    running_server.faults.clear()
    running_server.reset_log()
    running_server.window = CallWindow(running_server.window.max_calls, running_server.window.window_seconds)
    return running_server


def _client(server: KoladaReplayServer, per_page: int = 5000, **caller_options) -> KoladaClient:
    options = {"max_attempts": 4, "backoff_seconds": 0.01, "timeout_seconds": 5} | caller_options
    # Exactly the server's 5 per 1 s: the limiter times each call from its answer, so no margin is needed.
    caller = HttpCaller(server.base_url, SlidingWindowLimiter(5, 1), requests.Session(), **options)
    return KoladaClient(caller, per_page=per_page)


def _rows(client: KoladaClient, *args, **kwargs) -> pd.DataFrame:
    pages = [parse_kolada_values(raw.body) for raw in client.data_pages(*args, **kwargs)]
    return pd.concat(pages, ignore_index=True)


def test_stockholm_grp_2012_is_the_recorded_value(server: KoladaReplayServer) -> None:
    rows = _rows(_client(server), ["N03702"], ["0180"], [2012])
    assert rows.to_dict("records") == [{"kpi": "N03702", "kolada_id": "0180", "period": "2012", "gender": "T",
                                        "value": 777.735791, "status": None, "count": 1, "isdeleted": False}]
    assert server.count("data") == 1


def test_pages_concatenate_to_the_rows_of_one_page(server: KoladaReplayServer) -> None:
    args = (["N03702", "N03703"], BIG_CITIES, list(range(2012, 2020)))
    client = _client(server)
    whole = _rows(client, *args)
    assert len(whole) == 48  # 2 KPIs x 3 cities x 8 years, gender T only
    assert whole.loc[(whole.kpi == "N03703") & (whole.kolada_id == "0180") & (whole.period == "2012"),
                     "value"].item() == 1038.0
    paged = _rows(KoladaClient(client.caller, per_page=7), *args)  # one caller, one limiter, as in a run
    assert server.count("data") == 1 + math.ceil(48 / 7) == 8
    assert server.count(status=429) == 0  # paced at 5/s by the client, never refused
    pd.testing.assert_frame_equal(paged, whole)


def test_thirty_regions_go_in_two_chunks_and_each_chunk_pages(server: KoladaReplayServer) -> None:
    regions = BIG_CITIES + UNRECORDED + ARBOGA_PEERS  # ids 1-25: 3 cities + 3 peers (60 rows); 26-30: 5 peers (60)
    years = list(range(2012, 2024))
    paths = data_paths(["N03702"], regions, years)
    assert len(paths) == 2 == minimum_kolada_calls(1, 30, 12)
    assert all(len(p.split("/municipality/")[1].split("/")[0].split(",")) <= 25 for p in paths)
    rows = _rows(_client(server, per_page=25), ["N03702"], regions, years)
    assert len(rows) == 120 and rows.value.notna().all()
    assert rows.loc[(rows.kolada_id == "0319") & (rows.period == "2023"), "value"].item() == 333.368157
    assert server.count("data") == math.ceil(60 / 25) + math.ceil(60 / 25) == 6


def test_more_than_25_years_are_chunked_too(server: KoladaReplayServer) -> None:
    # Kolada caps every path segment at 25 ids, years included: 1990-2024 takes two calls.
    rows = _rows(_client(server), ["N00945"], BIG_CITIES, list(range(1990, 2025)))
    assert server.count("data") == 2
    assert len(rows) == 63  # 3 cities x 2000-2020, the years rKolada recorded
    assert rows.loc[(rows.kolada_id == "0180") & (rows.period == "2020"), "value"].item() == 40.8


def test_server_refuses_26_ids_in_a_segment(server: KoladaReplayServer) -> None:
    ids = ",".join(BIG_CITIES + UNRECORDED + ["0184", "0186", "0187", "0188"])
    response = requests.get(f"{server.base_url}/data/kpi/N03702/municipality/{ids}/year/2012", timeout=5)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["detail"] == ("the municipality segment lists 26 ids; at most 25 are allowed per path "
                                         "segment")


def test_from_date_after_the_recording_finds_nothing_changed(server: KoladaReplayServer) -> None:
    client = _client(server)
    assert len(_rows(client, ["N03702"], BIG_CITIES, [2012], from_date="2026-04-01")) == 0
    assert len(_rows(client, ["N03702"], BIG_CITIES, [2012], from_date="2025-01-01")) == 3
    with pytest.raises(ValueError, match="from_date must be YYYY-MM-DD"):
        next(client.data_pages(["N03702"], BIG_CITIES, [2012], from_date="1 April"))
    assert server.count("data") == 2  # the bad date never left the client


def test_kpis_regions_and_years_without_values_get_an_empty_list(server: KoladaReplayServer) -> None:
    raw = next(_client(server).data_pages(["N00003"], ["0180"], [1995]))
    assert json.loads(raw.body) == {"count": 0, "values": [], "next_url": None}
    assert list(parse_kolada_values(raw.body).columns) == ["kpi", "kolada_id", "period", "gender", "value",
                                                           "status", "count", "isdeleted"]


def test_kpi_metadata_reads_the_catalogue(server: KoladaReplayServer) -> None:
    client = _client(server)
    metadata = parse_kpi_metadata(client.kpi_metadata(["N03702", "N00945", "N99999"]).body)
    assert sorted(metadata) == ["N00945", "N03702"]  # an unknown id is left out, as Kolada does
    assert metadata["N03702"]["title"] == "Bruttoregionprodukt, kommun (BRP), 1000 kr/invånare"
    assert (metadata["N03702"]["publ_period"], metadata["N03702"]["publication_date"]) == ("2024", "2027-01-08")
    assert metadata["N03702"]["is_divided_by_gender"] is False and metadata["N00945"]["municipality_type"] == "A"
    with pytest.raises(ValueError, match="26 KPI ids in one call"):
        client.kpi_metadata([f"N{n:05d}" for n in range(26)])
    assert server.count("metadata") == 1


def test_the_catalogue_pages_by_next_url(server: KoladaReplayServer) -> None:
    first = requests.get(f"{server.base_url}/kpi", params={"per_page": 5000}, timeout=5).content
    second = requests.get(next_page_url(first), timeout=5).content
    assert (len(json.loads(first)["values"]), len(json.loads(second)["values"])) == (5000, 1099)  # 6,099 KPIs
    assert next_page_url(second) is None


def test_the_call_window_answers_429_and_the_client_waits(server: KoladaReplayServer) -> None:
    url = f"{server.base_url}/data/kpi/N03702/municipality/0180/year/2012"
    statuses = [requests.get(url, timeout=5) for _ in range(6)]
    assert [r.status_code for r in statuses] == [200] * 5 + [429]
    assert statuses[-1].headers["Retry-After"] == "1"
    client = _client(server)
    client.caller.limiter = SlidingWindowLimiter(100, 1)  # too fast on purpose: only Retry-After holds it back
    started = time.monotonic()
    raw = next(client.data_pages(["N03702"], ["0180"], [2012]))
    assert raw.attempts == 2 and parse_kolada_values(raw.body).value.item() == 777.735791
    assert time.monotonic() - started >= 0.5


def test_503_burst_and_connection_reset_are_retried(server: KoladaReplayServer) -> None:
    client = _client(server)
    server.faults.add(Fault("status_503", endpoint="data", times=2))
    server.faults.add(Fault("reset", endpoint="metadata", times=1))
    assert next(client.data_pages(["N03702"], ["0180"], [2012])).attempts == 3
    assert client.kpi_metadata(["N03702"]).attempts == 2
    assert [r.status for r in server.log] == [503, 503, 200, 0, 200]  # 0: reset, no answer


@pytest.mark.parametrize(("fault", "message"), [
    (Fault("html_200", endpoint="data", times=1), r"is an HTML page, not JSON \(page title: 'Statistikdatabasen"),
    (Fault("truncate", endpoint="data", times=1), r"is not valid JSON \(.*\): truncated or corrupted"),
])
def test_a_broken_page_is_yielded_then_gives_a_readable_error(server: KoladaReplayServer, fault: Fault,
                                                              message: str) -> None:
    server.faults.add(fault)
    pages = _client(server).data_pages(["N03702"], BIG_CITIES, [2012])
    broken = next(pages)  # yielded as received, so the pipeline can land it before anything parses it
    with pytest.raises(ResponseFormatError, match=message):
        parse_kolada_values(broken.body, "Kolada data N03702")
    with pytest.raises(ResponseFormatError, match=message):
        next(pages)  # the next page's address cannot be read from it either


def test_json_stat_content_faults_are_refused_loudly(server: KoladaReplayServer) -> None:
    server.faults.add(Fault("missing_values", endpoint="data", times=1))
    with pytest.raises(SourceHTTPError, match="HTTP 501: content fault 'missing_values' is json-stat2 specific"):
        next(_client(server).data_pages(["N03702"], ["0180"], [2012]))


def test_parser_keeps_status_text_and_null_values() -> None:
    body = json.dumps({"count": 1, "values": [{"kpi": "N00945", "municipality": "0001", "period": 2020, "values": [
        {"gender": "K", "status": "", "value": 12.5, "count": 1},
        {"gender": "M", "status": "Uppgift saknas", "value": None, "count": 0}], "isdeleted": False}]}).encode()
    rows = parse_kolada_values(body)
    assert rows.gender.tolist() == ["K", "M"] and rows.status.tolist() == [None, "Uppgift saknas"]
    assert rows.value.iloc[0] == 12.5 and math.isnan(rows.value.iloc[1])


@pytest.mark.parametrize(("body", "message"), [
    (b'{"count": 0}', "JSON without a 'values' list"),
    (b'{"values": [{"kpi": "N1", "municipality": "0180", "period": 2020, "values": [{"gender": "X"}]}]}',
     r"values\[0\]\.values\[0\]: gender 'X' is not one of T, K, M"),
    (b'{"values": [{"kpi": "N1", "ou": "V1", "period": 2020, "values": []}]}', r"lacks \['municipality'\]"),
    (b'{"values": [{"kpi": "N1", "municipality": "0180", "period": "2020", "values": [{"gender": "T", '
     b'"value": "7,5"}]}]}', r"value '7,5' is not a number"),
])
def test_parser_errors_say_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(ResponseFormatError, match=message):
        parse_kolada_values(body)


def test_next_page_url_reads_next_url_and_the_v2_name() -> None:
    assert next_page_url(b'{"values": [], "next_url": "https://api.kolada.se/v3/kpi?page=2"}') \
        == "https://api.kolada.se/v3/kpi?page=2"
    assert next_page_url(b'{"values": [], "next_page": "https://api.kolada.se/v3/kpi?page=2"}') \
        == "https://api.kolada.se/v3/kpi?page=2"
    assert next_page_url(b'{"values": []}') is None
    with pytest.raises(ResponseFormatError, match="next_url is not an absolute URL: '/v3/kpi"):
        next_page_url(b'{"values": [], "next_url": "/v3/kpi?page=2"}')


@pytest.mark.parametrize(("kolada_id", "code"), [("0000", "00"), ("0001", "01"), ("0021", "21"), ("0009", "09"),
                                                 ("0180", "0180"), ("2084", "2084")])
def test_region_codes_map_both_ways(kolada_id: str, code: str) -> None:
    assert region_code_from_kolada(kolada_id) == code
    assert kolada_id_for_region(code) == kolada_id


@pytest.mark.parametrize("bad", ["G123456", "180", "01801", ""])
def test_region_code_mapping_refuses_what_is_not_a_region(bad: str) -> None:
    with pytest.raises(ValueError):
        region_code_from_kolada(bad)
    with pytest.raises(ValueError):
        kolada_id_for_region(bad)
