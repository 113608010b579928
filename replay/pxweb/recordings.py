"""Everything SCB's answers that were recorded hold, by table: SCB's own metadata documents (per language), the
recorded data cells, SCB's table entries, codelists and /config.

Recordings live in ``../shared/scb`` and in the project's ``recordings/scb`` (with provenance). Each JSON file is
classified by what it is, not by where it lies: a json-stat2 metadata document (``value: []``), a data answer, an
atlas290 envelope around either, a table entry, a page of ``/tables``, a codelist, or ``/config``. PX files are
SCB's PxWeb example database; PxWeb builds a table's metadata from the file itself, and so does the emulator.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from replay.pxweb.cube import Cube, cube_from_jsonstat, cube_from_px, dataset_codes, empty_cube, merge_cubes

SCB_API = "https://statistikdatabasen.scb.se/api/v2"  # where SCB's own documents point; rewritten to the emulator


@dataclass
class RecordedTable:
    table_id: str
    cube: Cube
    metadata: dict[str, dict]  # language -> SCB's metadata document for that language
    entry: dict | None = None  # SCB's recorded /tables/{id} entry, if one was recorded
    metadata_recorded: bool = True  # False: built from the PX file or the data answers (no document recorded)
    provenance: list[str] = field(default_factory=list)

    @property
    def languages(self) -> list[str]:
        return sorted(self.metadata)

    def elimination_values(self) -> dict[str, str]:
        return self.cube.elimination_values()


@dataclass
class Recordings:
    tables: dict[str, RecordedTable]
    codelists: dict[str, dict]  # id -> SCB's codelist document
    config: dict  # SCB's /config (genuine, from the R pxweb recordings when present)
    entries: dict[str, dict]  # table id -> SCB's table entry, from /tables pages and /tables/{id} answers

    @property
    def languages(self) -> list[str]:
        return sorted({language for table in self.tables.values() for language in table.languages})

    def table(self, table_id: str) -> RecordedTable | None:
        """Table ids are matched regardless of case, as SCB's search index does."""
        return self.tables.get(table_id) or next((t for key, t in self.tables.items()
                                                 if key.lower() == table_id.lower()), None)


def _classify(document: object) -> str:
    if not isinstance(document, dict):
        return "other"
    if "response" in document and "kind" in document:
        return "envelope"
    if document.get("class") == "dataset":
        return "metadata" if document.get("value") in ([], None) and not document.get("status") else "data"
    if "maxDataCells" in document:
        return "config"
    if "tables" in document and "page" in document:
        return "tables"
    if document.get("type") in ("Aggregation", "Valueset") and "values" in document:
        return "codelist"
    if "variableNames" in document and "links" in document:
        return "entry"
    return "other"


def _table_id(document: dict, path: Path) -> str:
    """SCB's documents name their table (extension.px.tableid); else the folder says (v2/TAB6471/data.json)."""
    table = document.get("extension", {}).get("px", {}).get("tableid")
    if table:
        return table
    return path.parent.name if path.parent.name.upper().startswith("TAB") else path.stem.split("_")[0]


def _language(document: dict, default: str = "sv") -> str:
    return document.get("extension", {}).get("px", {}).get("language") or default


def recorded_documents(scb_dir: Path) -> Iterator[tuple[Path, str, str | None, str | None, dict]]:
    """Every recorded JSON document under ``scb_dir/v2``: (path, kind, table, language, document), envelopes opened."""
    for path in sorted((scb_dir / "v2").rglob("*.json")):
        if path.name.endswith(".request.json"):
            continue  # the request behind a recorded answer, not an answer
        document = json.loads(path.read_text(encoding="utf-8-sig"))
        kind = _classify(document)
        if kind == "envelope":
            table, language = document["table"], document.get("lang", "sv")
            document, kind = document["response"], "metadata" if document.get("kind") == "metadata" else "data"
        else:
            table, language = (_table_id(document, path), _language(document)) if kind in ("metadata", "data") \
                else (None, None)
        yield path, kind, table, language, document


def recorded_shapes(*scb_dirs: Path, kind: str) -> dict[tuple[int, ...], str]:
    """Values per variable of every recorded data answer (``kind="data"``: the selections clients asked SCB for) or
    metadata document (``kind="metadata"``: whole tables), each with the file it came from."""
    return {tuple(document["size"]): f"{table} ({path.name})" for scb_dir in scb_dirs
            for path, found, table, _, document in recorded_documents(scb_dir) if found == kind}


@cache
def load_recordings(*scb_dirs: Path) -> Recordings:
    metadata: dict[str, dict[str, dict]] = {}
    cubes: dict[str, Cube] = {}
    codelists: dict[str, dict] = {}
    entries: dict[str, dict] = {}
    configs: list[dict] = []
    for scb_dir in scb_dirs:
        for path, kind, table, language, document in recorded_documents(scb_dir):
            if kind == "metadata":
                metadata.setdefault(table, {})[language] = document
            elif kind == "data":
                cube = cube_from_jsonstat(table, document, str(path))
                cubes[table] = merge_cubes(cubes[table], cube) if table in cubes else cube
            elif kind == "codelist":
                codelists[document["id"]] = document
            elif kind == "entry":
                entries[document["id"]] = document
            elif kind == "tables":
                entries.update({e["id"]: e for e in document["tables"] if e["id"] not in entries})
            elif kind == "config":
                configs.append(document)
        for path in sorted((scb_dir / "px").glob("*.px")):
            cubes[path.stem] = cube_from_px(path)
    for table_id, documents in metadata.items():
        if table_id not in cubes:
            cubes[table_id] = empty_cube(table_id, next(iter(documents.values())), "metadata only: no data recorded")
    tables = {}
    for table_id, cube in cubes.items():
        documents = metadata.get(table_id) or {}
        built = {} if documents else {_language(cube.extras): metadata_from_cube(cube)}
        tables[table_id] = RecordedTable(table_id, cube, documents or built, entries.get(table_id), bool(documents),
                                         cube.provenance)
    # SCB's published limits are 30 calls per 10 s: the config recorded by R pxweb says so, pxwebpy's was edited.
    config = max(configs, key=lambda c: c.get("maxCallsPerTimeWindow", 0)) if configs else {}
    return Recordings(tables, codelists, config, entries)


def metadata_from_cube(cube: Cube) -> dict:
    """A metadata document in SCB's shape for a table whose metadata was not recorded: built from what its recordings
    hold (a PX file holds the whole table; a data answer only the categories it was asked for)."""
    dimensions = {}
    for d in cube.dimensions:
        spec = copy.deepcopy(d.spec)
        spec.setdefault("extension", {}).pop("eliminationValueCode", None)
        spec["extension"]["codelists"] = []
        spec["category"] = {"index": {code: i for i, code in enumerate(d.codes)},
                            "label": {code: d.labels.get(code, code) for code in d.codes}}
        if d.units:
            spec["category"]["unit"] = {code: d.units[code] for code in d.codes if code in d.units}
        dimensions[d.id] = spec
    extension = copy.deepcopy(cube.extras.get("extension", {}))
    extension.pop("discontinued", None)
    document = {"version": "2.0", "class": "dataset", "label": cube.label, "source": cube.extras.get("source", "SCB"),
                "updated": cube.updated}
    if cube.extras.get("note"):
        document["note"] = cube.extras["note"]
    document.update({"role": cube.role, "id": [d.id for d in cube.dimensions],
                     "size": [len(d.codes) for d in cube.dimensions], "dimension": dimensions,
                     "extension": extension, "value": []})
    return document


def metadata_codes(document: dict) -> dict[str, list[str]]:
    """Variable -> its value codes, in the table's order, from a metadata document."""
    return {variable: dataset_codes(document["dimension"][variable]) for variable in document["id"]}


def rewrite_links(document: object, base_url: str) -> object:
    """SCB's documents link to SCB; the emulator's answers link to the emulator."""
    if isinstance(document, dict):
        return {key: rewrite_links(value, base_url) for key, value in document.items()}
    if isinstance(document, list):
        return [rewrite_links(value, base_url) for value in document]
    if isinstance(document, str) and document.startswith(SCB_API):
        return base_url + document[len(SCB_API):]
    return document
