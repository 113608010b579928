"""What fetching one source produced: the landed answers (metadata and data) and the numbers the run reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from tasks.catalogue import SourceConfig
from tasks.fetch.common.errors import SelectionError
from tasks.land.landing import LandedResponse


@dataclass
class FetchedSource:
    source: SourceConfig
    updated: str | None = None  # when the source last published: SCB's table `updated`, Kolada's last publication
    version: str | None = None  # what identifies the loaded data (SCB: `updated`; Kolada: dates and request)
    landed: list[LandedResponse] = field(default_factory=list)  # every answer landed by this run, in call order
    data: list[LandedResponse] = field(default_factory=list)  # the data answers to parse (landed now or reused)
    calls: int = 0
    reused: int = 0
    planned_cells: int = 0
    planned_calls: int = 0
    periods: tuple[str, str] | None = None
    seconds: float = 0.0
    unchanged: bool = False  # the same version and periods as already loaded: nothing to validate or load
    pending: list = field(default_factory=list)  # planned calls still to make, as the source's API plans them

    @property
    def nothing_planned(self) -> bool:
        """The source has no period in the requested range (a backfill outside its years)."""
        return self.planned_calls == 0

    def period_span(self, periods: list[str]) -> None:
        ordered = sorted(periods)
        self.periods = (ordered[0], ordered[-1]) if ordered else None


@dataclass(frozen=True)
class AlreadyLoaded:
    """What the warehouse already holds, read once before a run's fetches: which landed data answers a load used
    (False: rejected) and, per source, the (version, periods) of its last batch in the warehouse."""

    landings: dict[str, bool] = field(default_factory=dict)
    versions: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


def refuse_oversized_plan(source_id: str, planned_calls: int, limit: int) -> None:
    """A selection that would take more calls than an operator allows is refused before the first data call (a
    year range of 1000-9999, a forgotten wildcard), with one line that says what to change."""
    if planned_calls > limit:
        raise SelectionError(f"{source_id} would make {planned_calls} data calls, more than max_calls_per_source "
                             f"({limit}): narrow its selection or years, or raise the setting")
