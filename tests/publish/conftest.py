"""A real published warehouse built from SCB's recorded TAB6471 batch (the 7 counties, 2026M01-M04)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tasks.load.merge import merge_observations
from tasks.load.warehouse import building_copy
from tasks.publish.publish import publish, reference_rows_from_config

BuildWarehouse = Callable[[Path, list[str] | None], Path]


@pytest.fixture(scope="session")
def build_warehouse(county_batch: pd.DataFrame) -> BuildWarehouse:
    """Build (or rebuild) a published warehouse at ``path`` holding the given months (default: all four)."""
    def build(path: Path, months: list[str] | None = None) -> Path:
        rows = county_batch if months is None else county_batch[county_batch["period"].isin(months)]
        with building_copy(path) as con:
            con.execute("DELETE FROM core.observation")  # each build holds exactly the months asked for
            merge_observations(con, rows, "run-test")
            publish(con, reference_rows_from_config())
        return path

    return build


@pytest.fixture(scope="module")
def published_warehouse(tmp_path_factory, build_warehouse: BuildWarehouse) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("warehouse") / "oms.duckdb", None)
