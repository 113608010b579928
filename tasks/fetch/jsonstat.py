"""Parse json-stat2 bytes (SCB's PxWebApi 2 default output) into a long DataFrame. Never opens a socket.

Written by hand rather than with pyjstat because we need the per-cell ``status`` symbols (SCB's ``..`` and ``-``)
and strict checks that turn an HTML page or a cut-off body into one clear error instead of a half-read table.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_UTF8_BOM = b"\xef\xbb\xbf"  # v1 responses start with one (shared/README.md)


class ResponseFormatError(ValueError):
    """The body is not a usable json-stat2 dataset (HTML page, truncated JSON, inconsistent sizes)."""


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


def load_json_document(body: bytes, what: str = "response") -> dict:
    """Decode a JSON body, turning HTML error pages and truncated bodies into a readable error."""
    text = body.removeprefix(_UTF8_BOM).decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if stripped[:1] == "<":
        title = re.search(r"<title>(.*?)</title>", stripped, re.IGNORECASE | re.DOTALL)
        hint = f" (page title: {title.group(1).strip()!r})" if title else ""
        raise ResponseFormatError(f"{what} is an HTML page, not JSON{hint}")
    if not stripped:
        raise ResponseFormatError(f"{what} is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ResponseFormatError(
            f"{what} is not valid JSON ({err.msg} at byte {err.pos} of {len(body)}): truncated or corrupted"
        ) from err


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
    dims = document.get("dimension", {})
    missing = [d for d in ids if d not in dims]
    if missing:
        raise ResponseFormatError(f"{what}: dimension(s) {missing} listed in 'id' have no description")
    dimensions = tuple(_read_dimension(d, dims[d], size, what) for d, size in zip(ids, sizes, strict=True))
    values, status = _read_values(document, math.prod(sizes), what)
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


def _read_dimension(dimension_id: str, spec: dict, size: int, what: str) -> Dimension:
    category = spec.get("category", {})
    index = category.get("index")
    if isinstance(index, list):
        codes = list(index)
    elif isinstance(index, dict):
        # Position comes from the index value, never from key order: re-serialised bodies reorder keys.
        codes = [None] * len(index)
        for code, position in index.items():
            if not 0 <= position < len(index) or codes[position] is not None:
                raise ResponseFormatError(f"{what}: dimension {dimension_id!r} has a broken category index")
            codes[position] = code
    else:  # a single-category dimension may omit index
        codes = list(category.get("label", {}))
    if len(codes) != size:
        raise ResponseFormatError(
            f"{what}: dimension {dimension_id!r} has {len(codes)} categories but size says {size}"
        )
    return Dimension(dimension_id, spec.get("label", dimension_id), tuple(codes), category.get("label", {}),
                     category.get("unit", {}))


def _read_values(document: dict, total: int, what: str) -> tuple[np.ndarray, list[str | None]]:
    raw = document.get("value")
    values = np.full(total, np.nan)
    if isinstance(raw, dict):  # sparse form: {"flat index": value}
        for key, value in raw.items():
            if value is not None:
                values[int(key)] = value
    elif isinstance(raw, list):
        if len(raw) != total:
            raise ResponseFormatError(f"{what}: {len(raw)} values for {total} cells (sizes multiply to {total})")
        try:
            values = np.array([np.nan if v is None else v for v in raw], dtype="float64")
        except (TypeError, ValueError) as err:
            raise ResponseFormatError(f"{what}: a value is not a number ({err})") from err
    else:
        raise ResponseFormatError(f"{what}: no 'value' array")
    status: list[str | None] = [None] * total
    raw_status = document.get("status")
    if isinstance(raw_status, dict):
        for key, symbol in raw_status.items():
            status[int(key)] = symbol
    elif isinstance(raw_status, list):
        status = list(raw_status) + [None] * (total - len(raw_status))
    elif isinstance(raw_status, str):
        status = [raw_status] * total
    return values, status


def _long_frame(dimensions: tuple[Dimension, ...], values: np.ndarray, status: list[str | None]) -> pd.DataFrame:
    shape = tuple(len(d.codes) for d in dimensions)
    positions = np.unravel_index(np.arange(values.size), shape) if values.size else [[] for _ in shape]
    columns = {d.id: np.asarray(d.codes, dtype=object)[pos] for d, pos in zip(dimensions, positions, strict=True)}
    frame = pd.DataFrame(columns)
    frame["value"] = values
    frame["status"] = pd.Series(status, dtype="object")
    return frame
