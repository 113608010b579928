"""The validate stage's first step: the landed answers of a source, decoded into one tidy batch by its API's
parser (tasks/fetch/<api>/source.py). A body that does not decode is this source's problem alone: the caller
quarantines it."""

from __future__ import annotations

from tasks.context import RunContext
from tasks.fetch.common.fetched import FetchedSource
from tasks.fetch.source_batch import PLUGINS
from tasks.lazy import LazyModule

pd = LazyModule("pandas")


def decode_landed(ctx: RunContext, fetched: FetchedSource) -> pd.DataFrame:
    _, _, parse = PLUGINS[fetched.source.api]
    return parse(ctx, fetched)
