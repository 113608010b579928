"""The client's expansion of PxWebApi 2 value expressions (tasks/fetch/pxweb/selection.py) and the emulator's own
(replay/pxweb/expressions.py) are written apart on purpose; here they must agree on every expression hypothesis
finds, on real code lists from SCB's metadata, and on the time variable's TOP meaning the latest periods."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replay.pxweb.expressions import SelectionProblem, select_values
from tasks.fetch.common.errors import SelectionError
from tasks.fetch.pxweb.selection import expand_value_expressions
from tests.conftest import shared_path

METADATA = json.loads((shared_path() / "scb/v2/TAB6471/metadata.json").read_text(encoding="utf-8"))


def _codes(variable: str) -> list[str]:
    index = METADATA["dimension"][variable]["category"]["index"]
    return sorted(index, key=index.get)


CODE_LISTS = {variable: _codes(variable) for variable in ("Region", "Alder", "Tid")}


@st.composite
def expressions(draw, codes: list[str]) -> str:
    code = st.sampled_from(codes)
    kind = draw(st.sampled_from(["code", "wildcard", "top", "bottom", "from", "to", "range"]))
    if kind == "code":
        return draw(code)
    if kind == "wildcard":
        prefix = draw(code)[: draw(st.integers(0, 3))]
        return prefix + draw(st.sampled_from(["*", "?", "??*"]))
    if kind in ("top", "bottom"):
        count, offset = draw(st.integers(1, 20)), draw(st.integers(0, 5))
        return f"{kind}({count})" if draw(st.booleans()) else f"{kind}({count},{offset})"
    if kind in ("from", "to"):
        return f"{kind}({draw(code)})"
    first, last = sorted([draw(code), draw(code)], key=codes.index)
    return f"range({first},{last})"


def _client(selected: list[str], codes: list[str], variable: str) -> list[str] | None:
    try:
        return expand_value_expressions(selected, codes, variable, is_time=variable == "Tid")
    except SelectionError:
        return None


def _emulator(selected: list[str], codes: list[str], variable: str) -> list[str] | None:
    try:
        return select_values(selected, codes, variable, is_time=variable == "Tid")
    except SelectionProblem:
        return None


@pytest.mark.parametrize("variable", sorted(CODE_LISTS))
def test_client_and_emulator_expand_expressions_alike(variable) -> None:
    codes = CODE_LISTS[variable]

    @settings(max_examples=150, deadline=None, database=None, derandomize=True)
    @given(st.lists(expressions(codes), min_size=1, max_size=3, unique=True))
    def agree(selected: list[str]) -> None:
        ours, theirs = _client(selected, codes, variable), _emulator(selected, codes, variable)
        if theirs is None:
            # SCB refuses a request in which one expression selects nothing; the client drops such an expression
            # (and sends the codes it expanded, never the expression).
            assert ours is None or any(not _client([one], codes, variable) for one in selected), selected
        else:
            assert ours == theirs, selected

    agree()


def test_top_of_the_time_variable_is_the_latest_periods_on_both_sides() -> None:
    months = CODE_LISTS["Tid"]
    assert _client(["top(3)"], months, "Tid") == _emulator(["top(3)"], months, "Tid") == months[-3:]
    assert _client(["bottom(2)"], months, "Tid") == _emulator(["bottom(2)"], months, "Tid") == months[:2]
