"""The data catalogue's shapes: indicators (config/indicators.yaml) and the sources that feed them
(config/sources/*.yaml), one model per API. Loading and cross-checking them is tasks/config.py's job."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Frequency = Literal["monthly", "quarterly", "yearly"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)


class FocusArea(Strict):
    name: Text


class Indicator(Strict):
    """One published measure. ``additive``: a county's value is the sum of its municipalities' (counts of people,
    dwellings, commuters), so county series can be rebuilt on today's borders; rates, shares and medians are not."""

    name: Text
    description: Text
    unit: str = Field(min_length=1)
    focus_area: str
    additive: bool


class IndicatorMapping(Strict):
    """A source's content code (SCB) or KPI (Kolada) and the indicator it publishes; unit from the catalogue."""

    id: str
    unit: str


class VariableSpec(Strict):
    values: list[str] = []
    codelist: str | None = None
    eliminate: bool = False  # leave the variable out of the request: SCB then sums over it (e.g. all house types)


class ColumnMap(Strict):
    region: str
    period: str
    sex: str | None = None
    age: str | None = None


class _Source(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    why: str
    frequency: Frequency
    indicators: dict[str, IndicatorMapping]
    expectations: str = Field(pattern=r"^[a-z][a-z0-9_]*$")  # a suite in expectations/ (checked when loading)
    only_on: Literal["replay", "live"] | None = None  # replay: recorded example tables; live: nothing recorded


class PxWebSource(_Source):
    api: Literal["pxweb"]
    table: str = Field(pattern=r"^[A-Za-z0-9_]+$")  # joined into the API path: nothing else may get in
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")  # default: the API's (settings)
    selection: dict[str, VariableSpec]
    # Offline runs only: what the recordings hold, where that is less than the live selection (the emulator refuses
    # a selection that reaches unrecorded cells, as it must; it never answers with less).
    replay_selection: dict[str, VariableSpec] = {}
    columns: ColumnMap
    breakdown: list[str] = []
    codes: dict[str, dict[str, str]] = {}
    derive_totals: list[Literal["sex", "age"]] = []
    transform: str | None = None  # a transform registered in tasks/fetch/transforms/, applied to the tidy batch

    @field_validator("selection", "replay_selection", mode="before")
    @classmethod
    def _lists_are_value_specs(cls, value: Any) -> Any:
        # `Kon: ["*"]` is shorthand for `Kon: {values: ["*"]}`, `Hustyp: eliminate` for `{eliminate: true}`.
        if isinstance(value, dict):
            return {k: {"values": v} if isinstance(v, list) else {"eliminate": True} if v == "eliminate" else v
                    for k, v in value.items()}
        return value

    @property
    def codelists(self) -> dict[str, str]:
        """Variable -> the codelist the selection asks SCB to apply (e.g. an aggregation of ages)."""
        return {variable: spec.codelist for variable, spec in self.selection.items() if spec.codelist}

    @property
    def metric_variable(self) -> str:
        return "ContentsCode"

    def selection_for(self, on_replay: bool) -> dict[str, VariableSpec]:
        return {**self.selection, **self.replay_selection} if on_replay else self.selection


class YearRange(Strict):
    first: int = Field(alias="from", ge=1950, le=2100)
    last: int | None = Field(default=None, alias="to", ge=1950, le=2100)  # None: up to the current year

    @model_validator(mode="after")
    def _ordered(self) -> YearRange:
        if self.last is not None and self.last < self.first:
            raise ValueError(f"years: from {self.first} is after to {self.last}")
        return self


class KoladaSource(_Source):
    api: Literal["kolada"]

    @field_validator("indicators")
    @classmethod
    def _kpi_ids(cls, value: dict) -> dict:
        bad = [kpi for kpi in value if not re.fullmatch(r"[A-Z][0-9]{5}", kpi)]  # joined into Kolada's URL paths
        if bad:
            raise ValueError(f"{bad} are not Kolada KPI ids (a letter and five digits, e.g. N03702)")
        return value

    regions: list[str]  # region codes or $sets, as for SCB; mapped to Kolada's ids
    years: YearRange

    @property
    def table(self) -> str:
        """Kolada has no tables: the KPIs stand where an SCB table id would."""
        return "Kolada " + "+".join(self.indicators)


SourceConfig = Annotated[PxWebSource | KoladaSource, Field(discriminator="api")]
