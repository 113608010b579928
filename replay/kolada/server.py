"""A Kolada v3 server on loopback that answers from the Kolada material in ../shared/kolada.

Real values, rebuilt shape. The values, the KPI catalogue and the municipality list are Kolada's own, as rKolada
downloaded them from https://api.kolada.se/v3 and saved them on 2026-03-23 (shared/kolada/PROVENANCE.md). No raw
Kolada JSON response with a traceable source exists (PROVENANCE.md says so), so the *shape* of every answer is
rebuilt here from the documented v3 envelope (shared/README.md, kolada/): ``{"count", "values": [...],
"next_url"}``, with data rows ``{kpi, municipality, period, values: [{gender, status, value, count}], isdeleted}``.
rKolada had simplified the value rows (unnested ``values``, renamed ``period``/``municipality`` to
``year``/``municipality_id``, dropped ``isdeleted``); they are regrouped into the nested shape here.

Endpoints: ``/kpi``, ``/kpi/{ids}``, ``/municipality``, ``/municipality/{ids}`` and
``/data/kpi/{ids}/municipality/{ids}/year/{years}`` (any two of the three segments, as Kolada allows), each paged
with ``per_page`` (1-5000) and ``page``; data also takes ``from_date``. A KPI, region or year without recorded values
gets an empty ``values`` list, as Kolada answers. More than 25 ids in a path segment gets 400 (problem+json); more
than ``max_calls`` per ``window_seconds`` from one address gets 429 with Retry-After (LoopbackServer).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlencode

from replay.faults import Fault
from replay.loopback import LoopbackServer, Reply, Request, json_reply, problem

API_PREFIX = "/v3"
RECORDED_ON = date(2026, 3, 23)  # rKolada re-saved its v3 data that day (commit d5293887, PROVENANCE.md)
MAX_IDS_PER_SEGMENT = 25
MAX_PER_PAGE = 5000
DATA_SEGMENTS = ("kpi", "municipality", "year")
_KPI_BOOLEANS = ("is_divided_by_gender", "has_ou_data")

ValueKey = tuple[str, str, int]  # (kpi, Kolada region id, year)


class BadKoladaRequest(ValueError):
    """A request Kolada would refuse: answered with 400 and this message."""


@dataclass(frozen=True)
class KoladaRecording:
    kpis: list[dict]
    municipalities: list[dict]
    values: dict[ValueKey, list[dict]]  # the cells of one data row, in recorded order


def load_kolada_recording(kolada_dir: Path) -> KoladaRecording:
    kpis = [_kpi_entry(row) for row in _read_csv(kolada_dir / "kolada_v3_kpi_catalog_from_rKolada_sysdata.csv")]
    municipalities = _read_csv(kolada_dir / "kolada_v3_municipality_from_rKolada_sysdata.csv")
    value_files = sorted(kolada_dir.glob("kolada_v3_values_*.csv"))
    if not value_files:
        raise FileNotFoundError(f"no kolada_v3_values_*.csv in {kolada_dir}")
    return KoladaRecording(kpis, municipalities, group_recorded_values(value_files))


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _kpi_entry(row: dict[str, str]) -> dict:
    """A catalogue row as JSON: True/False as booleans; an empty cell (R's NA after conversion) as null."""
    entry: dict = {key: (value if value != "" else None) for key, value in row.items()}
    for key in _KPI_BOOLEANS:
        if entry.get(key) is not None:
            entry[key] = entry[key] == "True"
    return entry


def group_recorded_values(paths: list[Path]) -> dict[ValueKey, list[dict]]:
    """rKolada's flat rows (one per gender) regrouped by (kpi, region, year), as the API nests them."""
    grouped: dict[ValueKey, list[dict]] = {}
    for path in paths:
        for row in _read_csv(path):
            key = (row["kpi"], row["municipality_id"], int(row["year"]))
            cells = grouped.setdefault(key, [])
            if any(cell["gender"] == row["gender"] for cell in cells):
                raise ValueError(f"{path.name}: {key} gender {row['gender']} is recorded twice")
            cells.append({"gender": row["gender"], "status": row["status"],
                          "value": float(row["value"]) if row["value"] != "" else None,
                          "count": int(row["count"]) if row["count"] != "" else None})
    return grouped


class KoladaReplayServer(LoopbackServer):
    name = "kolada-replay"

    def __init__(self, shared_dir: Path, max_calls: int = 5, window_seconds: float = 1.0, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        # 5 calls per second: Kolada publishes no limit; shared/README.md advises staying near 5/s.
        super().__init__(max_calls, window_seconds, host, port)
        self.kolada_dir = (Path(shared_dir) / "kolada").resolve()
        self.recording = load_kolada_recording(self.kolada_dir)

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    # -- routing ------------------------------------------------------------------------------------------------
    def route(self, request: Request) -> tuple[str, str | None, Reply]:
        if not request.path.startswith(API_PREFIX + "/"):
            return "other", None, problem(404, "Not Found", f"no resource at {request.path}")
        parts = [unquote(p) for p in request.path[len(API_PREFIX):].split("/") if p]
        head, rest = (parts[0], parts[1:]) if parts else ("", [])
        if head == "kpi" and len(rest) <= 1:
            ids = rest[0] if rest else None
            return "metadata", ids, self._guarded(lambda: self.kpi_page(request, ids))
        if head == "municipality" and len(rest) <= 1:
            ids = rest[0] if rest else None
            return "municipality", None, self._guarded(lambda: self.municipality_page(request, ids))
        if head == "data":
            kpis = rest[rest.index("kpi") + 1] if "kpi" in rest[:-1] else None
            return "data", kpis, self._guarded(lambda: self.data_page(request, rest))
        return "other", None, problem(404, "Not Found", f"no resource at {request.path}")

    @staticmethod
    def _guarded(make: Callable[[], dict]) -> Reply:
        try:
            return json_reply(make())
        except BadKoladaRequest as err:
            return problem(400, "Bad Request", str(err))

    def damage_content(self, fault: Fault, reply: Reply) -> Reply:
        # Content faults edit json-stat2 documents (replay/faults.py); say so rather than pass a clean answer off
        # as a damaged one.
        return problem(501, "Not Implemented", f"content fault {fault.kind!r} is json-stat2 specific; "
                                               "the Kolada replay does not apply it")

    # -- metadata -----------------------------------------------------------------------------------------------
    def kpi_page(self, request: Request, ids: str | None) -> dict:
        kpis = self.recording.kpis
        if ids is not None:
            wanted = set(_segment_ids("kpi", ids))
            kpis = [kpi for kpi in kpis if kpi["id"] in wanted]  # unknown ids are left out, not an error
        return self.page_document(request, kpis)

    def municipality_page(self, request: Request, ids: str | None) -> dict:
        regions = self.recording.municipalities
        if ids is not None:
            wanted = set(_segment_ids("municipality", ids))
            regions = [region for region in regions if region["id"] in wanted]
        region_type = request.param("region_type")
        if region_type:
            regions = [region for region in regions if region["type"] == region_type]
        return self.page_document(request, regions)

    # -- data ---------------------------------------------------------------------------------------------------
    def data_page(self, request: Request, parts: list[str]) -> dict:
        segments = _data_segments(parts)
        kpis, regions = segments.get("kpi"), segments.get("municipality")
        years = {_year(y) for y in segments["year"]} if "year" in segments else None
        if not _changed_since(request.param("from_date")):
            return self.page_document(request, [])
        rows = [_data_row(key, cells) for key, cells in sorted(self.recording.values.items())
                if (kpis is None or key[0] in kpis) and (regions is None or key[1] in regions)
                and (years is None or key[2] in years)]
        return self.page_document(request, rows)

    # -- paging -------------------------------------------------------------------------------------------------
    def page_document(self, request: Request, items: list[dict]) -> dict:
        per_page = _int_param(request, "per_page", MAX_PER_PAGE, MAX_PER_PAGE)
        page = _int_param(request, "page", 1, None)
        shown = items[(page - 1) * per_page: page * per_page]
        has_next = page * per_page < len(items)
        # count is the length of this page's values, as Kolada documented it for v1/v2 (Hypergene/kolada README).
        return {"count": len(shown), "values": shown,
                "next_url": self._page_url(request, page + 1) if has_next else None}

    def _page_url(self, request: Request, page: int) -> str:
        query = {key: values[-1] for key, values in request.query.items()}
        query["page"] = str(page)
        return f"{self.origin}{request.path}?{urlencode(query)}"


def _segment_ids(name: str, segment: str) -> list[str]:
    ids = [i.strip() for i in segment.split(",") if i.strip()]
    if not ids:
        raise BadKoladaRequest(f"the {name} segment lists no ids")
    if len(ids) > MAX_IDS_PER_SEGMENT:
        raise BadKoladaRequest(f"the {name} segment lists {len(ids)} ids; at most {MAX_IDS_PER_SEGMENT} are allowed "
                               "per path segment")
    return ids


def _data_segments(parts: list[str]) -> dict[str, list[str]]:
    """/data/kpi/{ids}/municipality/{ids}/year/{years} as {"kpi": [...], ...}; at least two of the three."""
    if len(parts) % 2:
        raise BadKoladaRequest(f"the data path must be name/value pairs, got /data/{'/'.join(parts)}")
    segments: dict[str, list[str]] = {}
    for name, value in zip(parts[::2], parts[1::2], strict=True):
        if name not in DATA_SEGMENTS or name in segments:
            raise BadKoladaRequest(f"unexpected or repeated data path segment {name!r}; use kpi, municipality, year")
        segments[name] = _segment_ids(name, value)
    if len(segments) < 2:
        raise BadKoladaRequest("a data call needs at least two of kpi, municipality and year")
    return segments


def _year(text: str) -> int:
    if not re.fullmatch(r"\d{4}", text):
        raise BadKoladaRequest(f"year {text!r} is not a four-digit year")
    return int(text)


def _changed_since(from_date: str | None) -> bool:
    """Whether any recorded value changed after from_date.

    rKolada kept no per-row update dates, so the replay can only say: everything was current on the recording day.
    A from_date after 2026-03-23 therefore finds nothing changed (empty values); on or before it, everything counts
    as changed (the recording day itself included: a value updated that morning may be newer than the caller's copy).
    """
    if from_date is None:
        return True
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", from_date):
            raise ValueError
        return date.fromisoformat(from_date) <= RECORDED_ON
    except ValueError:
        raise BadKoladaRequest(f"from_date {from_date!r} is not a date (YYYY-MM-DD)") from None


def _data_row(key: ValueKey, cells: list[dict]) -> dict:
    kpi, region, year = key
    # isdeleted is always false: rKolada dropped the flag, and its get_values() removes deleted rows by default.
    return {"kpi": kpi, "municipality": region, "period": year, "values": [dict(cell) for cell in cells],
            "isdeleted": False}


def _int_param(request: Request, name: str, default: int, maximum: int | None) -> int:
    text = request.param(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or int(text) < 1 or (maximum is not None and int(text) > maximum):
        raise BadKoladaRequest(f"{name}={text!r} must be a whole number from 1" + (f" to {maximum}" if maximum
                                                                                      else ""))
    return int(text)
