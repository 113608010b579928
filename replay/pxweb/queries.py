"""A PxWebApi 2 request's parameters and body, read and checked as SCB's server does (ASP.NET model binding):
malformed input is a 400 with the framework's validation problem, never a dropped connection."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from replay.loopback import Reply, Request
from replay.pxweb.expressions import split_get_values

VALIDATION_TYPE = "https://tools.ietf.org/html/rfc9110#section-15.5.1"


class ApiProblem(Exception):
    """An answer other than 200: SCB's problem (its titles and statuses) or the framework's validation problem.

    SCB's server writes ``"type": "Parameter error"``; the spec's Problem schema wants a URI there, so the emulator
    writes the spec's default, ``about:blank`` (docs/EMULATOR.md lists this deviation)."""

    def __init__(self, status: int, title: str, detail: str | None = None, body_status: int | None = None,
                 errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.body_status, self.errors = status, title, detail, body_status, errors

    def reply(self) -> Reply:
        if self.errors is not None:
            document = {"type": VALIDATION_TYPE, "title": self.title, "status": self.status, "errors": self.errors,
                        "traceId": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00"}
        else:
            document = {"type": "about:blank", "title": self.title, "status": self.body_status or self.status}
            if self.detail:
                document["detail"] = self.detail
        return Reply(self.status, json.dumps(document, ensure_ascii=False).encode(),
                     "application/problem+json; charset=utf-8", document=document)


def invalid(key: str, message: str) -> ApiProblem:
    return ApiProblem(400, "One or more validation errors occurred.", errors={key: [message]})


def integer_param(request: Request, name: str) -> int | None:
    text = request.param(name)
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise invalid(name, f"The value '{text}' is not valid for {name}.") from None
    if not -(2**31) <= value < 2**31:
        raise invalid(name, f"The value '{text}' is not valid for {name}.")
    return value


def boolean_param(request: Request, name: str) -> bool | None:
    text = request.param(name)
    if text is None or text == "":
        return None
    if text.lower() not in ("true", "false"):
        raise invalid(name, f"The value '{text}' is not valid for {name}.")
    return text.lower() == "true"


@dataclass
class DataQuery:
    items: list[dict] | None  # None: no selection, SCB applies its default selection
    heading: list[str]
    stub: list[str]


def get_query(request: Request) -> DataQuery:
    """``valueCodes[VAR]=a,b``, ``codelist[VAR]=id``, ``heading=…``, ``stub=…`` (names case-insensitive)."""
    codelists = request.bracketed("codelist")
    items = []
    for key, values in request.query.items():
        if not key.lower().startswith("valuecodes"):
            continue
        if not (key.lower().startswith("valuecodes[") and key.endswith("]") and len(key) > len("valuecodes[]")):
            raise invalid(key, f"valuecodes-parameter should be like valuecodes[<variable>]. {key} is not.")
        variable = key[len("valuecodes["):-1]
        codes = [code for value in values for code in split_get_values(value)]
        items.append({"variableCode": variable, "valueCodes": codes, "codelist": codelists.get(variable)})
    split = lambda name: [p.strip() for value in request.params(name) for p in value.split(",") if p.strip()]  # noqa: E731
    return DataQuery(items or None, split("heading"), split("stub"))


def post_query(request: Request) -> DataQuery:
    """A POST body: ``{"selection": [{variableCode, valueCodes, codelist?}], "placement": {heading, stub}?}``."""
    if not request.body.strip():
        return DataQuery(None, [], [])
    if "json" not in request.headers.get("content-type", "application/json"):
        raise ApiProblem(415, "Unsupported Media Type")
    body = _json_body(request.body)
    if body is None:
        return DataQuery(None, [], [])
    items = selection_items(body, "$")
    placement = body.get("placement")
    heading, stub = [], []
    if placement is not None:
        if not isinstance(placement, dict):
            raise invalid("$.placement", "placement must be an object with heading and stub lists.")
        heading = _strings(placement.get("heading"), "$.placement.heading")
        stub = _strings(placement.get("stub"), "$.placement.stub")
    return DataQuery(items or None, heading, stub)


def _json_body(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise invalid("$", "The JSON value could not be converted: the body is not valid JSON.") from None


def selection_items(body: object, where: str) -> list[dict]:
    if not isinstance(body, dict):
        raise invalid(where, "The body must be a JSON object with a 'selection' list.")
    selection = body.get("selection")
    if not isinstance(selection, list):
        raise invalid(f"{where}.selection", "The Selection field is required and must be a list.")
    items = []
    for i, item in enumerate(selection):
        path = f"{where}.selection[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("variableCode"), str) or not item["variableCode"]:
            raise invalid(f"{path}.variableCode", "The VariableCode field is required.")
        codelist = item.get("codelist")
        if codelist is not None and not isinstance(codelist, str):
            raise invalid(f"{path}.codelist", "The codelist must be a string.")
        items.append({"variableCode": item["variableCode"],
                      "valueCodes": _strings(item.get("valueCodes"), f"{path}.valueCodes"), "codelist": codelist})
    return items


def _strings(value: object, path: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(path, f"The field {path.rsplit('.', 1)[-1]} is required and must be a list of strings.")
    return list(value)


def saved_query_body(request: Request) -> dict:
    """POST /savedqueries: ``{tableId, language, selection: {selection, placement?}, outputFormat?,
    outputFormatParams}``."""
    body = _json_body(request.body) if request.body.strip() else None
    if body is None:
        raise ApiProblem(400, "No query specified", "No query specified")
    if not isinstance(body, dict):
        raise invalid("$", "The body must be a saved query object.")
    for key in ("tableId", "language"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise invalid(f"$.{key}", f"The {key} field is required.")
    selection_items(body.get("selection"), "$.selection")
    _strings(body.get("outputFormatParams", []), "$.outputFormatParams")
    if body.get("outputFormat") is not None and not isinstance(body["outputFormat"], str):
        raise invalid("$.outputFormat", "outputFormat must be a string.")
    return body
