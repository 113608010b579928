"""Kolada's v3 API: KPI metadata and paged KPI values, and pure parsers for what it sends back.

The same code talks to Kolada (https://api.kolada.se/v3) and to our loopback replay (replay/kolada_server.py); only
the base URL differs. What we rely on (shared/README.md, kolada/): ``/kpi/{ids}`` and
``/data/kpi/{kpis}/municipality/{ids}/year/{years}``, at most 25 ids per path segment, ``per_page`` up to 5000,
pages chained by an absolute ``next_url`` in the body, ``from_date=YYYY-MM-DD`` for incremental loads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from datetime import date

from tasks.fetch.common.documents import load_json_document
from tasks.fetch.common.errors import ResponseFormatError
from tasks.fetch.common.http import HttpCaller, RawResponse
from tasks.lazy import LazyModule

pd = LazyModule("pandas")

MAX_IDS_PER_SEGMENT = 25  # Kolada refuses longer comma lists in one path segment (kpi, municipality and year alike)
MAX_PER_PAGE = 5000
GENDERS = frozenset({"T", "K", "M"})  # totalt, kvinnor, män
VALUE_COLUMNS = ("kpi", "kolada_id", "period", "gender", "value", "status", "count", "isdeleted")
KPI_FIELDS = ("title", "description", "is_divided_by_gender", "municipality_type", "auspice", "operating_area",
              "perspective", "prel_publication_date", "publication_date", "publ_period", "has_ou_data")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_REGION_ID = re.compile(r"\d{4}")


# -- requests ---------------------------------------------------------------------------------------------------
def chunked(ids: list[str], size: int = MAX_IDS_PER_SEGMENT) -> list[list[str]]:
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def _unique_ids(ids: Iterable[str | int], name: str) -> list[str]:
    """The ids as strings, duplicates dropped (order kept); an empty list is a caller's mistake, not 'everything'."""
    unique = list(dict.fromkeys(str(i).strip() for i in ids))
    if not unique or "" in unique:
        raise ValueError(f"{name} must list at least one non-empty id")
    return unique


def checked_from_date(from_date: str) -> str:
    if not _ISO_DATE.fullmatch(from_date):
        raise ValueError(f"from_date must be YYYY-MM-DD, got {from_date!r}")
    date.fromisoformat(from_date)  # rejects 2026-02-30 with a ValueError naming the day
    return from_date


def data_paths(kpi_ids: list[str], region_ids: list[str], years: list[int] | None) -> list[str]:
    """Every data path needed, each segment holding at most 25 ids; ``years=None`` asks for all years."""
    kpi_chunks = chunked(_unique_ids(kpi_ids, "kpi_ids"))
    region_chunks = chunked(_unique_ids(region_ids, "region_ids"))
    year_chunks: list[list[str] | None] = [None] if years is None else chunked(_unique_ids(years, "years"))
    return [
        f"/data/kpi/{','.join(kpis)}/municipality/{','.join(regions)}"
        + (f"/year/{','.join(year_chunk)}" if year_chunk is not None else "")
        for kpis in kpi_chunks for regions in region_chunks for year_chunk in year_chunks
    ]


def minimum_kolada_calls(kpi_count: int, region_count: int, year_count: int | None, rows: int = 0,
                         per_page: int = MAX_PER_PAGE) -> int:
    """A lower bound on data calls: one per 25x25x25 block of ids, and never fewer than the rows need pages."""
    blocks = (math.ceil(kpi_count / MAX_IDS_PER_SEGMENT) * math.ceil(region_count / MAX_IDS_PER_SEGMENT)
              * (1 if year_count is None else math.ceil(year_count / MAX_IDS_PER_SEGMENT)))
    return max(blocks, math.ceil(rows / per_page))


class KoladaClient:
    def __init__(self, caller: HttpCaller, per_page: int = MAX_PER_PAGE) -> None:
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
        self.caller = caller
        self.per_page = per_page

    @property
    def base_url(self) -> str:
        return self.caller.base_url

    def kpi_metadata(self, kpi_ids: list[str]) -> RawResponse:
        """GET /kpi/{ids}: one page, since 25 ids always fit in a page of MAX_PER_PAGE."""
        ids = _unique_ids(kpi_ids, "kpi_ids")
        if len(ids) > MAX_IDS_PER_SEGMENT:
            raise ValueError(f"{len(ids)} KPI ids in one call; Kolada accepts at most {MAX_IDS_PER_SEGMENT} per "
                             "path segment, so ask in chunks (see chunked())")
        # per_page is not self.per_page: a small data page size must not cut the metadata answer short.
        return self.caller.call("GET", f"/kpi/{','.join(ids)}", "metadata", params={"per_page": MAX_PER_PAGE})

    def data_pages(self, kpi_ids: list[str], region_ids: list[str], years: list[int] | None,
                   from_date: str | None = None) -> Iterator[RawResponse]:
        """Every page of every chunked data call, each exactly as received (the pipeline lands it before parsing)."""
        params: dict[str, str | int] = {"per_page": self.per_page}
        if from_date is not None:
            params["from_date"] = checked_from_date(from_date)
        for path in data_paths(kpi_ids, region_ids, years):
            yield from self._follow_pages(path, params)

    def _follow_pages(self, path: str, params: dict) -> Iterator[RawResponse]:
        raw = self.caller.call("GET", path, "data", params=params)
        seen = {raw.url}
        while True:
            yield raw  # before reading next_url: a broken page is landed first, then its error surfaces here
            url = next_page_url(raw.body, f"Kolada page {raw.url}")
            if url is None:
                return
            if url in seen:
                raise ResponseFormatError(f"Kolada page {raw.url} names an already fetched page as next_url: {url}")
            seen.add(url)
            raw = self.caller.call("GET", url, "data")  # next_url is absolute and carries every parameter


# -- parsers: bytes in, values out, no sockets -------------------------------------------------------------------
def _values_list(body: bytes, what: str) -> tuple[dict, list]:
    document = load_json_document(body, what)
    if not isinstance(document, dict):
        raise ResponseFormatError(f"{what} is JSON but not an object")
    values = document.get("values")
    if not isinstance(values, list):
        raise ResponseFormatError(f"{what} is JSON without a 'values' list (keys: {sorted(document)[:8]})")
    return document, values


def next_page_url(body: bytes, what: str = "Kolada response") -> str | None:
    """The absolute URL of the next page, or None on the last page (next_url null, empty or absent)."""
    document, _ = _values_list(body, what)
    # v3 names it next_url (rKolada's v3 client); v2 called it next_page, which some v3-era clients still read.
    # Accepting both costs nothing, and reading only one would silently stop after page 1 if Kolada used the other.
    url = document.get("next_url") or document.get("next_page")
    if url is None:
        return None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ResponseFormatError(f"{what}: next_url is not an absolute URL: {url!r}")
    return url


def parse_kolada_values(body: bytes, what: str = "Kolada data response") -> pd.DataFrame:
    """One row per (kpi, region, period, gender): the nested v3 rows flattened, in the order Kolada sent them."""
    _, rows = _values_list(body, what)
    records = [cell for index, row in enumerate(rows) for cell in _flatten_row(row, index, what)]
    columns = dict(zip(VALUE_COLUMNS, zip(*records, strict=True), strict=True)) if records else {}
    dtypes = {"value": "float64", "status": "object", "count": "Int64", "isdeleted": "bool"}
    # status stays object so that "no status" is None, not the NaN a pandas string column would make of it.
    return pd.DataFrame({name: pd.Series(columns.get(name, ()), dtype=dtypes.get(name, "str"))
                         for name in VALUE_COLUMNS})


def _flatten_row(row: object, index: int, what: str) -> list[tuple]:
    where = f"{what}, values[{index}]"
    if not isinstance(row, dict):
        raise ResponseFormatError(f"{where} is not an object")
    missing = [key for key in ("kpi", "municipality", "period", "values") if key not in row]
    if missing:
        raise ResponseFormatError(f"{where} lacks {missing} (an OU answer, or not a data response?)")
    if not isinstance(row["values"], list):
        raise ResponseFormatError(f"{where}: 'values' is not a list")
    period = _period(row["period"], where)
    isdeleted = row.get("isdeleted", False)  # a deleted row must reach the loader, which removes it
    if not isinstance(isdeleted, bool):
        raise ResponseFormatError(f"{where}: isdeleted {isdeleted!r} is not true or false")
    return [(str(row["kpi"]), str(row["municipality"]), period, *_cell(cell, f"{where}.values[{i}]"), isdeleted)
            for i, cell in enumerate(row["values"])]


def _period(period: object, where: str) -> str:
    if isinstance(period, bool) or not (isinstance(period, int) or (isinstance(period, str) and period.isdigit())):
        raise ResponseFormatError(f"{where}: period {period!r} is not a year")
    return str(int(period))


def _cell(cell: object, where: str) -> tuple[str, float, str | None, int | None]:
    if not isinstance(cell, dict):
        raise ResponseFormatError(f"{where} is not an object")
    gender, value, count = cell.get("gender"), cell.get("value"), cell.get("count")
    if gender not in GENDERS:
        raise ResponseFormatError(f"{where}: gender {gender!r} is not one of T, K, M")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ResponseFormatError(f"{where}: value {value!r} is not a number")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
        raise ResponseFormatError(f"{where}: count {count!r} is not an integer")
    status = cell.get("status") or None  # Kolada sends "" when there is nothing to say
    return gender, math.nan if value is None else float(value), status, count


def parse_kpi_metadata(body: bytes, what: str = "Kolada KPI metadata") -> dict[str, dict]:
    """KPI id -> its fields; the documented ones always present (None if Kolada left one out), extras kept."""
    _, entries = _values_list(body, what)
    metadata: dict[str, dict] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("id") or "title" not in entry:
            raise ResponseFormatError(f"{what}, values[{index}] is not a KPI (no id or title)")
        fields = {key: value for key, value in entry.items() if key != "id"}
        metadata[str(entry["id"])] = {field: fields.get(field) for field in KPI_FIELDS} | fields
    return metadata


# -- region ids ---------------------------------------------------------------------------------------------------
def region_code_from_kolada(kolada_id: str) -> str:
    """Kolada's region id to our region code: "0000" -> "00" (Sweden), "0001" -> "01" (a county), "0180" -> "0180".

    Safe because no municipality code starts with "00": municipality codes begin with their county's code (01-25).
    """
    if not _REGION_ID.fullmatch(kolada_id or ""):
        raise ValueError(f"{kolada_id!r} is not a Kolada region id (four digits; groups such as G... are not regions)")
    return kolada_id[2:] if kolada_id.startswith("00") else kolada_id


def kolada_id_for_region(code: str) -> str:
    """Our region code to Kolada's id: "00" -> "0000", "01" -> "0001", "0180" -> "0180"."""
    if re.fullmatch(r"\d{2}", code or ""):
        return "00" + code
    if _REGION_ID.fullmatch(code or "") and not code.startswith("00"):
        return code
    raise ValueError(f"{code!r} is not a region code (two digits for Sweden/a county, four for a municipality)")
