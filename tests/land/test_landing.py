"""Landing keeps the bytes exactly, with request, checksum, updated stamp and fetch time; finds them again."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tasks.fetch.common.http import RawResponse
from tasks.land.landing import find_landed, land_raw_response


def _raw(body: bytes, request: str = '{"selection": []}') -> RawResponse:
    return RawResponse(url="http://127.0.0.1:1/api/v2/tables/TAB6471/data?lang=sv", method="POST",
                       request_body=request, status=200, content_type="application/json; charset=utf-8",
                       body=body, fetched_at="2026-11-25T03:00:00.000Z", attempts=1)


def test_landed_bytes_are_unmodified_with_sidecar(tmp_path, tab6471_data) -> None:
    landed = land_raw_response(_raw(tab6471_data), landing_dir=tmp_path, source_id="population_county_month",
                               table="TAB6471", kind="data", source_updated="2026-06-08T06:00:00Z", run_id="r1")
    assert landed.body() == tab6471_data
    assert landed.sha256 == hashlib.sha256(tab6471_data).hexdigest()
    sidecar = json.loads(Path(landed.path + ".meta.json").read_text(encoding="utf-8"))
    assert sidecar["request_body"] == '{"selection": []}'
    assert sidecar["source_updated"] == "2026-06-08T06:00:00Z"
    assert sidecar["fetched_at"] == "2026-11-25T03:00:00.000Z" and sidecar["bytes"] == len(tab6471_data)
    assert not list(tmp_path.rglob("*.partial"))


def test_same_request_same_table_version_is_found_again(tmp_path, tab6471_data) -> None:
    args = dict(landing_dir=tmp_path, source_id="s", table="TAB6471", kind="data", run_id="r1")
    landed = land_raw_response(_raw(tab6471_data), source_updated="2026-06-08T06:00:00Z", **args)
    found = find_landed(tmp_path, "s", "TAB6471", "data", '{"selection": []}', "2026-06-08T06:00:00Z")
    assert found == landed
    # A new version of the table, or another request, is not the same landing.
    assert find_landed(tmp_path, "s", "TAB6471", "data", '{"selection": []}', "2026-07-01T06:00:00Z") is None
    assert find_landed(tmp_path, "s", "TAB6471", "data", '{"selection": [1]}', "2026-06-08T06:00:00Z") is None


def test_a_landing_whose_body_was_damaged_is_not_trusted(tmp_path, tab6471_data) -> None:
    landed = land_raw_response(_raw(tab6471_data), landing_dir=tmp_path, source_id="s", table="TAB6471",
                               kind="data", source_updated="u", run_id="r1")
    with open(landed.path, "r+b") as handle:
        handle.truncate(100)
    assert find_landed(tmp_path, "s", "TAB6471", "data", '{"selection": []}', "u") is None
