"""The run report's one line per source: a skipped source (no period in the backfill's range) says what it did
without Python's None leaking into an operator's log."""

from __future__ import annotations

from flows.pipeline import _line
from tasks.load.outcomes import SourceOutcome


def test_a_skipped_source_prints_dashes_not_none() -> None:
    skipped = SourceOutcome("births_municipality_2025", "TAB6401", None, None, 1, 0, 0, 0, None, "not run",
                            "skipped", "no period of TAB6401 in 2010..2015", 0.2)
    line = _line(skipped)
    assert "None" not in line
    assert "published=- periods=-" in line and line.startswith("births_municipality_2025")
    assert line.endswith("— no period of TAB6401 in 2010..2015")
    loaded = SourceOutcome("population_county_month", "TAB6471", "2026M01..2026M04", "2026-06-08T06:00:00Z", 2,
                           1008, 0, 1008, 1008, "passed", "loaded", None, 1.0)
    assert "fetched=1008 rejected=0 loaded=1008 published=1008 periods=2026M01..2026M04" in _line(loaded)
