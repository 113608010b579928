"""SCB's documents as the emulator answers them: metadata with codelists applied, table entries, and json-stat2
data answers in the shape of SCB's genuine ones (see tests/replay/test_recorded_shapes.py, which compares them)."""

from __future__ import annotations

import copy
import math

from replay.pxweb.expressions import SelectionProblem
from replay.pxweb.recordings import RecordedTable, Recordings, metadata_codes

# How SCB words a data answer's title, per language: "<contents> efter region, kön och år" (genuine answers).
TITLE_WORDS = {"sv": ("efter", "och"), "en": ("by", "and")}
TIME_UNITS = {"M": "Monthly", "K": "Quarterly", "Q": "Quarterly", "W": "Weekly"}


def apply_codelist(recordings: Recordings, document: dict, variable: str, codelist_id: str) -> dict[str, list[str]]:
    """Apply a codelist to one dimension of a metadata document, as SCB does; returns code -> the table's codes it
    stands for (an aggregation's valueMap, or the code itself for a valueset)."""
    spec = document["dimension"][variable]
    listed = [c["id"] for c in spec.get("extension", {}).get("codelists", [])]
    if codelist_id not in listed:
        raise SelectionProblem("Non-existent codelist",
                               f"codelist {codelist_id!r} is not one of variable {variable!r}'s codelists {listed}")
    codelist = recordings.codelists.get(codelist_id)
    if codelist is None:
        raise SelectionProblem("Not in the recording", f"codelist {codelist_id!r} of {variable!r} is listed by SCB's "
                                                       "metadata but its content was not recorded")
    own = set(metadata_codes(document)[variable])
    members = {value["code"]: list(value.get("valueMap") or [value["code"]]) for value in codelist["values"]}
    unknown = sorted({code for codes in members.values() for code in codes} - own)
    if unknown:
        raise SelectionProblem("Non-existent codelist", f"codelist {codelist_id!r} maps to values {unknown[:5]} that "
                                                        f"variable {variable!r} does not have")
    spec["category"] = {"index": {code: i for i, code in enumerate(members)},
                        "label": {value["code"]: value["label"] for value in codelist["values"]}}
    if codelist["type"] == "Aggregation":
        spec.setdefault("extension", {})["elimination"] = False  # SCB: a grouped variable cannot be eliminated
    document["size"][document["id"].index(variable)] = len(members)
    return members


def table_entry(recordings: Recordings, table: RecordedTable, language: str, base_url: str) -> dict:
    """GET /tables/{id}: SCB's recorded entry where there is one, else built from SCB's metadata document."""
    link = f"{base_url}/tables/{table.table_id}"
    links = [{"rel": "self", "hreflang": language, "href": f"{link}?lang={language}"}]
    links += [{"rel": "alternate", "hreflang": other, "href": f"{link}?lang={other}"}
              for other in table.languages if other != language]
    links += [{"rel": "metadata", "hreflang": language, "href": f"{link}/metadata?lang={language}"},
              {"rel": "data", "hreflang": language, "href": f"{link}/data?lang={language}&outputFormat=json-stat2"}]
    recorded = table.entry if table.entry and language == "sv" else None
    if recorded:
        entry = {k: v for k, v in recorded.items() if k != "language"}
    else:
        document = table.metadata[language]
        px = document.get("extension", {}).get("px", {})
        periods = metadata_codes(document).get(_time_variable(document)) or [None]
        entry = {"id": table.table_id, "label": document.get("label", ""), "description": "",
                 "sortCode": "", "updated": document.get("updated"), "firstPeriod": periods[0],
                 "lastPeriod": periods[-1], "category": "public",
                 "variableNames": [document["dimension"][v].get("label", v) for v in document["id"]],
                 "source": document.get("source", "SCB"), "subjectCode": px.get("subject-code", ""),
                 "timeUnit": _time_unit(periods[-1]), "paths": _paths(px)}
    entry["updated"] = table.cube.updated or entry.get("updated")
    entry["links"] = links
    return {"language": language, **entry}


def _time_variable(document: dict) -> str | None:
    return (document.get("role", {}).get("time") or [None])[0]


def _time_unit(period: str | None) -> str:
    if not period:
        return "Other"
    if len(period) == 4 and period.isdigit():
        return "Annual"
    return TIME_UNITS.get(period[4:5], "Other")


def _paths(px: dict) -> list[list[dict]]:
    """Only the subject level is known from SCB's metadata (subject-code and subject-area); deeper levels are not."""
    if not px.get("subject-code"):
        return []
    area = px.get("subject-area") or px["subject-code"]
    return [[{"id": px["subject-code"], "label": area, "sortCode": area}]]


def data_title(document: dict, contents: str, variables: list[str], language: str) -> str:
    """SCB titles a data answer "<contents> efter <variable labels, in order> och <last>" (genuine answers)."""
    by, and_ = TITLE_WORDS.get(language, TITLE_WORDS["en"])
    labels = [document["dimension"][v].get("label", v) for v in variables if v != "ContentsCode"]
    listed = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} {and_} {labels[-1]}"
    return f"{contents} {by} {listed}" if labels else contents


def data_document(document: dict, language: str, chosen: dict[str, list[str]], order: list[str],
                  placement: tuple[list[str], list[str]], values: list[float | None], status: dict[str, str],
                  elimination_values: dict[str, str]) -> dict:
    """A json-stat2 data answer in SCB's shape: root keys and their order, dimensions without codelists, the
    extension with ``discontinued`` and the actual placement, ``status`` only when a cell has a symbol."""
    contents_codes = chosen.get("ContentsCode", [])
    px = copy.deepcopy(document.get("extension", {}).get("px", {}))
    contents_spec = document["dimension"].get("ContentsCode", {})
    if len(contents_codes) == 1:
        code = contents_codes[0]
        px["contents"] = contents_spec.get("extension", {}).get("alternativeText", {}).get(code, px.get("contents"))
        px["decimals"] = contents_spec.get("category", {}).get("unit", {}).get(code, {}).get("decimals",
                                                                                            px.get("decimals"))
    stub, heading = placement
    px["heading"], px["stub"] = heading, stub
    answer = {"version": "2.0", "class": "dataset",
              "label": data_title(document, px.get("contents", ""), order, language),
              "source": document.get("source", "SCB"), "updated": document.get("updated")}
    if document.get("note"):
        answer["note"] = document["note"]
    answer["role"] = {key: [v for v in variables if v in order] for key, variables in document.get("role", {}).items()}
    answer["id"], answer["size"] = order, [len(chosen[v]) for v in order]
    answer["dimension"] = {v: _data_dimension(document, v, chosen[v], elimination_values.get(v)) for v in order}
    extension = {k: v for k, v in copy.deepcopy(document.get("extension", {})).items() if k != "px"}
    answer["extension"] = {**({"noteMandatory": extension.pop("noteMandatory")} if "noteMandatory" in extension
                              else {}), "px": px, **extension, "discontinued": extension.get("discontinued")}
    answer["value"] = [None if v is None or (isinstance(v, float) and math.isnan(v)) else _number(v) for v in values]
    if status:
        answer["status"] = status
    return answer


def _data_dimension(document: dict, variable: str, codes: list[str], elimination_value: str | None) -> dict:
    spec = document["dimension"][variable]
    category = spec.get("category", {})
    out: dict = {"label": spec.get("label", variable)}
    if "note" in spec:
        out["note"] = spec["note"]
    chosen = {"index": {code: i for i, code in enumerate(codes)},
              "label": {code: category.get("label", {}).get(code, code) for code in codes}}
    mandatory = spec.get("extension", {}).get("categoryNoteMandatory", {})
    # SCB's data answers keep a value's notes only where the notes are mandatory (genuine answers: TAB1212's
    # Heby note is kept, its ContentsCode note is not).
    notes = {code: category["note"][code] for code in codes if code in category.get("note", {}) and code in mandatory}
    if notes:
        chosen["note"] = notes
    units = {code: category["unit"][code] for code in codes if code in category.get("unit", {})}
    if units:
        chosen["unit"] = units
    out["category"] = chosen
    extension = {k: v for k, v in spec.get("extension", {}).items() if k != "codelists"}
    all_values = set(codes) == set(category.get("index", {}))
    # After a selection SCB calls a variable eliminable only if its total is still there: all values, or the
    # elimination value among them (genuine answers: Kon 1,2 -> true; Civilstand OG -> false; Region 00 -> true).
    extension["elimination"] = bool(extension.get("elimination")) and (all_values or elimination_value in codes)
    if extension["elimination"] and elimination_value in codes:
        extension = {"elimination": True, "eliminationValueCode": elimination_value,
                     **{k: v for k, v in extension.items() if k != "elimination"}}
    for key in ("refperiod", "measuringType", "priceType", "adjustment", "alternativeText", "basePeriod",
                "categoryNoteMandatory"):
        if isinstance(extension.get(key), dict):
            extension[key] = {code: text for code, text in extension[key].items() if code in codes}
    if not extension.get("categoryNoteMandatory", True):
        del extension["categoryNoteMandatory"]
    out["extension"] = extension
    if "link" in spec:
        out["link"] = spec["link"]
    return out


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)
