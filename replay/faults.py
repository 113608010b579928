"""Switchable faults for the replay servers: what SCB (or any HTTP API) can do to a client on a bad night.

A fault matches calls by endpoint kind ("config", "tables", "metadata", "data", "codelists" or "any") and
optionally by table id; it lets the first ``after`` matching calls through, then applies to the next ``times``
(None: every one).

Transport faults act instead of the answer: ``status_429`` (with or without Retry-After), ``status_503``,
``reset`` (the connection is dropped with a TCP reset), ``slow`` (the answer comes after ``seconds``).

Body faults damage a good answer: ``html_200`` (an HTML error page with status 200), ``truncate`` (the body cut at
``fraction``), ``body`` (the body replaced by ``body`` bytes, e.g. two hundred thousand ``[``).

Content faults edit the json-stat2 document so it stays valid JSON but is wrong for us: ``rename_dimension``,
``drop_dimension``, ``extra_value`` (a category nobody expects), ``missing_values`` (cells set to null with
SCB's ``..`` status), ``unknown_region`` (a region code replaced by one that does not exist), ``duplicate_key``
(a category listed twice), ``sparse_value`` (the value array in JSON-stat's sparse object form, with one more key
``value`` set to ``number``: "-1" or an index past the end), ``edit`` (any change a test writes, as a function).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass

TRANSPORT_FAULTS = frozenset({"status_429", "status_503", "reset", "slow"})
BODY_FAULTS = frozenset({"html_200", "truncate", "body"})
CONTENT_FAULTS = frozenset({"rename_dimension", "drop_dimension", "extra_value", "missing_values",
                            "unknown_region", "duplicate_key", "sparse_value", "edit"})

HTML_ERROR_PAGE = (b"<!DOCTYPE html><html><head><title>Statistikdatabasen - tillf\xc3\xa4lligt fel</title></head>"
                   b"<body><h1>Service temporarily unavailable</h1><p>Please try again later.</p></body></html>")


@dataclass
class Fault:
    kind: str
    endpoint: str = "data"
    table: str | None = None
    times: int | None = None
    after: int = 0  # let this many matching calls through untouched first (e.g. hang only the third data call)
    fraction: float = 0.5  # truncate: share of the body kept; missing_values: share of cells set to ".."
    seconds: float = 0.0  # slow: delay; status_429: the Retry-After value
    retry_after: bool = True  # status_429: send a Retry-After header
    dimension: str | None = None  # rename/drop/extra_value/duplicate_key (default: the first dimension)
    new_name: str = "Region2"  # rename_dimension
    value: str = "9999"  # extra_value / unknown_region: the code that appears
    symbol: str = ".."  # missing_values: SCB's symbol for the emptied cells (".." not available, "-" nil)
    number: float = 123_456_789  # sparse_value: the value put at key ``value``
    body: bytes = b""  # body: what is sent instead of the answer
    edit: Callable[[dict], None] | None = None  # edit: changes the (copied) document in place

    def __post_init__(self) -> None:
        if self.kind not in TRANSPORT_FAULTS | BODY_FAULTS | CONTENT_FAULTS:
            raise ValueError(f"unknown fault kind {self.kind!r}")

    def matches(self, endpoint: str, table: str | None) -> bool:
        return (self.endpoint in ("any", endpoint)) and (self.table is None or self.table == table)


class FaultSet:
    """The faults currently switched on; thread-safe, consumed as they fire."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.fired: list[str] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.fired.clear()

    def take(self, endpoint: str, table: str | None) -> Fault | None:
        """The first matching fault, counted as fired; expired faults are removed."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(endpoint, table):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    self.fired.append(fault.kind)
                    return fault
        return None


def damage_body(fault: Fault, body: bytes) -> tuple[bytes, str | None]:
    """Apply a body fault; returns the new body and, if it changes, the new content type."""
    if fault.kind == "html_200":
        return HTML_ERROR_PAGE, "text/html; charset=utf-8"
    if fault.kind == "truncate":
        return body[: int(len(body) * fault.fraction)], None
    if fault.kind == "body":
        return fault.body, None
    return body, None


def damage_document(fault: Fault, document: dict) -> dict:
    """Apply a content fault to a json-stat2 document (a copy; the cube stays intact)."""
    document = copy.deepcopy(document)
    dimension = fault.dimension or document["id"][0]
    if fault.kind == "rename_dimension":
        document["id"] = [fault.new_name if d == dimension else d for d in document["id"]]
        document["dimension"][fault.new_name] = document["dimension"].pop(dimension)
        document["role"] = {k: [fault.new_name if d == dimension else d for d in v]
                            for k, v in document.get("role", {}).items()}
    elif fault.kind == "drop_dimension":
        _drop_dimension(document, dimension)
    elif fault.kind in ("extra_value", "unknown_region", "duplicate_key"):
        _edit_categories(document, dimension, fault)
    elif fault.kind == "edit" and fault.edit is not None:
        fault.edit(document)
    elif fault.kind == "sparse_value":
        document["value"] = {str(i): v for i, v in enumerate(document["value"]) if v is not None}
        document["value"][fault.value] = fault.number
    elif fault.kind == "missing_values":
        cells = len(document["value"])
        step = max(1, round(1 / fault.fraction)) if fault.fraction > 0 else cells + 1
        status = {}
        for index in range(0, cells, step):
            document["value"][index] = None
            status[str(index)] = fault.symbol
        document["status"] = status
    return document


def _category_codes(spec: dict) -> list[str]:
    index = spec["category"]["index"]
    return sorted(index, key=index.get) if isinstance(index, dict) else list(index)


def _edit_categories(document: dict, dimension: str, fault: Fault) -> None:
    """Replace the dimension's last category by another code, keeping the cube's shape and values."""
    spec = document["dimension"][dimension]
    codes = _category_codes(spec)
    replaced = codes[-1]
    # duplicate_key: the first code twice (json-stat2 then needs the array form of the index)
    new_code = codes[0] if fault.kind == "duplicate_key" else fault.value
    codes[-1] = new_code
    spec["category"]["index"] = codes
    labels = spec["category"].get("label", {})
    labels.pop(replaced, None)
    labels.setdefault(new_code, f"{new_code} (injected)")


def _drop_dimension(document: dict, dimension: str) -> None:
    """Remove a dimension, keeping only the cells of its first category (a valid, smaller cube)."""
    position = document["id"].index(dimension)
    sizes = document["size"]
    inner = 1
    for size in sizes[position + 1:]:
        inner *= size
    outer_block = sizes[position] * inner
    if document.get("value"):  # metadata documents carry no values
        document["value"] = [v for i, v in enumerate(document["value"]) if (i % outer_block) < inner]
    document["id"] = [d for d in document["id"] if d != dimension]
    document["size"] = [s for i, s in enumerate(sizes) if i != position]
    del document["dimension"][dimension]
    document["role"] = {k: [d for d in v if d != dimension] for k, v in document.get("role", {}).items()}
    document.pop("status", None)
