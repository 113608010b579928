"""A Kolada source: KPI metadata first, then every page of every data call, each landed before it is parsed; and
the parse of those pages into one tidy batch.

Incremental like SCB's tables: when the KPIs' catalogue dates and what is asked for (KPIs, regions, years) are
those of the last load, no data call is made. Kolada has no recorded per-request identity to resume from, so an
interrupted run fetches again (a few calls).
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import date

from tasks.catalogue import KoladaSource
from tasks.context import RunContext
from tasks.fetch.common.errors import ResponseFormatError, SelectionError
from tasks.fetch.common.fetched import AlreadyLoaded, FetchedSource, refuse_oversized_plan
from tasks.fetch.common.observations import DELETED_IN_SOURCE, MISSING_IN_SOURCE, OBSERVATION_COLUMNS
from tasks.fetch.common.region_sets import expand_region_sets
from tasks.fetch.kolada.client import (
    data_paths,
    kolada_id_for_region,
    parse_kolada_values,
    parse_kpi_metadata,
    region_code_from_kolada,
)
from tasks.land.landing import LandedResponse, land_raw_response
from tasks.lazy import LazyModule

np = LazyModule("numpy")
pd = LazyModule("pandas")

SEX_BY_GENDER = {"T": "total", "K": "women", "M": "men"}


def kolada_years(source: KoladaSource, first_year: int | None, last_year: int | None) -> list[int]:
    first = max(source.years.first, first_year or source.years.first)
    last = min(source.years.last or date.today().year, last_year or 9999)
    return list(range(first, last + 1))


def kolada_region_ids(ctx: RunContext, source: KoladaSource) -> list[str]:
    """Kolada keeps its series on today's regions: retired codes (Heby's 1917) are not asked for."""
    current = [r.code for r in ctx.regions.regions if r.is_current]
    codes = expand_region_sets(source.regions, current, ctx.regions.region_sets())
    return [kolada_id_for_region(code) for code in codes]


def last_publication(metadata: dict[str, dict], kpis: list[str], today: date) -> str | None:
    """When Kolada last published the KPIs: the latest of their publication dates that has passed.

    Kolada's catalogue gives, per KPI, the (preliminary) publication dates of the period it publishes next, so a
    date may lie in the future; that is never a stamp of data already fetched. None when no date has passed.
    """
    missing = sorted(set(kpis) - set(metadata))
    if missing:
        raise SelectionError(f"Kolada does not know KPI(s) {missing}")
    dates = [str(metadata[k][field]) for k in kpis for field in ("publication_date", "prel_publication_date")
             if metadata[k].get(field) and str(metadata[k][field]) <= today.isoformat()]
    return max(dates) if dates else None


def kolada_version(metadata: dict[str, dict], kpis: list[str], regions: list[str], years: list[int]) -> str:
    """What identifies the data a run loaded: the KPIs' catalogue dates and period, and what was asked for. Any
    change (a new publication, another region set, other years) makes the next run fetch again."""
    catalogue = {kpi: [metadata[kpi].get(field) for field in ("publication_date", "prel_publication_date",
                                                              "publ_period")] for kpi in kpis}
    identity = json.dumps([catalogue, sorted(kpis), sorted(regions), years], sort_keys=True, default=str)
    return "kolada:" + hashlib.sha256(identity.encode()).hexdigest()[:16]


def plan_kolada_source(ctx: RunContext, source: KoladaSource, loaded: AlreadyLoaded) -> FetchedSource:
    """The KPIs' metadata (one call, landed) and the version it gives the request: the same version and periods
    as loaded is ``unchanged``; otherwise the data pages stay ``pending`` for ``fetch_pending_kolada``."""
    started = time.monotonic()
    result = FetchedSource(source)
    kpis = list(source.indicators)
    raw_metadata = ctx.kolada.kpi_metadata(kpis)
    result.calls += raw_metadata.attempts
    metadata = parse_kpi_metadata(raw_metadata.body)
    result.updated = last_publication(metadata, kpis, date.today())
    result.landed.append(_land(ctx, source, raw_metadata, "metadata", result.updated))
    years = kolada_years(source, ctx.first_year, ctx.last_year)
    result.period_span([str(year) for year in years])
    if not years:
        result.seconds = time.monotonic() - started
        return result
    regions = kolada_region_ids(ctx, source)
    result.planned_calls = len(data_paths(kpis, regions, years))
    refuse_oversized_plan(source.id, result.planned_calls, ctx.settings.kolada.max_calls_per_source)
    result.planned_cells = len(kpis) * len(regions) * len(years)
    result.version = kolada_version(metadata, kpis, regions, years)
    if not ctx.force and loaded.versions.get(source.id) == (result.version, "..".join(result.periods)):
        result.unchanged = True
    else:
        result.pending.append((kpis, regions, years))
    result.seconds = time.monotonic() - started
    return result


def fetch_pending_kolada(ctx: RunContext, result: FetchedSource) -> FetchedSource:
    started = time.monotonic()
    for kpis, regions, years in result.pending:
        _fetch_pages(ctx, result.source, result, kpis, regions, years)
    result.pending = []
    result.seconds += time.monotonic() - started
    return result


def _fetch_pages(ctx: RunContext, source: KoladaSource, result: FetchedSource, kpis: list[str],
                 regions: list[str], years: list[int]) -> None:
    pages = ctx.kolada.data_pages(kpis, regions, years)
    try:
        for raw in pages:
            result.calls += raw.attempts
            landed = _land(ctx, source, raw, "data", result.updated)
            result.landed.append(landed)
            result.data.append(landed)
    except ResponseFormatError:
        pass  # a broken page is landed; parsing it reports the problem and quarantines the batch


def _land(ctx: RunContext, source: KoladaSource, raw, kind: str, updated: str | None) -> LandedResponse:
    return land_raw_response(raw, landing_dir=ctx.landing_dir, source_id=source.id, table=source.table, kind=kind,
                             source_updated=updated, run_id=ctx.run_id)


def parse_kolada_batch(ctx: RunContext, fetched: FetchedSource) -> pd.DataFrame:
    frames = [tidy_kolada_values(parse_kolada_values(landed.body(), f"Kolada page {landed.sha256[:12]}"),
                                 fetched.source, fetched.updated, landed) for landed in fetched.data]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=OBSERVATION_COLUMNS)


def tidy_kolada_values(values: pd.DataFrame, source: KoladaSource, updated: str | None,
                       landed: LandedResponse) -> pd.DataFrame:
    """Kolada's rows as observations. A value Kolada marks deleted is published as missing ('deleted in source'),
    so an earlier load of it does not linger as if it were still valid."""
    if values.empty:
        return pd.DataFrame(columns=OBSERVATION_COLUMNS)
    out = pd.DataFrame(index=values.index)
    out["indicator_id"] = values["kpi"].map({kpi: m.id for kpi, m in source.indicators.items()})
    out["region_code"] = values["kolada_id"].map(region_code_from_kolada)
    out["period"] = values["period"].astype(str)
    out["sex"] = values["gender"].map(SEX_BY_GENDER)
    out["age"] = "total"
    out["breakdown"] = ""
    deleted = values["isdeleted"].astype(bool)
    out["value"] = values["value"].where(~deleted, np.nan)
    out["status"] = values["status"]  # Kolada's own word for the value, as given
    out["null_reason"] = np.where(deleted, DELETED_IN_SOURCE, np.where(out["value"].isna(), MISSING_IN_SOURCE, None))
    out["unit"] = values["kpi"].map({kpi: m.unit for kpi, m in source.indicators.items()})
    out["value_origin"] = "as_published"
    out["source_id"] = source.id
    out["source_table"] = source.table
    out["source_updated"] = updated
    out["fetched_at"] = landed.fetched_at
    out["landing_sha256"] = landed.sha256
    return out[OBSERVATION_COLUMNS].reset_index(drop=True)
