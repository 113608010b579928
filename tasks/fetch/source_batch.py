"""Fetch one source: metadata first, then every planned data call, each response landed before it is parsed."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from tasks.config import SourceConfig
from tasks.context import RunContext
from tasks.fetch.http import encode_json_body
from tasks.fetch.jsonstat import ResponseFormatError, parse_jsonstat_dataset
from tasks.fetch.pxweb import TableMetadata, parse_table_metadata, plan_selections
from tasks.land.landing import LandedResponse, find_landed, land_raw_response

_UPDATED = re.compile(rb'"updated"\s*:\s*"([^"]{1,40})"')


def peek_updated(body: bytes) -> str | None:
    """The table's updated stamp, read without parsing (landing happens before parsing)."""
    match = _UPDATED.search(body[:20000])
    return match.group(1).decode() if match else None


@dataclass
class FetchedSource:
    source: SourceConfig
    metadata: TableMetadata | None = None
    landed: list[LandedResponse] = field(default_factory=list)  # metadata + data, in call order
    data: list[LandedResponse] = field(default_factory=list)
    calls: int = 0
    reused: int = 0
    planned_cells: int = 0
    planned_calls: int = 0
    periods: tuple[str, str] | None = None
    error: str | None = None
    seconds: float = 0.0
    unchanged: bool = False  # every data response reused and already loaded: nothing to validate or load

    @property
    def nothing_planned(self) -> bool:
        """The source has no period in the requested range (a backfill outside its years)."""
        return self.planned_calls == 0


def _reusable(landed: LandedResponse | None, landing_audit: dict[str, bool]) -> bool:
    """Reuse a landed answer unless it failed before: a body that does not parse (cut off) or a batch that was
    rejected is fetched again. Answers from a run that never reached the load (interrupted) are reused."""
    if landed is None or landed.status != 200 or not landing_audit.get(landed.path, True):
        return False
    try:
        parse_jsonstat_dataset(landed.body())
    except ResponseFormatError:
        return False
    return True


def fetch_source(ctx: RunContext, source: SourceConfig) -> FetchedSource:
    started = time.monotonic()
    result = FetchedSource(source)
    client = ctx.pxweb
    limits = client.limits()
    raw_metadata = client.metadata(source.table, ctx.codelists(source))
    result.calls += raw_metadata.attempts
    landed_metadata = land_raw_response(raw_metadata, landing_dir=ctx.landing_dir, source_id=source.id,
                                        table=source.table, kind="metadata",
                                        source_updated=peek_updated(raw_metadata.body), run_id=ctx.run_id)
    result.landed.append(landed_metadata)
    result.metadata = parse_table_metadata(source.table, raw_metadata.body)
    selections = plan_selections(source, result.metadata, ctx.regions.region_sets(), limits.max_cells,
                                 ctx.first_year, ctx.last_year)
    result.planned_calls = len(selections)
    result.planned_cells = sum(s.cells for s in selections)
    periods = sorted({p for s in selections for p in s.values_of(source.columns.period)})
    result.periods = (periods[0], periods[-1]) if periods else None
    for selection in selections:
        body = encode_json_body(selection.as_api())
        previous = None if ctx.force else find_landed(ctx.landing_dir, source.id, source.table, "data", body,
                                                      result.metadata.updated)
        if _reusable(previous, ctx.landing_audit):
            result.data.append(previous)
            result.reused += 1
            continue
        raw = client.fetch(source.table, selection)
        result.calls += raw.attempts
        landed = land_raw_response(raw, landing_dir=ctx.landing_dir, source_id=source.id, table=source.table,
                                   kind="data", source_updated=result.metadata.updated, run_id=ctx.run_id)
        result.landed.append(landed)
        result.data.append(landed)
    result.unchanged = (not ctx.force and bool(selections) and result.reused == len(selections)
                        and all(ctx.landing_audit.get(landed.path) is True for landed in result.data))
    result.seconds = time.monotonic() - started
    return result
