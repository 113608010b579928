"""Fetch one source, whatever its API, and parse what it landed: each API is a plug-in with the same two entry
points (fetch -> FetchedSource with landed answers; parse landed answers -> tidy batch), so flows never care."""

from __future__ import annotations

from collections.abc import Callable

from tasks.catalogue import SourceConfig
from tasks.context import RunContext
from tasks.fetch.common.fetched import AlreadyLoaded, FetchedSource
from tasks.fetch.kolada.source import fetch_kolada_source, parse_kolada_batch
from tasks.fetch.pxweb.source import fetch_pxweb_source, parse_pxweb_batch
from tasks.lazy import LazyModule

pd = LazyModule("pandas")

Fetch = Callable[[RunContext, SourceConfig, AlreadyLoaded], FetchedSource]
Parse = Callable[[RunContext, FetchedSource], "pd.DataFrame"]  # a string: pandas is lazy (tasks/lazy.py)
PLUGINS: dict[str, tuple[Fetch, Parse]] = {
    "pxweb": (fetch_pxweb_source, parse_pxweb_batch),
    "kolada": (fetch_kolada_source, parse_kolada_batch),
}


def fetch_source(ctx: RunContext, source: SourceConfig, loaded: AlreadyLoaded | None = None) -> FetchedSource:
    """``loaded``: what the warehouse holds (``already_loaded``); without it, nothing counts as loaded."""
    fetch, _ = PLUGINS[source.api]
    return fetch(ctx, source, loaded or AlreadyLoaded())

