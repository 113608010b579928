"""The validate stage's first step: the landed answers of a source, decoded into one tidy batch by its API's
parser (tasks/fetch/<api>/source.py). A body that does not decode is this source's problem alone: the caller
quarantines it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tasks.context import RunContext
from tasks.fetch.common.fetched import FetchedSource
from tasks.fetch.source_batch import PLUGINS

if TYPE_CHECKING:  # annotations only: pandas is imported where a batch is parsed (tasks/lazy.py)
    import pandas as pd


def decode_landed(ctx: RunContext, fetched: FetchedSource) -> pd.DataFrame:
    return PLUGINS[fetched.source.api].parse(ctx, fetched)
