"""The recorded SCB tables as cubes the replay server can slice: json-stat2 recordings and PX files.

A cube is exactly what was recorded, no more: its dimensions list the recorded categories and its values are the
recorded values. Several recordings of one table (e.g. TAB3200 fetched once per content code) merge into one cube;
a selection that reaches cells no recording holds is refused, never filled in.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from tasks.fetch.jsonstat import load_json_document, read_jsonstat_cube

# Codelists SCB applied when these responses were recorded (shared/scb/PROVENANCE.md: TAB6471/data.json holds
# "11 ten-year age groups (codelist agg_Ålder10årJ)"). The replay holds those variables only under that codelist.
RECORDED_CODELISTS: dict[str, dict[str, str]] = {"TAB6471": {"Alder": "agg_Ålder10årJ"}}


@dataclass
class CubeDimension:
    id: str
    codes: list[str]
    labels: dict[str, str]
    spec: dict = field(default_factory=dict)  # the json-stat2 dimension object without its category
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
    extras: dict = field(default_factory=dict)  # note, source, extension: passed through to responses
    codelists: dict[str, str] = field(default_factory=dict)
    provenance: list[str] = field(default_factory=list)

    def dimension(self, dimension_id: str) -> CubeDimension:
        return next(d for d in self.dimensions if d.id == dimension_id)

    @property
    def time_variable(self) -> str | None:
        return (self.role.get("time") or [None])[0]


def cube_from_jsonstat(table_id: str, document: dict, provenance: str) -> Cube:
    dims, values, status = read_jsonstat_cube(document, provenance)
    shape = tuple(len(d.codes) for d in dims)
    dimensions = [
        CubeDimension(d.id, list(d.codes), dict(d.labels),
                      {k: v for k, v in document["dimension"][d.id].items() if k != "category"}, dict(d.units))
        for d in dims
    ]
    return Cube(
        table_id=table_id, label=document.get("label", table_id), updated=document.get("updated"),
        dimensions=dimensions, values=values.reshape(shape), status=np.array(status, dtype=object).reshape(shape),
        recorded=np.ones(shape, dtype=bool), role=document.get("role", {}),
        extras={k: document[k] for k in ("note", "source", "extension") if k in document},
        codelists=dict(RECORDED_CODELISTS.get(table_id, {})), provenance=[provenance],
    )


def merge_cubes(first: Cube, second: Cube) -> Cube:
    """One cube over the union of both recordings' categories (same table, same dimensions)."""
    if [d.id for d in first.dimensions] != [d.id for d in second.dimensions]:
        raise ValueError(f"{first.table_id}: recordings have different dimensions")
    dimensions = []
    for a, b in zip(first.dimensions, second.dimensions, strict=True):
        codes = a.codes + [c for c in b.codes if c not in a.codes]
        units = {**b.units, **a.units}
        spec = json.loads(json.dumps(a.spec))
        for key, value in b.spec.get("extension", {}).items():  # per-content extension maps (refperiod, …)
            if isinstance(value, dict) and isinstance(spec.get("extension", {}).get(key), dict):
                spec["extension"][key] = {**value, **spec["extension"][key]}
        dimensions.append(CubeDimension(a.id, codes, {**b.labels, **a.labels}, spec, units))
    shape = tuple(len(d.codes) for d in dimensions)
    merged = Cube(first.table_id, first.label, max(filter(None, [first.updated, second.updated]), default=None),
                  dimensions, np.full(shape, np.nan), np.full(shape, None, dtype=object),
                  np.zeros(shape, dtype=bool), first.role, first.extras, first.codelists,
                  first.provenance + second.provenance)
    for part in (first, second):
        index = np.ix_(*[[d.position()[c] for c in p.codes] for d, p in zip(dimensions, part.dimensions,
                                                                             strict=True)])
        merged.values[index] = part.values
        merged.status[index] = part.status
        merged.recorded[index] = part.recorded
    return merged


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


def cube_from_px(path: Path) -> Cube:
    """A PX file read with pyaxis, shaped like the json-stat2 SCB's PxWeb serves from it."""
    parsed = _pyaxis().parse(str(path), encoding="cp1252")  # CHARSET="ANSI": Windows-1252
    metadata, data = parsed["METADATA"], parsed["DATA"]
    variables = _px_list(metadata, "STUB") + _px_list(metadata, "HEADING")
    content_variable = (_px_list(metadata, "CONTVARIABLE") or [None])[0]
    time_variable = next((v for v in variables if f"TIMEVAL({v})" in metadata), None)
    matrix, contents = metadata["MATRIX"][0], metadata["CONTENTS"][0]
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
        dimensions.append(CubeDimension(dimension_id, codes, dict(zip(codes, labels, strict=True)), spec))
    if content_variable is None:  # one content: PxWeb shows it as a ContentsCode dimension named by MATRIX
        unit = {"base": metadata.get("UNITS", ["number"])[0], "decimals": int(metadata.get("DECIMALS", ["0"])[0])}
        dimensions.append(CubeDimension("ContentsCode", [matrix], {matrix: contents},
                                        {"label": "tabellinnehåll", "extension": {"elimination": False}},
                                        {matrix: unit}))
    shape = tuple(len(d.codes) for d in dimensions)
    cells = [_px_cell(text) for text in data["DATA"]]
    values = np.array([v for v, _ in cells], dtype="float64").reshape(shape)
    status = np.array([s for _, s in cells], dtype=object).reshape(shape)
    updated = _px_updated((_px_list(metadata, "LAST-UPDATED") or [next(
        (v[0] for k, v in metadata.items() if k.startswith("LAST-UPDATED(")), None)])[0])
    return Cube(
        table_id=path.stem, label=metadata.get("TITLE", [path.stem])[0], updated=updated, dimensions=dimensions,
        values=values, status=status, recorded=np.ones(shape, dtype=bool),
        role={"time": [time_variable] if time_variable else [], "metric": ["ContentsCode"]},
        extras={"source": metadata.get("SOURCE", ["SCB"])[0],
                "note": _px_list(metadata, "NOTEX") or []},
        provenance=[f"PX file {path.name}"],
    )


def recorded_jsonstat_documents(scb_dir: Path) -> list[tuple[str, dict, str]]:
    """(table id, json-stat2 body, provenance) of every recorded v2 data response under an scb/ folder: SCB's own
    bodies (``v2/TAB*/data.json``) and atlas290's envelopes {table, selection, response}, flat or one folder per
    table (``v2/recorded-by-atlas290/[TAB*/]*.json``)."""
    found = []
    for path in sorted((scb_dir / "v2").glob("TAB*/data.json")):
        found.append((path.parent.name, load_json_document(path.read_bytes(), str(path)), str(path)))
    for path in sorted((scb_dir / "v2" / "recorded-by-atlas290").rglob("*.json")):
        envelope = load_json_document(path.read_bytes(), str(path))
        if envelope.get("kind", "data") == "data":
            found.append((envelope["table"], envelope["response"], str(path)))
    return found


@cache  # the cubes are never modified (faults damage copies of documents): servers in one process share them
def load_recorded_cubes(*scb_dirs: Path) -> dict[str, Cube]:
    cubes: dict[str, Cube] = {}
    for scb_dir in scb_dirs:
        for table_id, document, provenance in recorded_jsonstat_documents(scb_dir):
            cube = cube_from_jsonstat(table_id, document, provenance)
            cubes[table_id] = merge_cubes(cubes[table_id], cube) if table_id in cubes else cube
        for path in sorted((scb_dir / "px").glob("*.px")):
            cubes[path.stem] = cube_from_px(path)
    return cubes


def metadata_template(scb_dirs: tuple[Path, ...], table_id: str) -> dict | None:
    """SCB's own metadata document for the table, where one was recorded (labels, notes, contacts)."""
    for scb_dir in scb_dirs:
        for path in (scb_dir / "v2" / table_id / "metadata.json",
                     scb_dir / "v2" / "recorded-by-atlas290" / table_id / "metadata.json"):
            if path.exists():
                document = load_json_document(path.read_bytes(), str(path))
                return document.get("response", document)  # atlas290 wraps it in an envelope
    return None
