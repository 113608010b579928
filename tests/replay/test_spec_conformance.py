"""Property-based conformance of the PxWebApi 2 emulator to SCB's published OpenAPI document (PxAPI-2.yml).

Schemathesis (a well-kept OpenAPI testing library: it generates requests from the spec's own schemas and validates
every answer against the spec) drives every operation of the spec: no dropped connection, no 5xx, every answer's
status code, content type, headers and body as the spec says for schema-valid requests; and for requests that break
the spec's schemas (negative generation: wrong types, missing required parts, malformed bodies) at least an HTTP
answer below 500 (the emulator this replaced dropped the connection on a non-integer ``pageSize``).

Two runs: the spec as published, where most generated table ids do not exist (errors must conform too), and the
same spec with ``id`` narrowed to the recorded tables and ``lang`` to the served languages, so that generation
reaches real metadata, selections and output formats.

Where SCB's spec contradicts SCB's own server, the spec is corrected here, each time with the evidence:
- ``updated`` is a date-time in every genuine answer (shared/scb/v2/TAB6471/metadata.json: "2026-06-08T06:00:00Z");
  the spec's pattern admits a date only.
- SCB's server answers 400 (unsupported language, a malformed number) and 404 (a page past the end) on
  ``/tables``; the spec documents only 200 there (its other operations document 400 and 404).
- A VariableSelection requires ``values``, a property the spec never defines; its property and every request SCB
  answers (the recorded R pxweb requests, recordings/…/*.request.json) use ``valueCodes``.
- The data operations declare their JSON answer a string; SCB's json-stat2 answers are objects (the genuine
  shared/scb/v2/TAB6471/data.json). The JSON answer is checked against the spec's own Dataset schema (json-stat2)
  or, for json-px, its shape {columns, comments, data, metadata}.
- The data operations list application/json, text/plain, application/xml and application/octet-stream; SCB's
  server sends csv as text/csv, html as text/html and xlsx as the OOXML type (PxTools/PxWebApi,
  Code/Api2/Serialization/SerializeManager.cs), so those are added.
The check "positive data acceptance" (every schema-valid request gets a 2xx) is left out: the spec cannot say
which languages, variables or value codes a table has, and SCB answers those with 400 by design.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import checks

from replay.pxweb.server import PxWebReplayServer
from tests.conftest import shared_path

CHECKS = [not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance, checks.negative_data_rejection,
          checks.unsupported_method]
EXAMPLES_PER_OPERATION = 40
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_TIME = r"^(19|20)\d\d-(0[1-9]|1[012])-(0[1-9]|[12]\d|3[01])(T\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d))?$"


def _without_external_examples(node: object) -> None:
    """The spec's examples point at files (./examplesAsYml/…) not published with it."""
    if isinstance(node, dict):
        examples = node.get("examples")
        if isinstance(examples, dict) and any(isinstance(v, dict) and "$ref" in v for v in examples.values()):
            del node["examples"]
        for value in node.values():
            _without_external_examples(value)
    elif isinstance(node, list):
        for value in node:
            _without_external_examples(value)


def published_spec() -> dict:
    raw = yaml.safe_load((shared_path() / "scb/spec/PxAPI-2.yml").read_text(encoding="utf-8"))
    _without_external_examples(raw)
    schemas = raw["components"]["schemas"]
    schemas["updated"]["pattern"] = DATE_TIME
    schemas["Table"]["properties"]["updated"]["pattern"] = DATE_TIME
    schemas["VariableSelection"]["required"] = ["variableCode", "valueCodes"]
    data_json = {"anyOf": [{"$ref": "#/components/schemas/Dataset"},
                           {"type": "object", "required": ["columns", "comments", "data", "metadata"]}]}
    for path, operations in raw["paths"].items():
        if path.endswith("/data"):
            for operation in operations.values():
                content = operation["responses"]["200"]["content"]
                content["application/json"]["schema"] = data_json
                for media_type in ("text/csv", "text/html", XLSX):
                    content[media_type] = {"schema": {"type": "string"}}
    for status in ("400", "404"):
        raw["paths"]["/tables"]["get"]["responses"][status] = {"$ref": f"#/components/responses/ErrorResponse{status}"}
    return raw


def narrowed_spec(table_ids: list[str], languages: list[str]) -> dict:
    raw = copy.deepcopy(published_spec())
    raw["components"]["parameters"]["lang"]["schema"] = {"type": "string", "enum": languages}
    for path, operations in raw["paths"].items():
        if path.startswith("/tables/{id}"):
            for operation in operations.values():
                operation["parameters"] = [p for p in operation["parameters"]
                                           if p.get("$ref") != "#/components/parameters/id"]
                operation["parameters"].append({"name": "id", "in": "path", "required": True,
                                                "schema": {"type": "string", "enum": table_ids}})
    return raw


def _operations(raw: dict) -> list:
    schema = schemathesis.openapi.from_dict(raw)
    return [result.ok() for result in schema.get_all_operations()]


PUBLISHED = _operations(published_spec())


def _conforms(operation, server: PxWebReplayServer, mode: GenerationMode = GenerationMode.POSITIVE,
              checks: list = CHECKS) -> None:
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode))
    def run(case) -> None:
        case.call_and_validate(base_url=server.base_url, checks=checks)

    run()


@pytest.mark.parametrize("operation", PUBLISHED, ids=[op.label for op in PUBLISHED])
def test_every_operation_of_the_published_spec_conforms(operation, emulator) -> None:
    _conforms(operation, emulator)


def test_every_operation_conforms_on_the_recorded_tables(emulator) -> None:
    """The same checks where generation reaches SCB's recorded tables in the languages they are served in."""
    tables = [t.table_id for t in emulator.recordings.tables.values() if "sv" in t.languages]
    operations = _operations(narrowed_spec(sorted(tables), ["sv"]))
    failures = []
    for operation in operations:
        try:
            _conforms(operation, emulator)
        except Exception as err:  # noqa: BLE001 - collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {err}"[:3000])
    assert not failures, "\n\n".join(failures)
    assert emulator.count("data", status=200) > 0  # generation did reach recorded cells


def test_malformed_requests_get_an_http_answer_below_500(emulator) -> None:
    """Negative generation on every operation, as published and narrowed to the recorded tables: a dropped
    connection raises, a 5xx fails not_a_server_error. (Whether each malformed request gets a 4xx is not asserted:
    the emulator, like SCB, accepts a few the schema forbids, e.g. an unknown extra query parameter.)"""
    tables = sorted(t.table_id for t in emulator.recordings.tables.values() if "sv" in t.languages)
    generated = []
    for operation in PUBLISHED + _operations(narrowed_spec(tables, ["sv"])):
        try:
            _conforms(operation, emulator, GenerationMode.NEGATIVE, [not_a_server_error])
        except Unsatisfiable:
            continue  # nothing in this operation can be made invalid (GET /config, GET /savedqueries/{id})
        generated.append(operation.label)
    assert len(generated) >= 20, generated


def test_the_corrections_to_the_spec_are_the_ones_listed(shared_dir: Path) -> None:
    """Guard the list above: if SCB fixes its spec, the corrections must be revisited, not carried silently."""
    raw = yaml.safe_load((shared_dir / "scb/spec/PxAPI-2.yml").read_text(encoding="utf-8"))
    assert raw["components"]["schemas"]["updated"]["pattern"].endswith(r"(0?[1-9]|[12][0-9]|3[01])$")
    assert set(raw["paths"]["/tables"]["get"]["responses"]) == {"200"}
    assert raw["components"]["schemas"]["VariableSelection"]["required"] == ["variableCode", "values"]
