"""The recorded cells of one SCB table as a cube: json-stat2 answers SCB gave and PX files SCB publishes.

A cube holds exactly what was recorded, no more: its dimensions list the recorded categories and its values are the
recorded values. Several recordings of one table (e.g. TAB3200 fetched once per content code) merge into one cube.
The emulator reads recordings with its own small decoder, not the pipeline's parser: the two sides of every test
must not share a decoding mistake.
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np


@dataclass
class CubeDimension:
    id: str
    codes: list[str]
    labels: dict[str, str]
    spec: dict = field(default_factory=dict)  # the json-stat2 dimension object as recorded, without its category
    units: dict[str, dict] = field(default_factory=dict)

    def position(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}


@dataclass
class Cube:
    table_id: str
    label: str
    updated: str | None
    dimensions: list[CubeDimension]
    values: np.ndarray  # float, shape = category counts; NaN where missing
    status: np.ndarray  # object, same shape; SCB's symbol ("..", "-") or None
    recorded: np.ndarray  # bool, same shape; False for cells no recording holds
    role: dict[str, list[str]] = field(default_factory=dict)
    extras: dict = field(default_factory=dict)  # root note, source, extension of the first recording
    provenance: list[str] = field(default_factory=list)
    blocks: list[dict[str, list[str]]] = field(default_factory=list)  # each recording's categories: all recorded

    def largest_block(self) -> dict[str, list[str]]:
        """The categories of the largest single recording: a block every cell of which was recorded."""
        if not self.blocks:
            return {d.id: list(d.codes) for d in self.dimensions}
        return max(self.blocks, key=lambda block: np.prod([len(codes) for codes in block.values()]))

    def dimension(self, dimension_id: str) -> CubeDimension | None:
        return next((d for d in self.dimensions if d.id == dimension_id), None)

    @property
    def time_variable(self) -> str | None:
        return (self.role.get("time") or [None])[0]

    def elimination_values(self) -> dict[str, str]:
        """Elimination value codes SCB named in its data answers (its metadata leaves them out)."""
        found = {}
        for d in self.dimensions:
            code = d.spec.get("extension", {}).get("eliminationValueCode")
            if code:
                found[d.id] = code
        return found


def dataset_codes(spec: dict) -> list[str]:
    index = spec.get("category", {}).get("index")
    if isinstance(index, dict):
        return sorted(index, key=index.get)
    if isinstance(index, list):
        return list(index)
    return list(spec.get("category", {}).get("label", {}))


def cube_from_jsonstat(table_id: str, document: dict, provenance: str) -> Cube:
    """A recorded json-stat2 data answer (dense value array, status by index) as a cube."""
    dimensions = []
    for dimension_id in document["id"]:
        spec = document["dimension"][dimension_id]
        category = spec.get("category", {})
        dimensions.append(CubeDimension(dimension_id, dataset_codes(spec), dict(category.get("label", {})),
                                        {k: v for k, v in spec.items() if k != "category"},
                                        dict(category.get("unit", {}))))
    shape = tuple(len(d.codes) for d in dimensions)
    if [len(d.codes) for d in dimensions] != list(document["size"]) or len(document["value"]) != math.prod(shape):
        raise ValueError(f"{provenance}: sizes and values disagree")
    values = np.array([np.nan if v is None else float(v) for v in document["value"]], dtype="float64")
    status = np.full(values.size, None, dtype=object)
    for key, symbol in (document.get("status") or {}).items():
        status[int(key)] = symbol
    return Cube(table_id, document.get("label", table_id), document.get("updated"), dimensions,
                values.reshape(shape), status.reshape(shape), np.ones(shape, dtype=bool), document.get("role", {}),
                {k: document[k] for k in ("note", "source", "extension") if k in document}, [provenance],
                [{d.id: list(d.codes) for d in dimensions}])


def empty_cube(table_id: str, metadata: dict, provenance: str) -> Cube:
    """A table whose metadata SCB's answers were recorded but none of its data: every data request is refused."""
    dimensions = [CubeDimension(d, [], {}, {k: v for k, v in metadata["dimension"][d].items()
                                            if k not in ("category",)}) for d in metadata["id"]]
    shape = tuple(0 for _ in dimensions)
    return Cube(table_id, metadata.get("label", table_id), metadata.get("updated"), dimensions, np.zeros(shape),
                np.zeros(shape, dtype=object), np.zeros(shape, dtype=bool), metadata.get("role", {}),
                {k: metadata[k] for k in ("note", "source", "extension") if k in metadata}, [provenance])


def merge_cubes(first: Cube, second: Cube) -> Cube:
    """One cube over the union of both recordings' categories (same table, same dimensions)."""
    if [d.id for d in first.dimensions] != [d.id for d in second.dimensions]:
        raise ValueError(f"{first.table_id}: recordings have different dimensions")
    dimensions = []
    for a, b in zip(first.dimensions, second.dimensions, strict=True):
        codes = a.codes + [c for c in b.codes if c not in a.codes]
        spec = json.loads(json.dumps(a.spec))
        for key, value in b.spec.get("extension", {}).items():  # per-content maps (refperiod, …), learned codes
            if isinstance(value, dict) and isinstance(spec.setdefault("extension", {}).get(key), dict):
                spec["extension"][key] = {**value, **spec["extension"][key]}
            else:
                spec.setdefault("extension", {}).setdefault(key, value)
        dimensions.append(CubeDimension(a.id, codes, {**b.labels, **a.labels}, spec, {**b.units, **a.units}))
    shape = tuple(len(d.codes) for d in dimensions)
    merged = Cube(first.table_id, first.label, max(filter(None, [first.updated, second.updated]), default=None),
                  dimensions, np.full(shape, np.nan), np.full(shape, None, dtype=object),
                  np.zeros(shape, dtype=bool), first.role, first.extras, first.provenance + second.provenance,
                  first.blocks + second.blocks)
    for part in (first, second):
        index = np.ix_(*[[d.position()[c] for c in p.codes] for d, p in zip(dimensions, part.dimensions,
                                                                             strict=True)])
        merged.values[index] = np.where(part.recorded, part.values, merged.values[index])
        merged.status[index] = np.where(part.recorded, part.status, merged.status[index])
        merged.recorded[index] |= part.recorded
    return merged


# -- PX files: what SCB's PxWeb server publishes from ----------------------------------------------------------------
def _px_list(metadata: dict, key: str) -> list[str] | None:
    value = metadata.get(key)
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _px_updated(stamp: str | None) -> str | None:
    """PX LAST-UPDATED "20090213 07:19" as SCB's v2 stamp "2009-02-13T07:19:00Z"."""
    match = re.match(r"(\d{4})(\d{2})(\d{2}) (\d{2}):(\d{2})", stamp or "")
    return "{}-{}-{}T{}:{}:00Z".format(*match.groups()) if match else None


def _px_cell(text: str) -> tuple[float, str | None]:
    text = str(text).strip().strip('"')
    try:
        return float(text), None
    except ValueError:
        return np.nan, text or ".."  # PX writes missing values as symbols such as ".." or "-"


@cache
def _pyaxis():
    """pyaxis calls logging.basicConfig(level=INFO) when imported; undo that so the CLI's logging stays ours."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    module = importlib.import_module("pyaxis.pyaxis")
    root.handlers[:] = handlers
    root.setLevel(level)
    return module


def read_px(path: Path) -> tuple[dict, list[str]]:
    """A PX file's keywords and its DATA cells, read with pyaxis (CHARSET="ANSI": Windows-1252)."""
    parsed = _pyaxis().parse(str(path), encoding="cp1252")
    return parsed["METADATA"], list(parsed["DATA"]["DATA"])


def cube_from_px(path: Path) -> Cube:
    """A PX file, shaped as the json-stat2 SCB's PxWeb serves from it (a PX file holds every cell of its table)."""
    metadata, data = read_px(path)
    variables = _px_list(metadata, "STUB") + _px_list(metadata, "HEADING")
    content_variable = (_px_list(metadata, "CONTVARIABLE") or [None])[0]
    time_variable = next((v for v in variables if f"TIMEVAL({v})" in metadata), None)
    matrix, contents = metadata["MATRIX"][0], metadata["CONTENTS"][0]
    decimals = int((_px_list(metadata, "DECIMALS") or ["0"])[0])
    dimensions = []
    for variable in variables:
        labels = _px_list(metadata, f"VALUES({variable})")
        codes = _px_list(metadata, f"CODES({variable})") or labels
        spec: dict = {"label": variable, "extension": {"elimination": False, "show": "code_value"}}
        elimination = (_px_list(metadata, f"ELIMINATION({variable})") or ["NO"])[0]
        if elimination != "NO":
            spec["extension"]["elimination"] = True
            if elimination != "YES":  # a value label: the value that stands for "all"
                spec["extension"]["eliminationValueCode"] = codes[labels.index(elimination)]
        dimension_id = "ContentsCode" if variable == content_variable else variable
        units = {}
        if variable == content_variable:
            units = {code: {"base": (_px_list(metadata, f'UNITS("{label}")') or _px_list(metadata, "UNITS")
                                     or ["number"])[0], "decimals": decimals} for code, label in zip(codes, labels,
                                                                                                    strict=True)}
        dimensions.append(CubeDimension(dimension_id, codes, dict(zip(codes, labels, strict=True)), spec, units))
    if content_variable is None:  # one content: PxWeb shows it as a ContentsCode dimension named by MATRIX
        unit = {"base": (_px_list(metadata, "UNITS") or ["number"])[0], "decimals": decimals}
        dimensions.append(CubeDimension("ContentsCode", [matrix], {matrix: contents},
                                        {"label": "tabellinnehåll" if _px_language(metadata) == "sv" else "contents",
                                         "extension": {"elimination": False, "show": "value"}}, {matrix: unit}))
    shape = tuple(len(d.codes) for d in dimensions)
    cells = [_px_cell(text) for text in data]
    values = np.array([v for v, _ in cells], dtype="float64").reshape(shape)
    status = np.array([s for _, s in cells], dtype=object).reshape(shape)
    updated = _px_updated((_px_list(metadata, "LAST-UPDATED") or [next(
        (v[0] for k, v in metadata.items() if k.startswith("LAST-UPDATED(")), None)])[0])
    stub = [d.id for d in dimensions if d.id != "ContentsCode" and d.spec["label"] in _px_list(metadata, "STUB")]
    heading = [d.id for d in dimensions if d.id not in stub]
    extension = {"px": {"tableid": path.stem, "decimals": decimals, "language": _px_language(metadata),
                        "contents": contents, "heading": heading, "stub": stub, "matrix": matrix,
                        "subject-code": (_px_list(metadata, "SUBJECT-CODE") or [""])[0],
                        "subject-area": (_px_list(metadata, "SUBJECT-AREA") or [""])[0]}}
    return Cube(path.stem, metadata.get("TITLE", [path.stem])[0], updated, dimensions, values, status,
                np.ones(shape, dtype=bool), {"time": [time_variable] if time_variable else [],
                                             "metric": ["ContentsCode"]},
                {"source": (_px_list(metadata, "SOURCE") or ["SCB"])[0], "note": _px_list(metadata, "NOTEX") or [],
                 "extension": extension}, [f"PX file {path.name}"])


def _px_language(metadata: dict) -> str:
    return (_px_list(metadata, "LANGUAGE") or ["sv"])[0]
