"""The region model: Sweden's counties, their municipalities and the border changes (config/regions.yaml), narrowed
to the counties a run selects (settings ``regions:``: a named selection such as ``oms``, the default, or
``sweden``, or county codes), and which municipalities made up a county at a given reference period.

SCB's year-end figures follow the division of 1 January of the next year (the PX files say so in NOTEX), so
"county 19 in 2005" still contains Heby (then code 1917) and "county 03 in 2006" already does (code 0331).
Region codes are strings with their leading zeros: an unquoted ``code: 114`` in the YAML is refused, not read as
"114" (which matches nothing and would silently drop a municipality).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StrictStr, ValidationError

from tasks.catalogue import Strict
from tasks.config import ConfigError, config_dir, one_line_error, read_yaml

CountyCode = Annotated[StrictStr, Field(pattern=r"^\d{2}$")]
MunicipalityCode = Annotated[StrictStr, Field(pattern=r"^\d{4}$")]


class _County(Strict):
    code: CountyCode
    name: StrictStr
    short_name: StrictStr
    kolada_id: Annotated[StrictStr, Field(pattern=r"^\d{4}$")]
    nuts3: StrictStr
    nuts2: StrictStr


class _Municipality(Strict):
    code: MunicipalityCode
    name: StrictStr
    short_name: StrictStr
    county: CountyCode


class _Change(Strict):
    effective: date
    type: Literal["split", "county_transfer"]
    code: MunicipalityCode
    name: StrictStr
    from_code: MunicipalityCode = Field(alias="from")
    county: CountyCode
    from_county: CountyCode | None = None
    note: StrictStr


class _Selection(Strict):
    label: StrictStr  # what the selection is called as a whole in what we publish (the site's headline: "ÖMS")
    title: StrictStr  # the site's heading, "Lägesbild för <title>" ("östra Mellansverige")
    counties: list[CountyCode] = Field(min_length=1)


class _RegionsFile(Strict):
    selections: dict[StrictStr, _Selection] = {}
    counties: list[_County] = Field(min_length=1)
    municipalities: list[_Municipality] = Field(min_length=1)
    changes: list[_Change] = []


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    short_name: str
    level: str  # "county" | "municipality"
    county_code: str
    kolada_id: str
    nuts3: str | None = None
    nuts2: str | None = None
    valid_from: date | None = None  # None: since before 1971
    valid_to: date | None = None  # None: in use today
    successor: str | None = None  # for a code no longer in use: today's code for the same area

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


@dataclass(frozen=True)
class RegionChange:
    effective: date
    type: str
    code: str
    name: str
    from_code: str
    county: str
    from_county: str | None
    note: str


@dataclass(frozen=True)
class Regions:
    regions: tuple[Region, ...]
    changes: tuple[RegionChange, ...]
    selection: str = "oms"  # the selection's name, or its county codes joined by commas ("01,12")
    label: str = "ÖMS"  # the selected area as a whole, as published
    known_counties: tuple[str, ...] = ()  # every county in config/regions.yaml, selected or not

    @property
    def county_codes(self) -> list[str]:
        return [r.code for r in self.regions if r.level == "county"]

    @property
    def municipality_codes(self) -> list[str]:
        """Today's municipalities of the selected counties (88 for ÖMS)."""
        return [r.code for r in self.regions if r.level == "municipality" and r.is_current]

    @property
    def historical_codes(self) -> list[str]:
        """Codes no longer in use that older tables still carry (Heby as 1917 in Västmanland until 2006)."""
        return [r.code for r in self.regions if not r.is_current]

    @property
    def all_codes(self) -> list[str]:
        return [r.code for r in self.regions]

    def region_sets(self) -> dict[str, list[str]]:
        """Named sets that a source selection may reference as ``$name``. Municipalities include historical codes:
        a table only has the codes of its years, and the selection keeps those it has. A county left out of the
        run's selection has an empty ``$municipalities_in_XX``: a source naming it asks for nothing there."""
        per_county = {f"municipalities_in_{county}": [r.code for r in self.regions if r.level == "municipality"
                                                      and r.county_code == county]
                      for county in self.county_codes + [c for c in self.known_counties if c not in self.county_codes]}
        return {"counties": self.county_codes, "municipalities": self.municipality_codes + self.historical_codes,
                "oms": self.all_codes, **per_county}


def load_regions(directory: Path | None = None, selection: str | list[str] | None = None) -> Regions:
    """The selected counties, their municipalities, and the changes (and retired codes) that touch them. Without a
    ``selection``, the setting: OMS_REGIONS, else ``regions:`` in settings.yaml, else ``oms``."""
    raw, path = _regions_file(directory)
    _check_regions(raw, path)
    name, selected = _selected(raw, configured_selection(directory) if selection is None else selection, path)
    chosen = set(selected.counties)
    counties = {c.code: c for c in raw.counties}
    # A change touches the selection when it moves an area into or out of a selected county: Heby's transfer (and
    # its retired code 1917, which feeds 0331's series before 2007) comes with 03 or with 19.
    changes = [RegionChange(c.effective, c.type, c.code, c.name, c.from_code, c.county, c.from_county, c.note)
               for c in raw.changes if c.county in chosen or c.from_county in chosen]
    created = {c.code: c.effective for c in changes}
    regions = [Region(c.code, c.name, c.short_name, "county", c.code, c.kolada_id, c.nuts3, c.nuts2)
               for c in raw.counties if c.code in chosen]
    regions += [Region(m.code, m.name, m.short_name, "municipality", m.county, m.code, counties[m.county].nuts3,
                       counties[m.county].nuts2, valid_from=created.get(m.code))
                for m in raw.municipalities if m.county in chosen]
    regions += [_retired_code(change, counties) for change in changes if change.type == "county_transfer"]
    return Regions(tuple(regions), tuple(changes), name, selected.label, tuple(counties))


def _regions_file(directory: Path | None) -> tuple[_RegionsFile, Path]:
    path = (directory or config_dir()) / "regions.yaml"
    try:
        return _RegionsFile.model_validate(read_yaml(path)), path
    except ValidationError as err:
        raise one_line_error(err, path, "regions") from err


def configured_selection(directory: Path | None = None) -> str | list[str]:
    """The ``regions:`` setting with its OMS_REGIONS override; for a folder without settings.yaml, OMS_REGIONS or
    ``oms``."""
    from tasks.config import load_settings

    if ((directory or config_dir()) / "settings.yaml").exists():
        return load_settings(directory).regions  # OMS_REGIONS applied there
    return os.environ.get("OMS_REGIONS") or "oms"


def _selected(raw: _RegionsFile, selection: str | list[str], path: Path) -> tuple[str, _Selection]:
    """The name and the selection of a named selection or of county codes ("01,12" or a YAML list)."""
    known = [c.code for c in raw.counties]
    if isinstance(selection, str) and selection.strip() in raw.selections:
        return selection.strip(), raw.selections[selection.strip()]
    codes = [c.strip() for c in (selection.split(",") if isinstance(selection, str) else selection)]
    if not codes or any(code not in known for code in codes):
        raise ConfigError(f"regions: {selection!r} is neither a selection ({', '.join(raw.selections)}) nor county "
                          f"codes separated by commas ({', '.join(known)}); set by config/settings.yaml regions, "
                          f"OMS_REGIONS or --regions (selections and counties: {path})")
    return _named(raw, codes)


def _named(raw: _RegionsFile, codes: list[str]) -> tuple[str, _Selection]:
    """The selection these county codes make: "01,03,04,05,18,19,21" is ÖMS by another name; others are named by
    their codes ("län 01, 12")."""
    for name, named in raw.selections.items():
        if set(named.counties) == set(codes):
            return name, named
    ordered = [c.code for c in raw.counties if c.code in codes]
    called = "län " + ", ".join(ordered)
    return ",".join(ordered), _Selection(label=called, title=called, counties=ordered)


def selection_names(county_codes: list[str], directory: Path | None = None) -> dict[str, str]:
    """What a set of counties is called on the site: ``label`` as a whole ("ÖMS", "Sverige", "län 01, 12") and
    ``title`` in the heading ("östra Mellansverige")."""
    _, selected = _named(_regions_file(directory)[0], county_codes)
    return {"label": selected.label, "title": selected.title}


def _check_regions(raw: _RegionsFile, path: Path) -> None:
    """What the types cannot say: codes unique, each municipality in a listed county and named by its code."""
    codes = [c.code for c in raw.counties] + [m.code for m in raw.municipalities]
    twice = sorted({code for code in codes if codes.count(code) > 1})
    if twice:
        raise ConfigError(f"{path}: region code(s) {twice} are listed twice")
    counties = {c.code for c in raw.counties}
    for m in raw.municipalities:
        if m.county not in counties or not m.code.startswith(m.county):
            raise ConfigError(f"{path}: municipality {m.code} ({m.short_name}) does not belong to county {m.county} "
                              f"(a municipality code starts with its county's code; counties: {sorted(counties)})")
    for name, selection in raw.selections.items():
        unknown = [code for code in selection.counties if code not in counties]
        if unknown:
            raise ConfigError(f"{path}: selections.{name}: county code(s) {unknown} are not listed under counties")
    municipalities = {m.code for m in raw.municipalities}
    for change in raw.changes:
        if change.code not in municipalities:
            raise ConfigError(f"{path}: change {change.effective}: {change.code} ({change.name}) is not a listed "
                              "municipality")


def _retired_code(change: RegionChange, counties: dict[str, _County]) -> Region:
    """A municipality that moved county got a new code; its old one (Heby 1917) lives on in older tables."""
    county = counties.get(change.from_county)
    return Region(change.from_code, f"{change.name} kommun", change.name, "municipality", change.from_county,
                  change.from_code, county.nuts3 if county else None, county.nuts2 if county else None,
                  valid_to=change.effective - timedelta(days=1), successor=change.code)


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
