"""The small named transforms a source may ask for in its YAML (`transform: name`), applied to its tidy batch.

Each one derives indicators from others of the same batch, with lineage copied from the rows it used and
value_origin 'derived'; a missing input makes a missing output, never a smaller number. The registry says, in one
place, what each transform adds and where its function lives; reading it imports no pandas (the configuration is
checked against it before any run), the function is imported when a batch is transformed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Transform:
    outputs: tuple[str, ...]  # the indicators it adds (the catalogue lists them; main.indicator names their source)
    function: str  # "module:function"

    def __call__(self, batch: pd.DataFrame, units: dict[str, str]) -> pd.DataFrame:
        module, name = self.function.split(":")
        return getattr(importlib.import_module(module), name)(batch, units)


TRANSFORMS: dict[str, Transform] = {
    "employed_residents_and_out_commuter_share": Transform(
        ("employed_residents", "out_commuter_share"),
        "tasks.fetch.transforms.commuting:employed_residents_and_out_commuter_share"),
}
