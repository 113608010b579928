"""Fetch one source, whatever its API, and parse what it landed: each API is a plug-in with the same three entry
points, so flows never care:

- plan: the metadata call and what is left to fetch (a FetchedSource, ``unchanged`` when nothing is new);
- fetch the pending calls (-> the FetchedSource with every answer landed);
- parse the landed answers (-> a tidy batch).

A run plans every source first, side by side; only a source with pending calls is fetched (flows/pipeline.py)."""

from __future__ import annotations

from collections.abc import Callable

from tasks.catalogue import SourceConfig
from tasks.context import RunContext
from tasks.fetch.common.fetched import AlreadyLoaded, FetchedSource
from tasks.fetch.kolada.source import fetch_pending_kolada, parse_kolada_batch, plan_kolada_source
from tasks.fetch.pxweb.source import fetch_pending_pxweb, parse_pxweb_batch, plan_pxweb_source
from tasks.lazy import LazyModule

pd = LazyModule("pandas")

Plan = Callable[[RunContext, SourceConfig, AlreadyLoaded], FetchedSource]
FetchPending = Callable[[RunContext, FetchedSource], FetchedSource]
Parse = Callable[[RunContext, FetchedSource], "pd.DataFrame"]  # a string: pandas is lazy (tasks/lazy.py)
PLUGINS: dict[str, tuple[Plan, FetchPending, Parse]] = {
    "pxweb": (plan_pxweb_source, fetch_pending_pxweb, parse_pxweb_batch),
    "kolada": (plan_kolada_source, fetch_pending_kolada, parse_kolada_batch),
}


def plan_source(ctx: RunContext, source: SourceConfig, loaded: AlreadyLoaded | None = None) -> FetchedSource:
    """``loaded``: what the warehouse holds (``already_loaded``); without it, nothing counts as loaded."""
    plan, _, _ = PLUGINS[source.api]
    return plan(ctx, source, loaded or AlreadyLoaded())


def fetch_pending(ctx: RunContext, planned: FetchedSource) -> FetchedSource:
    _, fetch, _ = PLUGINS[planned.source.api]
    return fetch(ctx, planned) if planned.pending else planned


def fetch_source(ctx: RunContext, source: SourceConfig, loaded: AlreadyLoaded | None = None) -> FetchedSource:
    """Plan and fetch one source (what a run does per source, in one call)."""
    return fetch_pending(ctx, plan_source(ctx, source, loaded))
