"""A data request resolved against SCB's metadata and answered from the recorded cells, or refused.

Resolution follows PxWebApi 2: variable codes match regardless of case (``time`` names the time variable), a
variable left out (or given no values) is eliminated if the table allows it, else the request is refused; the cell
count is checked against the limit before anything else is read. Answering follows the recordings strictly: a cell
that was not recorded is never invented and never silently left out — the request is refused, naming what is
missing ("Not in the recording").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from replay.pxweb.documents import apply_codelist
from replay.pxweb.expressions import SelectionProblem, select_values
from replay.pxweb.recordings import RecordedTable, Recordings, metadata_codes


@dataclass
class Resolved:
    """What a request asks of a table: per variable its chosen codes (and what each stands for), in table order;
    eliminated variables are absent from ``chosen``."""

    document: dict  # the metadata document with the request's codelists applied
    chosen: dict[str, list[str]]
    members: dict[str, dict[str, list[str]]]  # variable -> code -> the table's codes it sums (codelists)
    eliminated: dict[str, str | None]  # variable -> elimination value code, or None (summed over all values)
    placement: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))  # stub, heading

    @property
    def cells(self) -> int:
        return int(np.prod([len(codes) for codes in self.chosen.values()], dtype=np.int64))

    @property
    def order(self) -> list[str]:
        return self.placement[0] + self.placement[1]


def resolve(recordings: Recordings, table: RecordedTable, document: dict, items: list[dict]) -> Resolved:
    """``items``: [{variableCode, valueCodes, codelist?}] as sent (already checked for shape)."""
    variables = document["id"]
    time_variable = (document.get("role", {}).get("time") or [None])[0]
    by_lower = {v.lower(): v for v in variables}
    requested: dict[str, dict] = {}
    for item in items:
        code = item["variableCode"]
        variable = time_variable if code.lower() == "time" and time_variable else by_lower.get(code.lower())
        if variable is None:
            raise SelectionProblem("Non-existent variable", f"variable {code!r} does not exist in table "
                                                            f"{table.table_id}; it has {variables}")
        if variable in requested:
            raise SelectionProblem("Illegal selection expression", f"variable {variable!r} is selected twice")
        requested[variable] = item
    members: dict[str, dict[str, list[str]]] = {}
    for variable, item in requested.items():
        if item.get("codelist"):
            members[variable] = apply_codelist(recordings, document, variable, item["codelist"])
    codes = metadata_codes(document)
    chosen: dict[str, list[str]] = {}
    eliminated: dict[str, str | None] = {}
    known_totals = table.elimination_values()
    for variable in variables:
        values = requested.get(variable, {}).get("valueCodes") or []
        if values:
            chosen[variable] = select_values(values, codes[variable], variable, variable == time_variable)
        elif document["dimension"][variable].get("extension", {}).get("elimination"):
            eliminated[variable] = known_totals.get(variable) if known_totals.get(variable) in codes[variable] else None
        else:
            raise SelectionProblem("Missing selection for mandantory variable",  # sic: SCB's own spelling
                                   f"variable {variable!r} is mandatory and has no values in the selection")
    return Resolved(document, chosen, members, eliminated)


def default_placement(document: dict, resolved: Resolved) -> tuple[list[str], list[str]]:
    """The table's own stub and heading (SCB's px extension), less eliminated variables; unknown ones appended."""
    px = document.get("extension", {}).get("px", {})
    stub = [v for v in px.get("stub", []) if v in resolved.chosen]
    heading = [v for v in px.get("heading", []) if v in resolved.chosen]
    stub += [v for v in resolved.chosen if v not in stub and v not in heading]
    return stub, heading


def requested_placement(resolved: Resolved, heading: list[str], stub: list[str]) -> tuple[list[str], list[str]] | None:
    """A placement asked for, checked as PxWebApi does; None when it cannot be used (SCB then silently keeps the
    default layout)."""
    by_lower = {v.lower(): v for v in resolved.chosen}
    time_variable = (resolved.document.get("role", {}).get("time") or [None])[0]

    def known(names: list[str]) -> list[str] | None:
        out = [time_variable if n.lower() == "time" else by_lower.get(n.lower()) for n in names]
        return None if None in out or len(set(out)) != len(out) else out

    heading_vars, stub_vars = known(heading), known(stub)
    if heading_vars is None or stub_vars is None or set(heading_vars) & set(stub_vars):
        return None
    rest = [v for v in resolved.chosen if v not in heading_vars and v not in stub_vars]
    if heading_vars and stub_vars:
        return (stub_vars, heading_vars) if not rest else None
    if heading_vars:
        return rest, heading_vars
    if stub_vars:
        return stub_vars, rest
    return None


def answer_cells(table: RecordedTable, resolved: Resolved) -> tuple[list[float], dict[str, str]]:
    """The answer's values (row-major in the placement's order) and status symbols, from the recorded cells."""
    cube = table.cube
    weights, missing = [], []
    for dimension in cube.dimensions:
        variable = dimension.id
        position = dimension.position()
        if variable in resolved.chosen:
            groups = [resolved.members.get(variable, {}).get(code, [code]) for code in resolved.chosen[variable]]
        elif resolved.eliminated.get(variable):
            groups = [[resolved.eliminated[variable]]]
        else:  # eliminated by summing over every value of the table
            groups = [metadata_codes(resolved.document)[variable]]
        missing += [f"{variable}={code}" for group in groups for code in group if code not in position]
        matrix = np.zeros((len(groups), len(dimension.codes)))
        for row, group in enumerate(groups):
            for code in group:
                if code in position:
                    matrix[row, position[code]] = 1
        weights.append(matrix)
    if missing:
        raise SelectionProblem("Not in the recording", _listing("values", missing))
    eliminated_axes = tuple(i for i, d in enumerate(cube.dimensions) if d.id not in resolved.chosen)
    values, gaps, symbols = (part.squeeze(axis=eliminated_axes) for part in _contract(cube, weights))
    if gaps.any():
        raise SelectionProblem("Not in the recording", f"{int(gaps.sum())} of the {gaps.size} cells asked for were "
                                                       "not recorded (the recordings hold these values only in other "
                                                       "combinations)")
    kept = [d.id for d in cube.dimensions if d.id in resolved.chosen]
    axes = [kept.index(v) for v in resolved.order]
    values, symbols = values.transpose(axes).ravel(), symbols.transpose(axes).ravel()
    return ([None if np.isnan(v) else float(v) for v in values],
            {str(i): s for i, s in enumerate(symbols) if s is not None})


def _contract(cube, weights: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply each dimension's selection matrix (one row per answer code, a 1 for each recorded code it takes or
    sums); returns values, cells not recorded, and status symbols."""
    values = np.nan_to_num(cube.values)
    nan = np.isnan(cube.values).astype(float)
    gaps = (~cube.recorded).astype(float)
    picks_only = all((w.sum(axis=1) == 1).all() for w in weights)
    status = cube.status
    for axis, matrix in enumerate(weights):
        values = np.moveaxis(np.tensordot(matrix, values, axes=([1], [axis])), 0, axis)
        nan = np.moveaxis(np.tensordot(matrix, nan, axes=([1], [axis])), 0, axis)
        gaps = np.moveaxis(np.tensordot(matrix, gaps, axes=([1], [axis])), 0, axis)
        if picks_only:
            status = np.take(status, matrix.argmax(axis=1), axis=axis)
    values = np.where(nan > 0, np.nan, values)
    if not picks_only:  # a sum over a missing cell is missing (SCB's ".."), never a smaller number
        status = np.where(nan > 0, "..", None).astype(object)
    return values, gaps > 0, status


def _listing(what: str, items: list[str]) -> str:
    shown = ", ".join(items[:10])
    more = f" and {len(items) - 10} more" if len(items) > 10 else ""
    return f"the recordings hold no {what} {shown}{more}"
