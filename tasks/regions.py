"""Which municipalities made up a county at a given reference period, from the change history in regions.yaml.

SCB's year-end figures follow the division of 1 January of the next year (the PX files say so in NOTEX), so
"county 19 in 2005" still contains Heby (then code 1917) and "county 03 in 2006" already does (code 0331).
"""

from __future__ import annotations

import re
from datetime import date

from tasks.config import Regions

PERIOD_PATTERN = r"\d{4}(?:M(?:0[1-9]|1[0-2])|K[1-4])?"
_PERIOD = re.compile(r"^(?P<year>\d{4})(?:M(?P<month>\d{2})|K(?P<quarter>[1-4]))?$")


def division_date(period: str) -> date:
    """The date whose municipal division a period's figures use: the day after the period ends."""
    match = _PERIOD.match(period)
    if not match:
        raise ValueError(f"not a period: {period!r}")
    year = int(match["year"])
    if match["month"]:
        month = int(match["month"])
        return date(year + (month == 12), month % 12 + 1, 1)
    if match["quarter"]:
        quarter_end_month = int(match["quarter"]) * 3
        return date(year + (quarter_end_month == 12), quarter_end_month % 12 + 1, 1)
    return date(year + 1, 1, 1)


def county_members(regions: Regions, county_code: str, on: date) -> set[str]:
    """Municipality codes in a county on a date: today's members, undoing later splits and transfers."""
    members = {r.code for r in regions.regions
               if r.level == "municipality" and r.county_code == county_code and r.is_current}
    for change in sorted(regions.changes, key=lambda c: c.effective, reverse=True):
        if change.effective <= on:
            continue
        if change.type == "split" and change.county == county_code:
            members.discard(change.code)  # before the split its area was part of the parent
        elif change.type == "county_transfer":
            if change.county == county_code:
                members.discard(change.code)
            if change.from_county == county_code:
                members.add(change.from_code)
    return members


def existed_on(regions: Regions, code: str, on: date) -> bool:
    """False for a municipality code before the split or recode that created it."""
    return all(not (change.code == code and change.effective > on) for change in regions.changes)
