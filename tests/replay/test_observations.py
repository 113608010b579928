"""The eleven observations of a new user trying the emulator with curl and an ordinary PxWebApi 2 client (issue:
faithful to SCB), each as a regression test on SCB's own documents."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pytest
import requests

from replay.pxweb.cube import read_px
from replay.pxweb.server import PxWebReplayServer, ReplayLimits

PX_FILE = "application/octet-stream"


def _get(emulator: PxWebReplayServer, path: str, **params) -> requests.Response:
    return requests.get(emulator.base_url + path, params=params, timeout=30)


def _post(emulator: PxWebReplayServer, path: str, body: object, **params) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(emulator.base_url + path, params=params, data=data,
                         headers={"Content-Type": "application/json"}, timeout=30)


def _codes(document: dict, variable: str) -> list[str]:
    index = document["dimension"][variable]["category"]["index"]
    return sorted(index, key=index.get)


def _cells(document: dict) -> dict[frozenset, float]:
    """Every value of a json-stat2 answer by its codes, whatever the order of dimensions."""
    codes = [[(d, c) for c in _codes(document, d)] for d in document["id"]]
    return {frozenset(key): value for key, value in zip(itertools.product(*codes), document["value"], strict=True)}


COUNTIES_2026 = {"selection": [
    {"variableCode": "Region", "valueCodes": ["01", "03"]},
    {"variableCode": "Alder", "valueCodes": ["0-9", "10-19"]},
    {"variableCode": "Kon", "valueCodes": ["1", "2"]},
    {"variableCode": "ContentsCode", "valueCodes": ["000007SF"]},
    {"variableCode": "Tid", "valueCodes": ["2026M01", "2026M02"]}]}


# 1 --------------------------------------------------------------------------------------------------------------
def test_metadata_without_a_codelist_is_scbs_own_document(emulator, shared_dir: Path) -> None:
    answer = _get(emulator, "/tables/TAB6471/metadata", lang="sv")
    assert answer.status_code == 200
    document = answer.json()
    scb = json.loads((shared_dir / "scb/v2/TAB6471/metadata.json").read_text(encoding="utf-8"))
    assert (len(_codes(document, "Region")), len(_codes(document, "Tid"))) == (312, 16)
    assert document["dimension"]["Region"]["category"] == scb["dimension"]["Region"]["category"]
    assert document["note"] == scb["note"] and document["extension"] == scb["extension"]


def test_a_recorded_aggregation_codelist_is_applied_as_scb_does(emulator) -> None:
    document = _get(emulator, "/tables/TAB638/metadata", **{"codelist[Alder]": "agg_Ålder10årJ"}).json()
    alder = document["dimension"]["Alder"]
    assert _codes(document, "Alder")[:2] == ["-9", "10-19"] and len(_codes(document, "Alder")) == 11
    assert alder["category"]["label"]["-9"] == "0-9 år" and alder["extension"]["elimination"] is False
    assert document["size"][document["id"].index("Alder")] == 11


@pytest.mark.parametrize(("codelist", "status", "title"), [
    ("vs_CKM0410årN", 400, "Not in the recording"),  # listed by SCB for Alder, its content not recorded
    ("agg_Ålder10årJ", 400, "Non-existent codelist"),  # recorded, but not one of TAB6471's: SCB refuses it
])
def test_codelists_are_refused_as_scb_would_or_as_not_recorded(emulator, codelist, status, title) -> None:
    answer = _get(emulator, "/tables/TAB6471/metadata", **{"codelist[Alder]": codelist})
    assert (answer.status_code, answer.json()["title"]) == (status, title)


# 2 --------------------------------------------------------------------------------------------------------------
def test_a_codelist_id_with_non_ascii_letters_is_percent_decoded(emulator) -> None:
    answer = requests.get(emulator.base_url + "/codelists/agg_%C3%85lder10%C3%A5rJ", timeout=10)
    assert answer.status_code == 200 and answer.json()["id"] == "agg_Ålder10årJ"
    assert requests.get(emulator.base_url + "/codeLists/agg_%C3%85lder10%C3%A5rJ", timeout=10).status_code == 200


# 3 --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("table", ["TAB6471", "TAB1264", "TAB638", "Population_BE0101A1"])
def test_the_default_selection_is_one_that_data_answers_and_get_without_selection_gives_it(emulator, table) -> None:
    language = "en" if table.startswith("Population") else "sv"
    default = _get(emulator, f"/tables/{table}/defaultselection", lang=language).json()
    posted = _post(emulator, f"/tables/{table}/data", {"selection": default["selection"],
                                                       "placement": default["placement"]}, lang=language)
    assert posted.status_code == 200, posted.text
    plain = _get(emulator, f"/tables/{table}/data", lang=language)
    assert plain.status_code == 200 and plain.json() == posted.json()
    assert plain.json()["id"] == default["placement"]["stub"] + default["placement"]["heading"]


# 4 --------------------------------------------------------------------------------------------------------------
def test_config_announces_exactly_the_formats_served_and_each_is_served(emulator) -> None:
    formats = _get(emulator, "/config").json()["dataFormats"]
    assert formats == ["json-stat2", "csv", "px", "xlsx", "html", "json-px"]
    for output_format in formats:
        answer = _post(emulator, "/tables/TAB6471/data", COUNTIES_2026, outputFormat=output_format)
        assert answer.status_code == 200, (output_format, answer.text[:200])
    parquet = _post(emulator, "/tables/TAB6471/data", COUNTIES_2026, outputFormat="parquet")
    assert (parquet.status_code, parquet.json()["title"]) == (400, "Unsupported output format")


def test_csv_is_read_back_by_the_csv_module_with_the_json_stat2_numbers(emulator) -> None:
    stat = _post(emulator, "/tables/TAB6471/data", COUNTIES_2026).json()
    answer = _post(emulator, "/tables/TAB6471/data", COUNTIES_2026, outputFormat="csv")
    assert answer.headers["Content-Type"] == "text/csv; charset=iso-8859-1"
    rows = list(csv.reader(io.StringIO(answer.content.decode("iso-8859-1"))))
    assert rows[0] == ["Region", "Alder", "Kon", "000007SF 2026M01", "000007SF 2026M02"]  # codes by default
    numbers = [float(cell) for row in rows[1:] for cell in row[3:]]
    assert numbers == stat["value"]
    texts = _post(emulator, "/tables/TAB6471/data", COUNTIES_2026, outputFormat="csv",
                  outputFormatParams="UseTexts,SeparatorSemicolon,IncludeTitle")
    lines = texts.content.decode("iso-8859-1").splitlines()
    assert lines[0] == f'"{stat["label"]}"' and lines[1].startswith('"region";"ålder";"kön";')
    assert lines[2].startswith('"Stockholms län";"0-9 år";"män";')


def test_px_is_read_back_by_a_px_reader_with_the_json_stat2_numbers(emulator, tmp_path: Path) -> None:
    stat = _post(emulator, "/tables/TAB6471/data", COUNTIES_2026).json()
    answer = _post(emulator, "/tables/TAB6471/data", COUNTIES_2026, outputFormat="px")
    assert answer.headers["Content-Type"].startswith(PX_FILE)
    path = tmp_path / "TAB6471.px"
    path.write_bytes(answer.content)
    keywords, cells = read_px(path)  # pyaxis, a PX reader nobody here wrote
    assert [float(cell) for cell in cells] == stat["value"]
    assert keywords["MATRIX"] == ["TAB6471"] and keywords["STUB"] == ["region", "ålder", "kön"]


def test_format_params_that_do_not_apply_are_refused(emulator) -> None:
    for output_format, params in (("px", "UseTexts"), ("json-stat2", "IncludeTitle"), ("html", "SeparatorTab")):
        answer = _post(emulator, "/tables/TAB6471/data", COUNTIES_2026, outputFormat=output_format,
                       outputFormatParams=params)
        assert answer.status_code == 400, (output_format, params)


def test_placement_and_heading_stub_reorder_the_answer(emulator) -> None:
    body = {**COUNTIES_2026, "placement": {"heading": ["Region"], "stub": ["Tid", "Alder", "Kon", "ContentsCode"]}}
    placed = _post(emulator, "/tables/TAB6471/data", body).json()
    assert placed["id"] == ["Tid", "Alder", "Kon", "ContentsCode", "Region"]
    assert placed["extension"]["px"]["heading"] == ["Region"]
    default = _post(emulator, "/tables/TAB6471/data", COUNTIES_2026).json()
    assert default["id"] == ["Region", "Alder", "Kon", "ContentsCode", "Tid"]  # the table's own stub and heading
    # the same cells, laid out differently: Stockholm, 0-9, men, 2026M02 is the 2nd value by default, the 9th here
    assert _cells(placed) == _cells(default) and default["value"][1] == placed["value"][8]
    query = {f"valueCodes[{i['variableCode']}]": ",".join(i["valueCodes"]) for i in COUNTIES_2026["selection"]}
    got = _get(emulator, "/tables/TAB6471/data", heading="Region", **query).json()
    # only the heading given: the stub is the other variables in the order the request named them (SCB)
    assert got["id"] == ["Alder", "Kon", "ContentsCode", "Tid", "Region"] and _cells(got) == _cells(default)


# 5 --------------------------------------------------------------------------------------------------------------
def test_languages_are_those_recorded_and_others_are_a_400(emulator) -> None:
    config = _get(emulator, "/config").json()
    assert [language["id"] for language in config["languages"]] == emulator.recordings.languages
    english = _get(emulator, "/tables/Population_BE0101A1/metadata", lang="en").json()
    assert english["extension"]["px"]["language"] == "en" and english["dimension"]["region"]["label"] == "region"
    assert _get(emulator, "/tables/TAB6471/metadata", lang="en").status_code == 404  # not recorded in English
    unsupported = _get(emulator, "/tables/TAB6471/metadata", lang="xx")
    assert (unsupported.status_code, unsupported.json()["title"]) == (400, "Unsupported language")


# 6 --------------------------------------------------------------------------------------------------------------
def test_tables_pages_link_next_previous_and_last(emulator) -> None:
    page = _get(emulator, "/tables", pageSize=3, pageNumber=2).json()
    total = page["page"]["totalElements"]
    assert page["page"]["totalPages"] == -(-total // 3) and len(page["tables"]) == 3
    assert [link["rel"] for link in page["page"]["links"]] == ["next", "previous", "last"]
    assert page["page"]["links"][2]["href"].endswith(f"&pagesize=3&pageNumber={-(-total // 3)}")
    assert _get(emulator, "/tables", pageSize=0).json()["page"]["pageSize"] == 20  # SCB: 0 is the default
    assert _get(emulator, "/tables", pageSize="abc").status_code == 400
    assert _get(emulator, "/tables", pageNumber="1.5").status_code == 400
    assert _get(emulator, "/tables", pageNumber=10_000).status_code == 404


def test_tables_filter_by_query_past_days_and_discontinued(emulator) -> None:
    found = _get(emulator, "/tables", query="folkmängd").json()["tables"]
    assert found and all("folkmängd" in t["label"].lower() for t in found)
    assert _get(emulator, "/tables", pastDays=1).json()["page"]["totalElements"] == 0  # none updated yesterday
    assert _get(emulator, "/tables", pastDays=100_000).json()["page"]["totalElements"] > 0
    assert _get(emulator, "/tables", includeDiscontinued="maybe").status_code == 400


# 7 --------------------------------------------------------------------------------------------------------------
def test_a_table_entry_has_scbs_fields(emulator) -> None:
    entry = _get(emulator, "/tables/TAB1264").json()
    for key in ("language", "id", "label", "description", "sortCode", "updated", "firstPeriod", "lastPeriod",
                "category", "variableNames", "source", "subjectCode", "timeUnit", "paths", "links"):
        assert key in entry, key
    assert entry["timeUnit"] == "Annual" and entry["subjectCode"] == "BE"
    assert [link["rel"] for link in entry["links"]] == ["self", "metadata", "data"]  # recorded in Swedish only


# 8 --------------------------------------------------------------------------------------------------------------
def test_data_answers_carry_the_root_extension(emulator) -> None:
    extension = _post(emulator, "/tables/TAB6471/data", COUNTIES_2026).json()["extension"]
    assert {"noteMandatory", "px", "contact", "discontinued"} <= set(extension)
    assert extension["px"]["tableid"] == "TAB6471" and extension["discontinued"] is None


# 9 --------------------------------------------------------------------------------------------------------------
def test_links_inside_scbs_documents_point_at_the_emulator(emulator) -> None:
    text = _get(emulator, "/tables/TAB6471/metadata").text
    assert "statistikdatabasen.scb.se/api/" not in text and f"{emulator.base_url}/codeLists/vs_CKM02Län" in text


# 10 -------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [b'{"selection": "bad"}', b"{not json", b'{"selection": [{"variableCode": "Kon", '
                                                                       b'"valueCodes": "12"}]}'])
def test_a_malformed_body_gets_a_400_and_a_string_value_list_is_not_split(emulator, body) -> None:
    answer = _post(emulator, "/tables/TAB6471/data", body)
    assert answer.status_code == 400 and answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["errors"]


# 11 -------------------------------------------------------------------------------------------------------------
def test_other_methods_get_405_with_allow_and_cors_is_answered(emulator) -> None:
    for method in ("PUT", "DELETE", "HEAD", "PATCH"):
        answer = requests.request(method, emulator.base_url + "/tables/TAB6471", timeout=10)
        assert (answer.status_code, answer.headers["Allow"]) == (405, "GET"), method
    assert requests.delete(emulator.base_url + "/tables/TAB6471/data", timeout=10).headers["Allow"] == "GET, POST"
    preflight = requests.options(emulator.base_url + "/tables/TAB6471/data", timeout=10, headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"
    plain = requests.get(emulator.base_url + "/config", headers={"Origin": "https://example.org"}, timeout=10)
    assert plain.headers["Access-Control-Allow-Origin"] == "*"


# the call limit, as SCB's limiter answers it ------------------------------------------------------------------------
def test_over_the_call_limit_scb_answers_429_in_plain_text_with_retry_after(shared_dir: Path) -> None:
    with PxWebReplayServer(shared_dir, ReplayLimits(max_calls=2, window_seconds=5)) as server:
        first = requests.get(server.base_url + "/config", timeout=10)
        assert first.headers["X-Rate-Limit-Limit"] == "5s" and first.headers["X-Rate-Limit-Remaining"] == "1"
        requests.get(server.base_url + "/config", timeout=10)
        over = requests.get(server.base_url + "/config", timeout=10)
    assert over.status_code == 429 and over.headers["Content-Type"] == "text/plain"
    assert over.text == "API calls quota exceeded! maximum admitted 2 per 5s."
    assert 1 <= int(over.headers["Retry-After"]) <= 5


def test_a_selection_reaching_unrecorded_cells_is_refused_naming_them(emulator) -> None:
    body = json.loads(json.dumps(COUNTIES_2026))
    body["selection"][4]["valueCodes"] = ["2025M12", "2026M01"]
    answer = _post(emulator, "/tables/TAB6471/data", body)
    assert (answer.status_code, answer.json()["title"]) == (400, "Not in the recording")
    assert "Tid=2025M12" in answer.json()["detail"]
