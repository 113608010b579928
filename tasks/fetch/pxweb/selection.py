"""PxWebApi 2 selections: expand value expressions against metadata, count cells, split under the cell limit.

A selection here is an ordered mapping ``{variable_code: VariableSelection}``. The same expansion is used by the
client (to count cells and split before calling) and by the replay server (to answer any valid selection), so
both sides agree on what an expression means.
"""

from __future__ import annotations

import fnmatch
import math
import re
from dataclasses import dataclass, field

from tasks.fetch.common.errors import SelectionError
from tasks.fetch.pxweb.split_plan import plan_boxes

# PxWebApi 2 value expressions (PxWeb 2 docs): * and ? wildcards, top(n[,offset]), bottom(n[,offset]),
# from(code), to(code), range(code1,code2). Anything else is a plain value code. For the time variable SCB's top()
# means the latest periods and bottom() the earliest (PxWebApi's SelectionExpressions).
_EXPRESSION = re.compile(r"^(top|bottom|from|to|range)\((.*)\)$", re.IGNORECASE)


@dataclass(frozen=True)
class VariableSelection:
    variable: str
    values: tuple[str, ...]
    codelist: str | None = None

    def as_api(self) -> dict:
        body: dict = {"variableCode": self.variable, "valueCodes": list(self.values)}
        if self.codelist:
            body["codelist"] = self.codelist
        return body


@dataclass
class Selection:
    """An ordered, fully resolved selection: explicit value codes for every variable of the table."""

    variables: list[VariableSelection] = field(default_factory=list)

    @property
    def cells(self) -> int:
        return math.prod(len(v.values) for v in self.variables)

    def as_api(self) -> dict:
        return {"selection": [v.as_api() for v in self.variables]}

    def values_of(self, variable: str) -> tuple[str, ...]:
        for v in self.variables:
            if v.variable == variable:
                return v.values
        raise KeyError(variable)

    def replace(self, variable: str, values: tuple[str, ...]) -> Selection:
        return Selection(
            [VariableSelection(v.variable, values, v.codelist) if v.variable == variable else v for v in self.variables]
        )


def expand_value_expressions(expressions: list[str] | tuple[str, ...], available: list[str],
                             variable: str = "?", is_time: bool = False) -> list[str]:
    """Resolve value codes and expressions to the table's codes, keeping the table's order, without duplicates."""
    chosen: set[str] = set()
    for expression in expressions:
        chosen.update(_expand_one(str(expression).strip(), available, variable, is_time))
    return [code for code in available if code in chosen]


def _expand_one(expression: str, available: list[str], variable: str, is_time: bool) -> list[str]:
    match = _EXPRESSION.match(expression)
    if match:
        return _expand_function(match.group(1).lower(), [a.strip() for a in match.group(2).split(",")], available,
                                variable, is_time)
    if "*" in expression or "?" in expression:
        return [code for code in available if fnmatch.fnmatchcase(code, expression)]
    if expression not in available:
        raise SelectionError(f"value {expression!r} does not exist for variable {variable!r}")
    return [expression]


def _expand_function(name: str, args: list[str], available: list[str], variable: str,
                     is_time: bool = False) -> list[str]:
    def position(code: str) -> int:
        if code not in available:
            raise SelectionError(f"value {code!r} in {name}() does not exist for variable {variable!r}")
        return available.index(code)

    if name in ("top", "bottom"):
        try:
            count, offset = int(args[0]), int(args[1]) if len(args) > 1 else 0
        except ValueError as err:
            raise SelectionError(f"{name}() needs integers, got {args} for {variable!r}") from err
        from_end = (name == "top") == is_time
        ordered = list(reversed(available)) if from_end else available
        return ordered[offset: offset + count]
    if name == "from":
        return available[position(args[0]):]
    if name == "to":
        return available[: position(args[0]) + 1]
    if len(args) != 2:
        raise SelectionError(f"range() needs two codes for {variable!r}")
    return available[position(args[0]): position(args[1]) + 1]


def resolve_selection(requested: dict[str, dict], table_values: dict[str, list[str]],
                      eliminable: dict[str, str | None] | None = None, time_variable: str | None = None) -> Selection:
    """Resolve a requested selection against the table's variables, in the table's variable order.

    ``requested`` maps variable code to ``{"values": [...], "codelist": optional, "eliminate": optional}``
    (eliminate: leave it out, SCB sums over it); ``table_values`` maps every
    variable of the table (in order) to its value codes under the requested codelist. A variable left out must be
    eliminable: we then pin it to its elimination value (or refuse), because SCB would otherwise apply its default
    selection, which changes silently when SCB edits the table.
    """
    unknown = set(requested) - set(table_values)
    if unknown:
        raise SelectionError(f"unknown variable(s) {sorted(unknown)}; the table has {list(table_values)}")
    variables = []
    for variable, available in table_values.items():
        if requested.get(variable, {}).get("eliminate"):
            if variable not in (eliminable or {}):
                raise SelectionError(f"variable {variable!r} cannot be eliminated in this table")
            continue  # not sent: SCB sums over it
        if variable in requested:
            spec = requested[variable]
            values = expand_value_expressions(spec["values"], available, variable, variable == time_variable)
            codelist = spec.get("codelist")
        else:
            elimination = (eliminable or {}).get(variable)
            if not elimination:
                raise SelectionError(f"variable {variable!r} is not in the selection and cannot be eliminated")
            values, codelist = [elimination], None
        if not values:
            raise SelectionError(f"selection for {variable!r} matches no values")
        variables.append(VariableSelection(variable, tuple(values), codelist))
    return Selection(variables)


def split_selection_under_cell_limit(selection: Selection, max_cells: int) -> list[Selection]:
    """The calls for ``selection``: every cell in exactly one, none over ``max_cells``, as few as the planner finds
    (tasks/fetch/pxweb/split_plan.py); each call asks for a contiguous run of each variable's values."""
    if selection.cells <= max_cells:
        return [selection]
    boxes = plan_boxes([len(v.values) for v in selection.variables], max_cells)
    return [Selection([VariableSelection(v.variable, v.values[r.start:r.stop], v.codelist)
                       for v, r in zip(selection.variables, box, strict=True)]) for box in boxes]
