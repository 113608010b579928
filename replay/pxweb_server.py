"""A PxWebApi 2 server on loopback that answers from SCB's recordings in ../shared/scb.

It speaks the API as ``shared/scb/spec/PxAPI-2.yml`` describes it: ``/config``, ``/tables``, ``/tables/{id}``,
``/tables/{id}/metadata``, ``/tables/{id}/defaultselection``, ``/tables/{id}/data`` (GET with
``valueCodes[VAR]=…`` or POST with a selection) and ``/codelists/{id}``. Any valid selection is answered by slicing
the recorded cube (value codes and expressions are expanded by the same code the client uses); errors come as
problem+json. The limits are enforced as SCB does: more than ``max_calls`` per ``window_seconds`` from one address
gets 429 with Retry-After, more than ``max_cells`` in one data call gets an error status (403 in the spec).
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from replay.cubes import Cube, load_recorded_cubes, metadata_template
from replay.faults import Fault, damage_document
from replay.loopback import LoopbackServer, Reply, Request, json_reply, problem
from tasks.fetch.selection import SelectionError, expand_value_expressions

API_PREFIX = "/api/v2"
PROJECT_RECORDINGS = (Path(__file__).resolve().parent.parent / "recordings" / "scb").resolve()


@dataclass(frozen=True)
class ReplayLimits:
    """SCB's published limits for PxWebApi 2 (shared/README.md): 150,000 cells per call, 30 calls per 10 s."""

    max_cells: int = 150_000
    max_calls: int = 30
    window_seconds: float = 10
    cell_limit_status: int = 403  # PxAPI-2.yml says 403; the open-source PxWeb server answers 400


class PxWebReplayServer(LoopbackServer):
    name = "pxweb-replay"

    def __init__(self, shared_dir: Path, limits: ReplayLimits = ReplayLimits(), host: str = "127.0.0.1",
                 port: int = 0) -> None:
        super().__init__(limits.max_calls, limits.window_seconds, host, port)
        self.scb_dir = (Path(shared_dir) / "scb").resolve()
        # SCB's recordings in ../shared, then those this project keeps with their provenance (recordings/).
        self.scb_dirs = (self.scb_dir, PROJECT_RECORDINGS)
        self.limits = limits
        self.cubes = load_recorded_cubes(*self.scb_dirs)
        self.config = json.loads((self.scb_dir / "v2" / "config.json").read_text(encoding="utf-8"))
        self._republished: dict[str, str] = {}

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    def republish(self, table_id: str, updated: str) -> None:
        """Act as if SCB republished the table: its `updated` stamp changes (the recorded values stay)."""
        if table_id not in self.cubes:
            raise KeyError(table_id)
        self._republished[table_id] = updated

    def reset(self) -> None:
        super().reset()
        self._republished.clear()

    def updated(self, cube: Cube) -> str | None:
        return self._republished.get(cube.table_id, cube.updated)

    # -- routing ------------------------------------------------------------------------------------------------
    def route(self, request: Request) -> tuple[str, str | None, Reply]:
        if not request.path.startswith(API_PREFIX):
            return "other", None, problem(404, "Not Found", f"no resource at {request.path}")
        parts = [p for p in request.path[len(API_PREFIX):].split("/") if p]
        if parts == ["config"]:
            return "config", None, json_reply(self.config_document())
        if parts == ["tables"]:
            return "tables", None, json_reply(self.tables_page(request))
        if len(parts) == 2 and parts[0].lower() == "codelists":
            return "codelists", None, self.codelist(parts[1])
        if len(parts) in (2, 3) and parts[0] == "tables":
            table_id = parts[1]
            endpoint = parts[2] if len(parts) == 3 else "table"
            kind = "data" if endpoint == "data" else ("metadata" if endpoint == "metadata" else "tables")
            cube = self.cubes.get(table_id)
            if cube is None:
                return kind, table_id, problem(404, "Not Found", f"Table {table_id} does not exist")
            return kind, table_id, self._table_endpoint(cube, endpoint, request)
        return "other", None, problem(404, "Not Found", f"no resource at {request.path}")

    def _table_endpoint(self, cube: Cube, endpoint: str, request: Request) -> Reply:
        if endpoint == "table":
            return json_reply(self.table_entry(cube))
        if endpoint == "metadata":
            return self._guarded(lambda: json_reply(self.metadata_document(cube, request.bracketed("codelist"))))
        if endpoint == "defaultselection":
            return json_reply({"language": "sv", "selection": self.default_selection(cube), "links": []})
        if endpoint == "data":
            return self._guarded(lambda: self.data(cube, request))
        return problem(404, "Not Found", f"no resource {endpoint} for table {cube.table_id}")

    @staticmethod
    def _guarded(make) -> Reply:
        try:
            return make()
        except SelectionError as err:
            return problem(400, "Bad Request", str(err))

    def damage_content(self, fault: Fault, reply: Reply) -> Reply:
        if reply.document is None:
            return reply
        return json_reply(damage_document(fault, reply.document))

    # -- documents ----------------------------------------------------------------------------------------------
    def config_document(self) -> dict:
        # The recorded /config is SCB's, with test-set call limits (PROVENANCE.md): announce the limits enforced.
        return {**self.config, "maxDataCells": self.limits.max_cells,
                "maxCallsPerTimeWindow": self.limits.max_calls, "timeWindow": self.limits.window_seconds}

    def table_entry(self, cube: Cube) -> dict:
        periods = cube.dimension(cube.time_variable).codes if cube.time_variable else []
        link = f"{self.base_url}/tables/{cube.table_id}"
        return {
            "type": "Table", "id": cube.table_id, "label": cube.label, "description": "", "updated": self.updated(cube),
            "firstPeriod": periods[0] if periods else None, "lastPeriod": periods[-1] if periods else None,
            "category": "public", "discontinued": False,
            "variableNames": [d.spec.get("label", d.id) for d in cube.dimensions],
            "source": cube.extras.get("source", "SCB"), "paths": [],
            "links": [{"rel": "self", "hreflang": "sv", "href": f"{link}?lang=sv"},
                      {"rel": "metadata", "hreflang": "sv", "href": f"{link}/metadata?lang=sv"},
                      {"rel": "data", "hreflang": "sv", "href": f"{link}/data?lang=sv&outputFormat=json-stat2"}],
        }

    def tables_page(self, request: Request) -> dict:
        query = (request.param("query") or "").lower()
        entries = [self.table_entry(c) for c in self.cubes.values()
                   if query in c.table_id.lower() or query in c.label.lower()]
        size = max(1, int(request.param("pageSize", "20")))
        number = max(1, int(request.param("pageNumber", "1")))
        pages = max(1, math.ceil(len(entries) / size))
        page_link = f"{self.base_url}/tables?lang=sv&pageSize={size}&pageNumber="
        links = [{"rel": "next", "hreflang": "sv", "href": page_link + str(number + 1)}] if number < pages else []
        return {"language": "sv", "tables": entries[(number - 1) * size: number * size],
                "page": {"pageNumber": number, "pageSize": size, "totalElements": len(entries),
                         "totalPages": pages, "links": links},
                "links": [{"rel": "self", "hreflang": "sv", "href": page_link + str(number)}]}

    def codelist(self, codelist_id: str) -> Reply:
        path = self.scb_dir / "v2" / "codelists" / f"{codelist_id}.json"
        if not path.exists():
            return problem(404, "Not Found", f"Codelist {codelist_id} does not exist")
        return json_reply(json.loads(path.read_text(encoding="utf-8")))

    def metadata_document(self, cube: Cube, codelists: dict[str, str]) -> dict:
        """SCB's metadata shape; categories are the recorded ones (the replay cannot answer others)."""
        self._check_codelists(cube, codelists)
        template = metadata_template(self.scb_dirs, cube.table_id) or {}
        dimensions = {}
        for d in cube.dimensions:
            spec = {**d.spec, **{k: v for k, v in template.get("dimension", {}).get(d.id, {}).items()
                                 if k != "category"}}
            spec["category"] = _category(d.codes, d.labels, d.units)
            dimensions[d.id] = spec
        return {
            "version": "2.0", "class": "dataset", "label": template.get("label", cube.label),
            "source": cube.extras.get("source", "SCB"), "updated": self.updated(cube),
            **({"note": cube.extras["note"]} if cube.extras.get("note") else {}),
            "role": cube.role, "id": [d.id for d in cube.dimensions],
            "size": [len(d.codes) for d in cube.dimensions], "dimension": dimensions,
            "extension": template.get("extension", cube.extras.get("extension", {})), "value": [],
        }

    def default_selection(self, cube: Cube) -> list[dict]:
        """A stand-in for SCB's default selection: elimination values, else the first value (the last period)."""
        selection = []
        for d in cube.dimensions:
            elimination = d.spec.get("extension", {}).get("eliminationValueCode")
            value = elimination or (d.codes[-1] if d.id == cube.time_variable else d.codes[0])
            selection.append({"variableCode": d.id, "valueCodes": [value]})
        return selection

    # -- data ---------------------------------------------------------------------------------------------------
    def data(self, cube: Cube, request: Request) -> Reply:
        output_format = request.param("outputFormat", "json-stat2")
        if output_format != "json-stat2":
            return problem(400, "Bad Request", f"outputFormat {output_format!r} is not served by the replay "
                                               "(it holds json-stat2 recordings)")
        selection = self._requested_selection(cube, request)
        if isinstance(selection, Reply):
            return selection
        requested = {item["variableCode"]: item for item in selection}
        unknown = sorted(set(requested) - {d.id for d in cube.dimensions})
        if unknown:
            raise SelectionError(f"Variable(s) {unknown} do not exist in table {cube.table_id}")
        self._check_codelists(cube, {v: i["codelist"] for v, i in requested.items() if i.get("codelist")})
        chosen, summed = self._choose_values(cube, requested)
        # The answer's cells: a variable eliminated by summing adds none (the client counts the same way).
        cells = math.prod(len(codes) for axis, codes in enumerate(chosen) if axis not in summed)
        if cells > self.limits.max_cells:
            return problem(self.limits.cell_limit_status, "Forbidden" if self.limits.cell_limit_status == 403
                           else "Bad Request", f"The request selects {cells} cells; the limit is "
                                               f"{self.limits.max_cells} per call")
        return json_reply(self._slice_document(cube, chosen, summed))

    def _requested_selection(self, cube: Cube, request: Request) -> list[dict] | Reply:
        if request.method == "POST" and request.body.strip():
            try:
                body = json.loads(request.body)
                selection = body["selection"]
                for item in selection:
                    item["valueCodes"] = [str(v) for v in item.get("valueCodes") or []]
                    item["variableCode"] = str(item["variableCode"])
            except (ValueError, KeyError, TypeError) as err:
                return problem(400, "Bad Request", f"the body is not a PxWebApi 2 selection ({err})")
            return selection
        value_codes = request.bracketed("valueCodes")
        codelists = request.bracketed("codelist")
        if value_codes:
            return [{"variableCode": v, "valueCodes": [c.strip() for c in codes.split(",")],
                     "codelist": codelists.get(v)} for v, codes in value_codes.items()]
        return self.default_selection(cube)  # no selection: SCB answers its default selection

    def _check_codelists(self, cube: Cube, requested: dict[str, str]) -> None:
        for variable in {**cube.codelists, **requested}:
            recorded = cube.codelists.get(variable)
            if requested.get(variable) != recorded:
                raise SelectionError(
                    f"the replay holds {cube.table_id}'s {variable} only "
                    + (f"under codelist {recorded!r}" if recorded else "without a codelist")
                    + f"; the request asked for {requested.get(variable)!r}")

    def _choose_values(self, cube: Cube, requested: dict[str, dict]) -> tuple[list[list[str]], list[int]]:
        chosen, summed = [], []
        for axis, d in enumerate(cube.dimensions):
            extension = d.spec.get("extension", {})
            if d.id in requested:
                values = expand_value_expressions(requested[d.id]["valueCodes"], d.codes, d.id)
                if not values:
                    raise SelectionError(f"the selection for {d.id!r} matches no values")
            elif extension.get("eliminationValueCode") in d.codes:
                values = [extension["eliminationValueCode"]]
            elif extension.get("elimination"):
                values = list(d.codes)  # eliminated without a total value: PxWeb sums over it
                summed.append(axis)
            else:
                raise SelectionError(f"Mandatory variable {d.id!r} is missing in the selection")
            chosen.append(values)
        return chosen, summed

    def _slice_document(self, cube: Cube, chosen: list[list[str]], summed: list[int]) -> dict:
        index = np.ix_(*[[d.position()[c] for c in codes] for d, codes in zip(cube.dimensions, chosen,
                                                                              strict=True)])
        if not cube.recorded[index].all():
            raise SelectionError(f"the replay has no recording for part of this selection of {cube.table_id}")
        values, status = cube.values[index], cube.status[index]
        if summed:
            missing = np.isnan(values).any(axis=tuple(summed))
            values = values.sum(axis=tuple(summed))
            status = np.where(missing, "..", None).astype(object)
        kept = [(d, codes) for axis, (d, codes) in enumerate(zip(cube.dimensions, chosen, strict=True))
                if axis not in summed]
        flat_values = [None if np.isnan(v) else _number(v) for v in values.ravel()]
        flat_status = {str(i): s for i, s in enumerate(status.ravel()) if s is not None}
        document = {
            "version": "2.0", "class": "dataset", "label": cube.label, "source": cube.extras.get("source", "SCB"),
            "updated": self.updated(cube), **({"note": cube.extras["note"]} if cube.extras.get("note") else {}),
            "role": {k: [v for v in vs if v in {d.id for d, _ in kept}] for k, vs in cube.role.items()},
            "id": [d.id for d, _ in kept], "size": [len(codes) for _, codes in kept],
            "dimension": {d.id: {**d.spec, "category": _category(codes, d.labels, d.units)} for d, codes in kept},
            "value": flat_values,
        }
        if flat_status:
            document["status"] = flat_status
        return document


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _category(codes: list[str], labels: dict[str, str], units: dict[str, dict]) -> dict:
    category: dict = {"index": {code: i for i, code in enumerate(codes)},
                      "label": {code: labels.get(code, code) for code in codes}}
    chosen_units = {code: units[code] for code in codes if code in units}
    if chosen_units:
        category["unit"] = chosen_units
    return category


def serve_forever(shared_dir: Path, host: str = "127.0.0.1", port: int = 8765,
                  limits: ReplayLimits = ReplayLimits()) -> None:
    """`oms serve-replay`: run the replay server in the foreground until interrupted."""
    server = PxWebReplayServer(shared_dir, limits, host, port)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
