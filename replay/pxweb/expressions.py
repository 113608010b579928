"""SCB's selection expressions, as PxWebApi 2 evaluates them (PxTools/PxWebApi ``SelectionExpressions``).

Written here, not shared with the client's own expansion (tasks/fetch/pxweb/selection.py), so that a misunderstanding on
one side shows up as a disagreement in the tests instead of agreeing with itself. Rules, from PxWebApi's code:
value codes match regardless of case and come back in the table's case; ``*`` and ``?`` are wildcards over codes;
``TOP(n[,offset])`` and ``BOTTOM(n[,offset])`` count from the start and the end of the list, except for the time
variable, where TOP means the latest periods; ``FROM(c)``, ``TO(c)`` and ``RANGE(a,b)`` are inclusive; the answer
keeps the table's order of values, whatever the order asked.
"""

from __future__ import annotations

import fnmatch
import re

_FUNCTION = re.compile(r"^(top|bottom|from|to|range)\((.*)\)$", re.IGNORECASE)
_GET_ITEMS = re.compile(r",(?=[^\]]*(?:\[|$))")  # commas inside [...] do not separate GET values


class SelectionProblem(ValueError):
    """A selection SCB would refuse; ``title`` is SCB's problem title."""

    def __init__(self, title: str, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.title, self.detail, self.status = title, detail, status


def split_get_values(text: str) -> list[str]:
    """``valueCodes[Tid]=2024,[range(2020,2022)]`` as ["2024", "range(2020,2022)"]."""
    items = [item.strip() for item in _GET_ITEMS.split(text) if item.strip()]
    return [item[1:-1] if item.startswith("[") and item.endswith("]") else item for item in items]


def select_values(expressions: list[str], available: list[str], variable: str, is_time: bool) -> list[str]:
    """The codes an expression list selects, in the table's order; an expression that finds nothing is an error."""
    by_lower = {code.lower(): code for code in available}
    chosen: list[str] = []
    literals: set[str] = set()
    for expression in expressions:
        found = _evaluate(expression.strip(), available, by_lower, variable, is_time)
        if not found:
            raise SelectionProblem("Non-existent value", f"{expression!r} selects no value of variable {variable!r}")
        if not _is_pattern(expression):  # SCB fails on a value code written twice (it answers 500; we say why)
            if found[0] in literals:
                raise SelectionProblem("Illegal selection expression",
                                       f"value {found[0]!r} of variable {variable!r} is asked for twice")
            literals.add(found[0])
        chosen.extend(code for code in found if code not in chosen)
    order = {code: i for i, code in enumerate(available)}
    return sorted(chosen, key=order.__getitem__)


def _is_pattern(expression: str) -> bool:
    return "*" in expression or "?" in expression or bool(_FUNCTION.match(expression))


def _evaluate(expression: str, available: list[str], by_lower: dict[str, str], variable: str,
              is_time: bool) -> list[str]:
    match = _FUNCTION.match(expression)
    if match:
        return _function(match.group(1).lower(), [a.strip() for a in match.group(2).split(",")], available,
                         by_lower, variable, is_time)
    if "*" in expression or "?" in expression:
        pattern = expression.lower()
        return [code for code in available if fnmatch.fnmatchcase(code.lower(), pattern)]
    code = by_lower.get(expression.lower())
    if code is None:
        raise SelectionProblem("Non-existent value", f"value {expression!r} does not exist for variable {variable!r}")
    return [code]


def _function(name: str, args: list[str], available: list[str], by_lower: dict[str, str], variable: str,
              is_time: bool) -> list[str]:
    def position(code: str) -> int:
        if code.lower() not in by_lower:
            raise SelectionProblem("Non-existent value", f"value {code!r} in {name.upper()}() does not exist for "
                                                         f"variable {variable!r}")
        return available.index(by_lower[code.lower()])

    if name in ("top", "bottom"):
        if not 1 <= len(args) <= 2 or not all(a.isdigit() for a in args) or int(args[0]) < 1:
            raise SelectionProblem("Illegal selection expression", f"{name.upper()}({','.join(args)}) needs a count "
                                                                   f"and an optional offset for {variable!r}")
        count, offset = int(args[0]), int(args[1]) if len(args) > 1 else 0
        from_end = (name == "top") == is_time  # TOP of a time variable is its latest periods
        ordered = list(reversed(available)) if from_end else available
        return ordered[offset: offset + count]
    if name in ("from", "to") and len(args) == 1:
        return available[position(args[0]):] if name == "from" else available[: position(args[0]) + 1]
    if name == "range" and len(args) == 2:
        first, last = position(args[0]), position(args[1])
        return available[min(first, last): max(first, last) + 1]
    raise SelectionProblem("Illegal selection expression", f"{name.upper()}({','.join(args)}) is not a selection "
                                                           f"expression for {variable!r}")
