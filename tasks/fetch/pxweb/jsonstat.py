"""Parse json-stat2 bytes (SCB's PxWebApi 2 default output) into a long DataFrame. Never opens a socket.

Written by hand rather than with pyjstat because we need the per-cell ``status`` symbols (SCB's ``..`` and ``-``)
and strict checks that turn an HTML page or a cut-off body into one clear error instead of a half-read table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tasks.fetch.common.documents import load_json_document
from tasks.fetch.common.errors import ResponseFormatError
from tasks.lazy import LazyModule

np = LazyModule("numpy")
pd = LazyModule("pandas")

# Far above SCB's 150,000 cells per call and the largest recorded cube; a sparse answer may not claim more cells
# than this, or decoding would allocate them all.
MAX_CELLS = 20_000_000


@dataclass(frozen=True)
class Dimension:
    id: str
    label: str
    codes: tuple[str, ...]
    labels: dict[str, str]
    units: dict[str, dict]


@dataclass(frozen=True)
class JsonStatDataset:
    label: str
    updated: str | None
    dimensions: tuple[Dimension, ...]
    roles: dict[str, list[str]]
    frame: pd.DataFrame  # one column per dimension (codes), then "value" (float) and "status" (str or None)

    def dimension(self, dimension_id: str) -> Dimension:
        for d in self.dimensions:
            if d.id == dimension_id:
                return d
        raise KeyError(dimension_id)


def read_jsonstat_cube(document: object, what: str = "json-stat2 response"
                       ) -> tuple[tuple[Dimension, ...], np.ndarray, list[str | None]]:
    """Dimensions (in order), flat values (NaN where missing) and per-cell status symbols of a dataset document.

    Shared with the replay server, which slices the same cubes it reads from SCB's recordings.
    """
    if not isinstance(document, dict) or document.get("class") != "dataset":
        raise ResponseFormatError(f"{what} is JSON but not a json-stat2 dataset (class={document.get('class')!r})"
                                  if isinstance(document, dict) else f"{what} is JSON but not an object")
    ids, sizes = document.get("id"), document.get("size")
    if not isinstance(ids, list) or not isinstance(sizes, list) or len(ids) != len(sizes):
        raise ResponseFormatError(f"{what}: 'id' and 'size' are missing or disagree")
    if not all(isinstance(d, str) for d in ids) or len(set(ids)) != len(ids):
        raise ResponseFormatError(f"{what}: 'id' must list distinct dimension names")
    dims = document.get("dimension", {})
    if not isinstance(dims, dict):
        raise ResponseFormatError(f"{what}: 'dimension' is not an object")
    missing = [d for d in ids if d not in dims]
    if missing:
        raise ResponseFormatError(f"{what}: dimension(s) {missing} listed in 'id' have no description")
    dimensions = tuple(_read_dimension(d, dims[d], size, what) for d, size in zip(ids, sizes, strict=True))
    total = math.prod(len(d.codes) for d in dimensions)
    if total > MAX_CELLS:
        raise ResponseFormatError(f"{what}: its sizes multiply to {total:,} cells, more than any answer can hold")
    values, status = _read_values(document, total, what)
    return dimensions, values, status


def parse_jsonstat_dataset(body: bytes, what: str = "json-stat2 response") -> JsonStatDataset:
    document = load_json_document(body, what)
    dimensions, values, status = read_jsonstat_cube(document, what)
    return JsonStatDataset(
        label=document.get("label", ""),
        updated=document.get("updated"),
        dimensions=dimensions,
        roles=document.get("role", {}),
        frame=_long_frame(dimensions, values, status),
    )


def _read_dimension(dimension_id: str, spec: object, size: object, what: str) -> Dimension:
    if not isinstance(spec, dict) or not isinstance(spec.get("category", {}), dict):
        raise ResponseFormatError(f"{what}: dimension {dimension_id!r} is not a json-stat2 dimension object")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ResponseFormatError(f"{what}: size of dimension {dimension_id!r} is not a count: {size!r}")
    category = spec.get("category", {})
    index = category.get("index")
    if isinstance(index, list):
        codes = list(index)
    elif isinstance(index, dict):
        # Position comes from the index value, never from key order: re-serialised bodies reorder keys.
        codes = [None] * len(index)
        for code, position in index.items():
            if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < len(index) \
                    or codes[position] is not None:
                raise ResponseFormatError(f"{what}: dimension {dimension_id!r} has a broken category index "
                                          f"({code!r}: {position!r})")
            codes[position] = code
    elif index is None:  # a single-category dimension may omit index
        codes = list(category.get("label", {}))
    else:
        raise ResponseFormatError(f"{what}: dimension {dimension_id!r} has a category index that is neither "
                                  "an array nor an object")
    if not all(isinstance(code, str) for code in codes) or len(set(codes)) != len(codes):
        raise ResponseFormatError(f"{what}: dimension {dimension_id!r} has category codes that are not distinct "
                                  "strings")
    if len(codes) != size:
        raise ResponseFormatError(
            f"{what}: dimension {dimension_id!r} has {len(codes)} categories but size says {size}"
        )
    labels, units = category.get("label", {}), category.get("unit", {})
    if not isinstance(labels, dict) or not isinstance(units, dict):
        raise ResponseFormatError(f"{what}: dimension {dimension_id!r} has a label or unit that is not an object")
    return Dimension(dimension_id, str(spec.get("label", dimension_id)), tuple(codes), labels, units)


def _cell_number(value: object, where: str) -> float:
    """A cell's value: a finite JSON number or null (NaN here). Booleans, strings and non-finite numbers are not."""
    if value is None:
        return np.nan
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ResponseFormatError(f"{where} is not a finite number: {value!r}")
    return float(value)


def _sparse_positions(raw: dict, total: int, what: str, field: str) -> dict[int, object]:
    """JSON-stat 2.0's object form of value/status: keys are flat cell indexes "0".."N-1" in decimal, nothing else.

    A key such as "-1" or "007" would land on a cell by Python's indexing rules but names no cell by the standard.
    """
    cells: dict[int, object] = {}
    for key, item in raw.items():
        if not (isinstance(key, str) and key.isdigit() and (key == "0" or not key.startswith("0"))
                and int(key) < total):
            raise ResponseFormatError(f"{what}: {field} key {key!r} is not a cell index from 0 to {total - 1}")
        cells[int(key)] = item
    return cells


def _read_values(document: dict, total: int, what: str) -> tuple[np.ndarray, list[str | None]]:
    raw = document.get("value")
    values = np.full(total, np.nan)
    if isinstance(raw, dict):  # sparse form: {"flat index": value}
        for position, value in _sparse_positions(raw, total, what, "value").items():
            values[position] = _cell_number(value, f"{what}: value[{position}]")
    elif isinstance(raw, list):
        if len(raw) != total:
            raise ResponseFormatError(f"{what}: {len(raw)} values for {total} cells (sizes multiply to {total})")
        values = np.array([_cell_number(v, f"{what}: value[{i}]") for i, v in enumerate(raw)], dtype="float64")
    else:
        raise ResponseFormatError(f"{what}: no 'value' array")
    return values, _read_status(document.get("status"), total, what)


def _read_status(raw: object, total: int, what: str) -> list[str | None]:
    """Per-cell status symbols: an object by cell index, an array (one per cell), or one string for all cells."""
    status: list[str | None] = [None] * total
    if raw is None:
        return status
    if isinstance(raw, str):
        return [raw] * total
    if isinstance(raw, dict):
        cells = _sparse_positions(raw, total, what, "status")
    elif isinstance(raw, list):
        if len(raw) > total:
            raise ResponseFormatError(f"{what}: {len(raw)} status entries for {total} cells")
        cells = dict(enumerate(raw))
    else:
        raise ResponseFormatError(f"{what}: status is neither an object, an array nor a string")
    for position, symbol in cells.items():
        if symbol is not None and not isinstance(symbol, str):
            raise ResponseFormatError(f"{what}: status[{position}] is not a string: {symbol!r}")
        status[position] = symbol
    return status


def _long_frame(dimensions: tuple[Dimension, ...], values: np.ndarray, status: list[str | None]) -> pd.DataFrame:
    shape = tuple(len(d.codes) for d in dimensions)
    positions = np.unravel_index(np.arange(values.size), shape) if values.size else [[] for _ in shape]
    columns = {d.id: np.asarray(d.codes, dtype=object)[pos] for d, pos in zip(dimensions, positions, strict=True)}
    frame = pd.DataFrame(columns)
    frame["value"] = values
    frame["status"] = pd.Series(status, dtype="object")
    return frame
