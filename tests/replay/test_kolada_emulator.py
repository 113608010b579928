"""The Kolada v3 emulator against Kolada's documented shapes (shared/README.md, kolada/): the paged envelope
{count, values, next_url}, at most 25 ids per path segment, per_page up to 5000, from_date; every malformed request
answered with a 4xx, never a dropped connection or a 5xx (hypothesis fuzzes the paths and parameters)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from replay.kolada.server import KoladaReplayServer


@pytest.fixture(scope="module")
def kolada(shared_dir: Path) -> Iterator[KoladaReplayServer]:
    with KoladaReplayServer(shared_dir, max_calls=10_000_000, window_seconds=1) as server:
        yield server


def _get(kolada: KoladaReplayServer, path: str, **params) -> requests.Response:
    return requests.get(kolada.base_url + path, params=params, timeout=30)


def test_every_page_is_the_documented_envelope_and_the_chain_ends(kolada) -> None:
    whole = _get(kolada, "/data/kpi/N03702,N03703/year/2015,2016,2017").json()
    rows, url, pages = [], kolada.base_url + "/data/kpi/N03702,N03703/year/2015,2016,2017?per_page=7", 0
    while url:
        page = requests.get(url, timeout=30).json()
        assert set(page) == {"count", "values", "next_url"} and page["count"] == len(page["values"]) <= 7
        rows += page["values"]
        url, pages = page["next_url"], pages + 1
    assert rows == whole["values"] and pages == -(-len(rows) // 7) and whole["next_url"] is None
    assert all(set(row) == {"kpi", "municipality", "period", "values", "isdeleted"} for row in rows)
    assert all(set(cell) == {"gender", "status", "value", "count"} for row in rows for cell in row["values"])


@pytest.mark.parametrize(("path", "params"), [
    ("/data/kpi/" + ",".join(f"N{i:05d}" for i in range(26)) + "/year/2020", {}),  # 26 ids in one segment
    ("/data/kpi/N03702/year/2020", {"per_page": "5001"}),
    ("/data/kpi/N03702/year/2020", {"per_page": "0"}),
    ("/data/kpi/N03702/year/2020", {"per_page": "abc"}),
    ("/data/kpi/N03702/year/2020", {"page": "-1"}),
    ("/data/kpi/N03702/year/20x0", {}),
    ("/data/kpi/N03702", {}),  # only one of kpi, municipality, year
    ("/data/kpi/N03702/year/2020", {"from_date": "2026-02-30"}),
])
def test_requests_kolada_refuses_get_a_400_problem(kolada, path, params) -> None:
    answer = _get(kolada, path, **params)
    assert answer.status_code == 400 and answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["detail"]


def test_a_page_past_the_end_is_empty_and_last(kolada) -> None:
    page = _get(kolada, "/data/kpi/N03702/year/2015", page="99").json()
    assert page == {"count": 0, "values": [], "next_url": None}


def test_other_methods_get_405(kolada) -> None:
    answer = requests.post(kolada.base_url + "/kpi/N03702", timeout=10)
    assert (answer.status_code, answer.headers["Allow"]) == (405, "GET")


SEGMENT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(parts=st.lists(SEGMENT, max_size=6), params=st.dictionaries(
    st.sampled_from(["per_page", "page", "from_date", "region_type", "title"]), SEGMENT, max_size=3))
def test_any_path_or_parameter_gets_an_http_answer_below_500(kolada, parts, params) -> None:
    path = "/" + "/".join(requests.utils.quote(p, safe="") for p in ["data", *parts])
    answer = requests.get(kolada.base_url + path, params=params, timeout=30)
    assert answer.status_code < 500, (path, params, answer.text[:200])
