"""SCB's PxWebApi 2: read the announced limits, table metadata, and data for a selection.

The same code talks to SCB (https://statistikdatabasen.scb.se/api/v2) and to our loopback replay server; only the
base URL differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from tasks.catalogue import PxWebSource
from tasks.fetch.common.documents import load_json_document
from tasks.fetch.common.errors import ResponseFormatError
from tasks.fetch.common.http import HttpCaller, RawResponse
from tasks.fetch.common.region_sets import expand_region_sets
from tasks.fetch.pxweb.selection import (
    Selection,
    resolve_selection,
    split_selection_under_cell_limit,
)


@dataclass(frozen=True)
class ApiLimits:
    max_cells: int
    max_calls: int
    window_seconds: float


@dataclass(frozen=True)
class TableMetadata:
    table_id: str
    label: str
    updated: str | None
    variables: dict[str, list[str]]  # variable -> value codes, in table order
    eliminable: dict[str, str | None]  # variable -> elimination value code, for variables that may be left out
    time_variable: str | None


def parse_limits(body: bytes) -> ApiLimits:
    config = load_json_document(body, "/config response")
    try:
        return ApiLimits(int(config["maxDataCells"]), int(config["maxCallsPerTimeWindow"]),
                         float(config["timeWindow"]))
    except (KeyError, TypeError, ValueError) as err:
        raise ResponseFormatError(f"/config response lacks the limits ({err})") from err


def parse_table_metadata(table_id: str, body: bytes) -> TableMetadata:
    document = load_json_document(body, f"metadata of {table_id}")
    try:
        variables: dict[str, list[str]] = {}
        eliminable: dict[str, str | None] = {}
        for variable in document["id"]:
            spec = document["dimension"][variable]
            index = spec["category"]["index"]
            codes = sorted(index, key=index.get) if isinstance(index, dict) else list(index)
            variables[variable] = codes
            extension = spec.get("extension", {})
            if extension.get("elimination"):
                eliminable[variable] = extension.get("eliminationValueCode")
    except (KeyError, TypeError, AttributeError) as err:
        raise ResponseFormatError(f"metadata of {table_id} is not json-stat2 table metadata ({err!r})") from err
    time_roles = document.get("role", {}).get("time") or [None]
    return TableMetadata(table_id, document.get("label", ""), document.get("updated"), variables, eliminable,
                         time_roles[0])


class PxWebClient:
    def __init__(self, caller: HttpCaller, language: str = "sv") -> None:
        self.caller = caller
        self.language = language
        self._limits: ApiLimits | None = None

    @property
    def base_url(self) -> str:
        return self.caller.base_url

    def limits(self) -> ApiLimits:
        """GET /config once per client, and pace every later call by what it announces."""
        if self._limits is None:
            raw = self.caller.call("GET", "/config", "config")
            self._limits = parse_limits(raw.body)
            self.caller.limiter.reconfigure(self._limits.max_calls, self._limits.window_seconds)
        return self._limits

    def metadata(self, table_id: str, codelists: dict[str, str] | None = None,
                 language: str | None = None) -> RawResponse:
        params = {"lang": language or self.language}
        params.update({f"codelist[{variable}]": codelist for variable, codelist in (codelists or {}).items()})
        return self.caller.call("GET", f"/tables/{quote(table_id, safe='')}/metadata", "metadata", params=params)

    def fetch(self, table_id: str, selection: Selection, language: str | None = None) -> RawResponse:
        # POST with an explicit selection: a call without one gets only SCB's default selection.
        return self.caller.call("POST", f"/tables/{quote(table_id, safe='')}/data", "data",
                                params={"lang": language or self.language, "outputFormat": "json-stat2"},
                                json_body=selection.as_api())





def in_period_range(period: str, first_year: int | None, last_year: int | None) -> bool:
    year = int(period[:4])
    return (first_year is None or year >= first_year) and (last_year is None or year <= last_year)


def plan_selections(source: PxWebSource, metadata: TableMetadata, region_sets: dict[str, list[str]],
                    max_cells: int, first_year: int | None = None, last_year: int | None = None,
                    on_replay: bool = False) -> list[Selection]:
    """The calls needed for one source: its selection resolved, limited to the period range, split by cells."""
    requested = {
        variable: {"values": expand_region_sets(spec.values, metadata.variables.get(variable, []), region_sets),
                   "codelist": spec.codelist, "eliminate": spec.eliminate}
        for variable, spec in source.selection_for(on_replay).items()
    }
    selection = resolve_selection(requested, metadata.variables, metadata.eliminable, metadata.time_variable)
    period_variable = source.columns.period
    periods = tuple(p for p in selection.values_of(period_variable) if in_period_range(p, first_year, last_year))
    if not periods:
        return []
    selection = selection.replace(period_variable, periods)
    return split_selection_under_cell_limit(selection, max_cells)
