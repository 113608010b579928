"""json-stat2 parsing on SCB's own responses, and the clear errors for bodies that are not usable."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tasks.fetch.common.errors import ResponseFormatError
from tasks.fetch.pxweb.jsonstat import parse_jsonstat_dataset
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


# -- hostile answers: decoded by the JSON-stat 2.0 standard or refused, never turned into a wrong number ----------
def _tab5557(shared_dir) -> dict:
    """SCB's population 31 Dec 2025 for the 290 municipalities (atlas290), with its value array made sparse."""
    document = json.loads(atlas_response(shared_dir, "TAB5557_ac392dca4f25fab2.json"))
    document["value"] = {str(i): v for i, v in enumerate(document["value"])}
    return document


def test_the_sparse_value_form_of_the_standard_decodes_to_the_same_cells(shared_dir) -> None:
    dense = parse_jsonstat_dataset(atlas_response(shared_dir, "TAB5557_ac392dca4f25fab2.json")).frame
    sparse = parse_jsonstat_dataset(json.dumps(_tab5557(shared_dir)).encode()).frame
    assert sparse["value"].tolist() == dense["value"].tolist()
    assert sparse.set_index("Region").loc["2184", "value"] == dense.set_index("Region").loc["2184", "value"]


@pytest.mark.parametrize(("key", "message"), [
    ("-1", "value key '-1' is not a cell index from 0 to 289"),  # would overwrite the last cell, Hudiksvall (2184)
    ("290", "value key '290' is not a cell index from 0 to 289"),  # one past the end
    ("007", "value key '007' is not a cell index"),
    ("1.0", "value key '1.0' is not a cell index"),
])
def test_a_sparse_key_outside_the_cells_is_a_format_error(shared_dir, key, message) -> None:
    document = _tab5557(shared_dir)
    document["value"][key] = 123456789
    with pytest.raises(ResponseFormatError, match=re.escape(message)):
        parse_jsonstat_dataset(json.dumps(document).encode())


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_non_finite_number_is_a_format_error_not_a_missing_value(shared_dir, token) -> None:
    text = atlas_response(shared_dir, "TAB5557_ac392dca4f25fab2.json").decode()
    document = json.loads(text)
    first = document["value"][1]  # Vallentuna (0115)
    body = text.replace(f'"value": [{document["value"][0]}, {first},', f'"value": [{document["value"][0]}, {token},')
    assert body != text
    with pytest.raises(ResponseFormatError, match="not a JSON number|not a finite number"):
        parse_jsonstat_dataset(body.encode())


def test_status_by_an_index_past_the_end_is_a_format_error(tab6471_data: bytes) -> None:
    document = json.loads(tab6471_data)
    document["status"] = {"2772": ".."}
    with pytest.raises(ResponseFormatError, match="status key '2772' is not a cell index from 0 to 2771"):
        parse_jsonstat_dataset(json.dumps(document).encode())


def test_a_category_index_given_as_a_string_is_a_format_error(tab6471_data: bytes) -> None:
    document = json.loads(tab6471_data)
    document["dimension"]["Region"]["category"]["index"]["01"] = "0"
    with pytest.raises(ResponseFormatError, match="dimension 'Region' has a broken category index"):
        parse_jsonstat_dataset(json.dumps(document).encode())


def test_deeply_nested_brackets_are_a_format_error_not_a_crash() -> None:
    with pytest.raises(ResponseFormatError, match="nests arrays or objects too deeply"):
        parse_jsonstat_dataset(b"[" * 200_000)


def test_sizes_claiming_more_cells_than_any_answer_are_refused(tab6471_data: bytes) -> None:
    document = json.loads(tab6471_data)
    codes = [f"c{i}" for i in range(5000)]
    for name in ("Alder", "Kon"):
        document["dimension"][name]["category"] = {"index": codes, "label": {c: c for c in codes}}
    document["size"] = [21, 5000, 5000, 1, 4]
    document["value"] = {"0": 1}
    with pytest.raises(ResponseFormatError, match="more than any answer can hold"):
        parse_jsonstat_dataset(json.dumps(document).encode())
