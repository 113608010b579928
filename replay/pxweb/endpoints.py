"""The operations of PxAPI-2.yml, answered from the recordings the way SCB's server answers them."""

from __future__ import annotations

import copy
import math
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from replay.loopback import Reply, Request, json_reply
from replay.pxweb import documents
from replay.pxweb.default_selection import default_selection
from replay.pxweb.expressions import SelectionProblem
from replay.pxweb.formats import CONTENT_TYPES, SUFFIXES, FormatProblem, Table2D, check_params, serialize
from replay.pxweb.queries import (
    ApiProblem,
    DataQuery,
    boolean_param,
    get_query,
    integer_param,
    invalid,
    post_query,
    saved_query_body,
)
from replay.pxweb.recordings import RecordedTable, Recordings, rewrite_links
from replay.pxweb.selection import Resolved, answer_cells, default_placement, requested_placement, resolve

OUTPUT_FORMATS = ("json-stat2", "csv", "px", "xlsx", "html", "json-px", "parquet")  # the spec's OutputFormatType
SERVED_FORMATS = ("json-stat2", "csv", "px", "xlsx", "html", "json-px")  # SCB's /config; parquet is not offered
LANGUAGE_NAMES = {"sv": "Svenska", "en": "English"}
PAGE_SIZE = 20


class Endpoints:
    def __init__(self, recordings: Recordings, limits, base_url: Callable[[], str]) -> None:
        self.recordings, self.limits, self._base_url = recordings, limits, base_url
        self.republished: dict[str, str] = {}
        self.saved: dict[str, dict] = {}

    @property
    def base_url(self) -> str:
        return self._base_url()

    def reset(self) -> None:
        self.republished.clear()
        self.saved.clear()

    def route(self, request: Request, parts: list[str]) -> tuple[str, str | None, Reply]:
        head = parts[0].lower() if parts else ""
        kind = {"config": "config", "tables": "tables", "codelists": "codelists",
                "savedqueries": "savedqueries"}.get(head, "other")
        table_id = parts[1] if head == "tables" and len(parts) > 1 else None
        if table_id:
            kind = {"metadata": "metadata", "data": "data"}.get(parts[2].lower() if len(parts) > 2 else "", kind)
        try:
            language = self._language(request)
            return kind, table_id, self._dispatch(request, parts, head, language)
        except ApiProblem as err:
            return kind, table_id, err.reply()

    def _dispatch(self, request: Request, parts: list[str], head: str, language: str) -> Reply:
        if head == "config" and len(parts) == 1:
            return json_reply(self.config())
        if head == "tables" and len(parts) == 1:
            return json_reply(self.tables_page(request, language))
        if head == "tables" and len(parts) in (2, 3):
            endpoint = parts[2].lower() if len(parts) == 3 else "table"
            if endpoint in ("table", "metadata", "defaultselection", "data"):
                return self.table_endpoint(request, parts[1], endpoint, language)
        if head == "codelists" and len(parts) == 2:
            return self.codelist(parts[1], language)
        if head == "savedqueries":
            return self.saved_queries(request, parts[1:], language)
        return Reply(404, b"", "text/plain")

    # -- parameters every operation shares ------------------------------------------------------------------------
    def _language(self, request: Request) -> str:
        text = request.param("lang") or "sv"
        if text.lower() not in self.recordings.languages:
            raise ApiProblem(400, "Unsupported language", f"language {text!r} is not served; the recordings hold "
                                                          f"{self.recordings.languages}")
        return text.lower()

    def _table(self, table_id: str, language: str, on_data: bool = False) -> RecordedTable:
        table = self.recordings.table(table_id)
        if table is None or language not in table.languages:
            why = "does not exist" if table is None else f"is not recorded in language {language!r}"
            # SCB answers a missing table with 404, but with HTTP 400 (body status 404) on /data.
            raise ApiProblem(400 if on_data else 404, "Non-existent table", f"Table {table_id} {why}",
                             body_status=404)
        return table

    def _document(self, table: RecordedTable, language: str) -> dict:
        document = copy.deepcopy(table.metadata[language])
        stamp = self.republished.get(table.table_id) or table.cube.updated or document.get("updated")
        document["updated"] = stamp
        return document

    # -- /config, /tables, /codelists ---------------------------------------------------------------------------
    def config(self) -> dict:
        config = copy.deepcopy(self.recordings.config)
        config.update({"languages": [{"id": lang, "label": LANGUAGE_NAMES.get(lang, lang)}
                                     for lang in self.recordings.languages],
                       "defaultLanguage": "sv", "maxDataCells": self.limits.max_cells,
                       "maxCallsPerTimeWindow": self.limits.max_calls, "timeWindow": int(self.limits.window_seconds),
                       "defaultDataFormat": "json-stat2", "dataFormats": list(SERVED_FORMATS)})
        return config

    def tables_page(self, request: Request, language: str) -> dict:
        size = integer_param(request, "pageSize") or PAGE_SIZE
        number = integer_param(request, "pageNumber") or 1
        size, number = (size if size > 0 else PAGE_SIZE), (number if number > 0 else 1)
        past_days = integer_param(request, "pastDays")
        include_discontinued = bool(boolean_param(request, "includeDiscontinued"))
        query = (request.param("query") or "").strip()
        entries = [self._entry(t, language) for key, t in sorted(self.recordings.tables.items())
                   if language in t.languages]
        entries = [e for e in entries if _matches(e, query) and (include_discontinued or not e.get("discontinued"))
                   and (past_days is None or _updated_within(e.get("updated"), past_days))]
        pages = max(1, math.ceil(len(entries) / size))
        if number > pages and entries:
            raise ApiProblem(404, "Non-existent page", "Non-existent page")
        link = f"{self.base_url}/tables/?lang={language}" + (f"&query={query}" if query else "") + \
               f"&pagesize={size}&pageNumber=" + "{}" + (f"&pastDays={past_days}" if past_days is not None else "")
        page_links = [{"rel": rel, "hreflang": language, "href": link.format(n)} for rel, n, show in (
            ("next", number + 1, number < pages), ("previous", number - 1, 1 < number <= pages),
            ("last", pages, pages > 1)) if show]
        return {"language": language, "tables": entries[(number - 1) * size: number * size],
                "page": {"pageNumber": number, "pageSize": size, "totalElements": len(entries), "totalPages": pages,
                         "links": page_links},
                "links": [{"rel": "self", "hreflang": language, "href": link.format(number)}]}

    def _entry(self, table: RecordedTable, language: str) -> dict:
        entry = documents.table_entry(self.recordings, table, language, self.base_url)
        entry["updated"] = self.republished.get(table.table_id, entry["updated"])
        return {k: v for k, v in entry.items() if k != "language"}

    def codelist(self, codelist_id: str, language: str) -> Reply:
        codelist = self.recordings.codelists.get(codelist_id)
        if codelist is None or language != codelist.get("language", "sv"):
            # SCB: HTTP 404 whose body says status 400.
            raise ApiProblem(404, "Non-existent codelist", f"codelist {codelist_id!r} "
                             + ("is not recorded" if codelist is None else f"is not recorded in {language!r}"),
                             body_status=400)
        return json_reply(rewrite_links(codelist, self.base_url))

    # -- /tables/{id}/… -------------------------------------------------------------------------------------------
    def table_endpoint(self, request: Request, table_id: str, endpoint: str, language: str) -> Reply:
        table = self._table(table_id, language, on_data=endpoint == "data")
        if endpoint == "table":
            entry = documents.table_entry(self.recordings, table, language, self.base_url)
            entry["updated"] = self.republished.get(table.table_id, entry["updated"])
            return json_reply(entry)
        if endpoint == "metadata":
            return json_reply(self.metadata(request, table, language))
        if endpoint == "defaultselection":
            selection, placement = default_selection(table, self._document(table, language))
            link = f"{self.base_url}/tables/{table.table_id}/defaultselection?lang={language}"
            return json_reply({"language": language, "links": [{"rel": "self", "hreflang": language, "href": link}],
                               "selection": selection, "placement": placement})
        query = get_query(request) if request.method == "GET" else post_query(request)
        return self.data(request, table, language, query)

    def metadata(self, request: Request, table: RecordedTable, language: str) -> dict:
        codelists = request.bracketed("codelist")
        if boolean_param(request, "defaultSelection"):
            selection, _ = default_selection(table, self._document(table, language))
            return self._restricted_metadata(table, language, selection)
        saved = request.param("savedQuery")
        if saved:
            query = self._saved(saved)
            return self._restricted_metadata(table, language, query["savedQuery"]["selection"]["selection"])
        document = self._document(table, language)
        try:
            for variable in codelists:
                if variable not in document["dimension"]:
                    raise SelectionProblem("Non-existent variable", f"variable {variable!r} does not exist")
                documents.apply_codelist(self.recordings, document, variable, codelists[variable])
        except SelectionProblem as err:
            raise ApiProblem(400, err.title, err.detail) from err
        return rewrite_links(document, self.base_url)

    def _restricted_metadata(self, table: RecordedTable, language: str, items: list[dict]) -> dict:
        resolved = self._resolve(table, language, items)
        document = resolved.document
        for variable in resolved.chosen:  # eliminated variables keep their values: they are not narrowed
            codes = resolved.chosen[variable]
            category = document["dimension"][variable]["category"]
            category["index"] = {code: i for i, code in enumerate(codes)}
            category["label"] = {code: category.get("label", {}).get(code, code) for code in codes}
            document["size"][document["id"].index(variable)] = len(codes)
        return rewrite_links(document, self.base_url)

    def _resolve(self, table: RecordedTable, language: str, items: list[dict] | None) -> Resolved:
        document = self._document(table, language)
        placement = None
        if items is None:
            items, default = default_selection(table, document)
            placement = (default["stub"], default["heading"])
        try:
            resolved = resolve(self.recordings, table, document, items)
        except SelectionProblem as err:
            raise ApiProblem(400, err.title, err.detail) from err
        resolved.placement = placement or default_placement(resolved.document, resolved)
        return resolved

    def data(self, request: Request, table: RecordedTable, language: str, query: DataQuery,
             stored: dict | None = None) -> Reply:
        output_format = (request.param("outputFormat") or (stored or {}).get("outputFormat") or "json-stat2").lower()
        if output_format not in OUTPUT_FORMATS:
            raise invalid("outputFormat", f"The value '{output_format}' is not valid for outputFormat.")
        if output_format not in SERVED_FORMATS:
            raise ApiProblem(400, "Unsupported output format", "Unsupported output format")
        params = [p.strip() for value in request.params("outputFormatParams") for p in value.split(",") if p.strip()]
        try:
            params = check_params(output_format, params or list((stored or {}).get("outputFormatParams", [])))
        except FormatProblem as err:
            raise ApiProblem(400, "Unsupported output format", str(err)) from err
        resolved = self._resolve(table, language, query.items)
        if query.items is not None and (query.heading or query.stub):
            resolved.placement = requested_placement(resolved, query.heading, query.stub) or resolved.placement
        if resolved.cells > self.limits.max_cells:
            raise ApiProblem(self.limits.cell_limit_status, "Too many cells selected",
                             f"The request selects {resolved.cells} cells; the limit is {self.limits.max_cells}")
        try:
            values, status = answer_cells(table, resolved)
        except SelectionProblem as err:
            raise ApiProblem(400, err.title, f"{err.detail} of table {table.table_id}") from err
        document = documents.data_document(resolved.document, language, resolved.chosen, resolved.order,
                                           resolved.placement, values, status, table.elimination_values())
        document = rewrite_links(document, self.base_url)
        body = serialize(output_format, Table2D(document, *resolved.placement, values, status), params)
        matrix = document["extension"].get("px", {}).get("matrix", table.table_id)
        headers = {"Content-Disposition": f'inline; filename="{matrix}.{SUFFIXES[output_format]}"'}
        reply = Reply(200, body, CONTENT_TYPES[output_format], headers,
                      document if output_format == "json-stat2" else None)
        return reply

    # -- /savedqueries ------------------------------------------------------------------------------------------
    def saved_queries(self, request: Request, rest: list[str], language: str) -> Reply:
        if not rest and request.method == "POST":
            body = saved_query_body(request)
            try:  # SCB runs the query once to check it; whatever is wrong with it is a 400
                table = self._table(body["tableId"], body["language"].lower())
                query = DataQuery(body["selection"]["selection"] or None, [], [])
                self.data(request, table, body["language"].lower(), query, body)
            except ApiProblem as err:
                raise ApiProblem(400, err.title, err.detail, body_status=err.body_status or err.status,
                                 errors=err.errors) from err
            saved_id = str(uuid.uuid4())
            stored = {**body, "id": saved_id}
            self.saved[saved_id] = stored
            reply = json_reply(self._saved_response(stored), status=201)
            reply.headers["Location"] = f"{self.base_url}/savedqueries/{saved_id}"
            return reply
        if not rest or len(rest) > 2:
            return Reply(404, b"", "text/plain")
        stored = self._saved(rest[0])["savedQuery"]
        if len(rest) == 1:
            return json_reply(self._saved_response(stored))
        table = self._table(stored["tableId"], language)
        items = stored["selection"]["selection"] or None
        if rest[1].lower() == "data":
            placement = stored["selection"].get("placement") or {}
            query = DataQuery(items, placement.get("heading", []), placement.get("stub", []))
            return self.data(request, table, language, query, stored)
        if rest[1].lower() == "selection":
            resolved = self._resolve(table, language, items)
            selection = [{"variableCode": v, "valueCodes": resolved.chosen.get(v, [])}
                         for v in resolved.document["id"]]
            link = f"{self.base_url}/savedqueries/{rest[0]}/selection?lang={language}"
            return json_reply({"language": language, "links": [{"rel": "self", "hreflang": language, "href": link}],
                               "selection": selection,
                               "placement": {"heading": resolved.placement[1], "stub": resolved.placement[0]}})
        return Reply(404, b"", "text/plain")

    def _saved(self, saved_id: str) -> dict:
        if any(part in saved_id for part in ("..", "/", "\\")):
            raise ApiProblem(400, "Saved query not found", "Saved query not found", body_status=404)
        stored = self.saved.get(saved_id)
        if stored is None:
            raise ApiProblem(404, "Saved query not found", "Saved query not found")
        return self._saved_response(stored)

    def _saved_response(self, stored: dict) -> dict:
        saved = {"id": stored["id"], "selection": stored["selection"], "language": stored["language"],
                 "tableId": stored["tableId"], "outputFormat": stored.get("outputFormat") or "json-stat2",
                 "outputFormatParams": stored.get("outputFormatParams", [])}
        return {"language": stored["language"], "id": stored["id"], "savedQuery": saved,
                "links": [{"rel": "self", "hreflang": stored["language"],
                           "href": f"{self.base_url}/savedqueries/{stored['id']}"}]}


def _matches(entry: dict, query: str) -> bool:
    """Every word of the query in the table's id, title or variable names (SCB searches with Lucene, AND)."""
    text = " ".join([entry["id"], entry.get("label") or "", *entry.get("variableNames", [])]).lower()
    return all(word.strip("*").lower() in text for word in query.split())


def _updated_within(updated: str | None, days: int) -> bool:
    """SCB keeps a table when it was updated within the last ``days`` days."""
    if not updated:
        return False
    stamp = datetime.fromisoformat(updated.replace("Z", "+00:00"))
    try:
        return stamp >= datetime.now(UTC) - timedelta(days=days)
    except OverflowError:  # further back than dates go: every table
        return days > 0

