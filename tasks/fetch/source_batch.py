"""Fetch one source, whatever its API, and parse what it landed: each API is a plug-in with the same three entry
points, so flows never care:

- plan: the metadata call and what is left to fetch (a FetchedSource, ``unchanged`` when nothing is new);
- fetch the pending calls (-> the FetchedSource with every answer landed);
- parse the landed answers (-> a tidy batch).

A run plans every source first, side by side; only a source with pending calls is fetched (flows/pipeline.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from tasks.catalogue import SourceConfig
from tasks.context import RunContext
from tasks.fetch.common.fetched import AlreadyLoaded, FetchedSource
from tasks.fetch.kolada.source import fetch_pending_kolada, parse_kolada_batch, plan_kolada_source
from tasks.fetch.pxweb.source import fetch_pending_pxweb, parse_pxweb_batch, plan_pxweb_source

if TYPE_CHECKING:  # annotations only: pandas is imported where a batch is parsed (tasks/lazy.py)
    import pandas as pd

class Plugin(NamedTuple):
    plan: Callable[[RunContext, SourceConfig, AlreadyLoaded], FetchedSource]
    fetch_pending: Callable[[RunContext, FetchedSource], FetchedSource]
    parse: Callable[[RunContext, FetchedSource], pd.DataFrame]


PLUGINS: dict[str, Plugin] = {
    "pxweb": Plugin(plan_pxweb_source, fetch_pending_pxweb, parse_pxweb_batch),
    "kolada": Plugin(plan_kolada_source, fetch_pending_kolada, parse_kolada_batch),
}


def plan_source(ctx: RunContext, source: SourceConfig, loaded: AlreadyLoaded | None = None) -> FetchedSource:
    """``loaded``: what the warehouse holds (``already_loaded``); without it, nothing counts as loaded."""
    return PLUGINS[source.api].plan(ctx, source, loaded or AlreadyLoaded())


def fetch_pending(ctx: RunContext, planned: FetchedSource) -> FetchedSource:
    return PLUGINS[planned.source.api].fetch_pending(ctx, planned) if planned.pending else planned


def fetch_source(ctx: RunContext, source: SourceConfig, loaded: AlreadyLoaded | None = None) -> FetchedSource:
    """Plan and fetch one source (what a run does per source, in one call)."""
    return fetch_pending(ctx, plan_source(ctx, source, loaded))
