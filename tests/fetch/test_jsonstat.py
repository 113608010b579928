"""json-stat2 parsing on SCB's own responses, and the clear errors for bodies that are not usable."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tasks.fetch.jsonstat import ResponseFormatError, parse_jsonstat_dataset
from tests.conftest import atlas_response


def test_tab6471_parses_every_cell_with_codes(tab6471_data: bytes) -> None:
    dataset = parse_jsonstat_dataset(tab6471_data)
    frame = dataset.frame
    assert len(frame) == 2772  # 21 x 11 x 3 x 1 x 4
    assert [d.id for d in dataset.dimensions] == ["Region", "Alder", "Kon", "ContentsCode", "Tid"]
    assert dataset.updated == "2026-06-08T06:00:00Z"
    first = frame.iloc[0]
    assert (first["Region"], first["Alder"], first["Kon"], first["Tid"], first["value"]) == (
        "01", "0-9", "TotSa", "2026M01", 245284)
    stockholm_men_0_9 = frame.query("Region == '01' and Alder == '0-9' and Kon == '1' and Tid == '2026M04'")
    assert stockholm_men_0_9["value"].item() == 128675
    assert frame["status"].isna().all()


def test_reordered_index_keys_use_index_positions(shared_dir) -> None:
    # atlas290 re-serialised bodies put "1060" before "0114" in category.index; positions must win.
    dataset = parse_jsonstat_dataset(atlas_response(shared_dir, "TAB5557_ac392dca4f25fab2.json"))
    region = dataset.dimension("Region")
    assert region.codes[0] == "0114" and region.codes[90] == "1060"
    values = dataset.frame.set_index("Region")["value"]
    assert values["0114"] == 50495  # Upplands Väsby, 31 Dec 2025
    assert values["0180"] > 990_000  # Stockholm municipality


def test_missing_values_keep_their_status_symbol(tab6471_data: bytes) -> None:
    document = json.loads(tab6471_data)
    document["value"][5] = None
    document["status"] = {"5": ".."}
    frame = parse_jsonstat_dataset(json.dumps(document).encode()).frame
    assert np.isnan(frame.loc[5, "value"]) and frame.loc[5, "status"] == ".."
    assert frame["status"].notna().sum() == 1


def test_html_error_page_is_named_as_such() -> None:
    page = b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body>busy</body></html>"
    with pytest.raises(ResponseFormatError, match="HTML page.*503 Service Unavailable"):
        parse_jsonstat_dataset(page)


def test_truncated_body_is_reported_as_truncated(tab6471_data: bytes) -> None:
    with pytest.raises(ResponseFormatError, match="truncated"):
        parse_jsonstat_dataset(tab6471_data[: len(tab6471_data) // 2])


def test_value_count_must_match_sizes(tab6471_data: bytes) -> None:
    document = json.loads(tab6471_data)
    document["value"] = document["value"][:-1]
    with pytest.raises(ResponseFormatError, match="2771 values for 2772 cells"):
        parse_jsonstat_dataset(json.dumps(document).encode())


def test_utf8_bom_of_v1_responses_is_accepted(shared_dir) -> None:
    body = (shared_dir / "scb/v1/HE0110/data-national-jsonstat2.json").read_bytes()
    dataset = parse_jsonstat_dataset(b"\xef\xbb\xbf" + body.removeprefix(b"\xef\xbb\xbf"))
    assert len(dataset.frame) == int(np.prod([len(d.codes) for d in dataset.dimensions]))
