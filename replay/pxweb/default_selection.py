"""SCB's default selection (PxWebApi 2's ``Bjarte3`` algorithm), over what the emulator can answer.

SCB first applies each variable's first valueset, then picks: the first content value; the latest period (the
latest 13 when the table has only two or three variables); variables shown in the heading get at most their first
13 values, those in the stub at most their first 1,500; eliminable variables not needed are left out. The emulator
has no valuesets' contents recorded, so it runs the same algorithm over the values of its largest recorded answer
(a block whose every cell was recorded), and treats a variable as eliminable only where that block can answer its
total (its elimination value is in it, or every value is, for the sum). The default selection it hands out is
therefore one its /data answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from replay.pxweb.recordings import RecordedTable, metadata_codes

STUB_MAX, HEADING_MAX, TIME_MAX = 1500, 13, 13


@dataclass
class Candidate:
    code: str
    values: list[str]  # the recorded values, in the table's order
    eliminable: bool


def default_selection(table: RecordedTable, document: dict) -> tuple[list[dict], dict[str, list[str]]]:
    """(selection items in SCB's order, placement {heading, stub})."""
    codes = metadata_codes(document)
    role = document.get("role", {})
    time = (role.get("time") or [None])[0]
    contents = (role.get("metric") or [None])[0]
    known_totals = table.elimination_values()
    block = table.cube.largest_block()
    candidates = []
    for variable in document["id"]:
        recorded = set(block.get(variable, []))
        values = [code for code in codes[variable] if code in recorded]
        answerable_total = known_totals.get(variable) in recorded or set(codes[variable]) <= recorded
        eliminable = bool(document["dimension"][variable].get("extension", {}).get("elimination")) \
            and answerable_total
        candidates.append(Candidate(variable, values, eliminable))
    picker = _Picker()
    by_code = {c.code: c for c in candidates}
    if contents in by_code and time in by_code:
        _bjarte3(picker, by_code[contents], by_code[time], [c for c in candidates if c.code not in (contents, time)])
    else:
        _simple(picker, candidates)
    for candidate in candidates:
        if candidate.code not in picker.chosen:
            picker.chosen[candidate.code] = []
    selection = [{"variableCode": code, "valueCodes": values} for code, values in picker.chosen.items()]
    return selection, {"heading": picker.heading, "stub": picker.stub}


class _Picker:
    def __init__(self) -> None:
        self.chosen: dict[str, list[str]] = {}
        self.heading: list[str] = []
        self.stub: list[str] = []

    def stub_variable(self, c: Candidate, count: int = STUB_MAX) -> None:
        self.chosen[c.code] = c.values[:count]
        self.stub.append(c.code)

    def heading_variable(self, c: Candidate, count: int = HEADING_MAX, latest: bool = False) -> None:
        self.chosen[c.code] = c.values[-count:] if latest else c.values[:count]
        self.heading.append(c.code)

    def stub_or_heading(self, a: Candidate, b: Candidate | None) -> None:
        """The one with more values goes to the stub, the other to the heading (ties: b to the stub)."""
        if b is None:
            self.stub_variable(a)
        elif len(a.values) > len(b.values):
            self.stub_variable(a)
            self.heading_variable(b)
        else:
            self.stub_variable(b)
            self.heading_variable(a)


def _bjarte3(picker: _Picker, contents: Candidate, time: Candidate, others: list[Candidate]) -> None:
    if not others:  # case A: contents and time only
        if len(contents.values) < 6:
            picker.heading_variable(contents, len(contents.values))
            picker.stub_variable(time, TIME_MAX)
            picker.chosen[time.code] = time.values[-TIME_MAX:]
        else:
            picker.stub_variable(contents)
            picker.heading_variable(time, TIME_MAX, latest=True)
        return
    if len(others) == 1:  # case B: one classification variable
        (other,) = others
        if len(contents.values) == 1:
            picker.heading_variable(contents, 1)
            picker.heading_variable(time, TIME_MAX, latest=True)
            picker.stub_variable(other)
        else:
            picker.heading_variable(time, 1, latest=True)
            picker.stub_or_heading(contents, other)
        return
    picker.heading_variable(contents, 1)  # case C: four variables or more
    picker.heading_variable(time, 1, latest=True)
    _classifications(picker, others)


def _classifications(picker: _Picker, others: list[Candidate]) -> None:
    mandatory = [c for c in others if not c.eliminable]
    eliminable = [c for c in others if c.eliminable]
    if len(mandatory) >= 2:
        for middle in mandatory[1:-1]:
            picker.heading_variable(middle, 1)
        picker.stub_or_heading(mandatory[0], mandatory[-1])
    elif len(mandatory) == 1:
        picker.stub_or_heading(mandatory[0], eliminable[-1] if eliminable else None)
    else:
        picker.stub_or_heading(others[0], others[-1] if len(others) > 1 else None)


def _simple(picker: _Picker, candidates: list[Candidate]) -> None:
    """A table without a content or time variable."""
    if len(candidates) == 1:
        picker.stub_variable(candidates[0])
        return
    _classifications(picker, candidates)
