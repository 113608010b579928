"""An SCB (PxWebApi 2) source: metadata first, then every planned data call, each answer landed before it is
parsed; and the parse of those landed json-stat2 answers into one tidy batch."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from tasks.catalogue import PxWebSource
from tasks.context import RunContext
from tasks.fetch.common.fetched import AlreadyLoaded, FetchedSource, refuse_oversized_plan
from tasks.fetch.common.http import encode_json_body
from tasks.fetch.common.observations import Lineage
from tasks.fetch.pxweb.client import parse_table_metadata, plan_selections
from tasks.fetch.pxweb.jsonstat import parse_jsonstat_dataset
from tasks.fetch.pxweb.tidy import tidy_batch
from tasks.fetch.transforms import TRANSFORMS
from tasks.land.landing import LandedResponse, find_landed, is_rejected, land_raw_response

if TYPE_CHECKING:  # annotations only: pandas is imported where a batch is parsed (tasks/lazy.py)
    import pandas as pd

_UPDATED = re.compile(rb'"updated"\s*:\s*"([^"]{1,40})"')


def peek_updated(body: bytes) -> str | None:
    """The table's updated stamp, read without parsing (landing happens before parsing)."""
    match = _UPDATED.search(body[:20000])
    return match.group(1).decode() if match else None


def _reusable(landed: LandedResponse | None, landing_audit: dict[str, bool]) -> bool:
    """Reuse a landed answer unless it failed before: a body that does not parse (cut off) or a batch that was
    rejected is fetched again. Answers from a run that never reached the load (interrupted) are reused.

    An answer a finished run loaded is not parsed again (its checksum was checked by ``find_landed``): on a
    no-change night that parse was most of the fetch stage's CPU."""
    if landed is None or landed.status != 200 or not landing_audit.get(landed.path, True) or is_rejected(landed):
        return False
    if landing_audit.get(landed.path) is True:
        return True
    try:
        parse_jsonstat_dataset(landed.body())
    except Exception:  # noqa: BLE001 - anything that does not decode cleanly is fetched again
        return False
    return True


def plan_pxweb_source(ctx: RunContext, source: PxWebSource, loaded: AlreadyLoaded) -> FetchedSource:
    """The table's metadata (one call, landed), the planned data calls, and which of them an answer landed before
    already covers; the rest stay ``pending`` for ``fetch_pending_pxweb``. A table whose every call is covered by
    answers in the warehouse is ``unchanged``: a no-change night ends here."""
    started = time.monotonic()
    result = FetchedSource(source)
    client = ctx.pxweb
    limits = client.limits()
    raw_metadata = client.metadata(source.table, source.codelists, source.language)
    result.calls += raw_metadata.attempts
    result.landed.append(land_raw_response(raw_metadata, landing_dir=ctx.landing_dir, source_id=source.id,
                                           table=source.table, kind="metadata",
                                           source_updated=peek_updated(raw_metadata.body), run_id=ctx.run_id))
    metadata = parse_table_metadata(source.table, raw_metadata.body)
    result.updated = result.version = metadata.updated
    selections = plan_selections(source, metadata, ctx.regions.region_sets(), limits.max_cells,
                                 ctx.first_year, ctx.last_year, ctx.on_replay)
    result.planned_calls = len(selections)
    refuse_oversized_plan(source.id, result.planned_calls, ctx.settings.scb.max_calls_per_source)
    result.planned_cells = sum(s.cells for s in selections)
    result.period_span(list({p for s in selections for p in s.values_of(source.columns.period)}))
    for position, selection in enumerate(selections):
        body = encode_json_body(selection.as_api())
        previous = None if ctx.force else find_landed(ctx.landing_dir, source.id, source.table, "data", body,
                                                      metadata.updated)
        if _reusable(previous, loaded.landings):
            result.data.append(previous)
            result.reused += 1
        else:
            result.pending.append((position, selection))
    result.unchanged = (not ctx.force and bool(selections) and not result.pending
                        and all(loaded.landings.get(landed.path) is True for landed in result.data))
    result.seconds = time.monotonic() - started
    return result


def fetch_pending_pxweb(ctx: RunContext, result: FetchedSource) -> FetchedSource:
    """The planned calls no landed answer covers, each answer landed before it is parsed; ``data`` stays in the
    plan's order."""
    started = time.monotonic()
    source, updated = result.source, result.updated
    for position, selection in result.pending:
        raw = ctx.pxweb.fetch(source.table, selection, source.language)
        result.calls += raw.attempts
        landed = land_raw_response(raw, landing_dir=ctx.landing_dir, source_id=source.id, table=source.table,
                                   kind="data", source_updated=updated, run_id=ctx.run_id)
        result.landed.append(landed)
        result.data.insert(position, landed)  # positions ascend, so every earlier slot is already filled
    result.pending = []
    result.seconds += time.monotonic() - started
    return result


def parse_pxweb_batch(ctx: RunContext, fetched: FetchedSource) -> pd.DataFrame:
    def parsed(landed: LandedResponse):
        dataset = parse_jsonstat_dataset(landed.body(), f"{fetched.source.table} response {landed.sha256[:12]}")
        return dataset, Lineage(fetched.updated or dataset.updated, landed.fetched_at, landed.sha256)

    batch = tidy_batch((parsed(landed) for landed in fetched.data), fetched.source, ctx.code_maps)
    if fetched.source.transform and not batch.empty:
        batch = TRANSFORMS[fetched.source.transform](batch, ctx.units)
    return batch
