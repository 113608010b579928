"""A real published warehouse built from SCB's recorded TAB6471 batch (the 7 counties, 2026M01-M04)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tasks.config import load_code_maps, load_regions, load_sources
from tasks.fetch.jsonstat import parse_jsonstat_dataset
from tasks.fetch.tidy import Lineage, tidy_batch
from tasks.load.merge import merge_observations
from tasks.load.warehouse import building_copy
from tasks.publish.publish import publish

BuildWarehouse = Callable[[Path, list[str] | None], Path]


@pytest.fixture(scope="session")
def county_batch(tab6471_data: bytes) -> pd.DataFrame:
    source = next(s for s in load_sources() if s.id == "population_county_month")
    dataset = parse_jsonstat_dataset(tab6471_data)
    frame = tidy_batch([(dataset, Lineage(dataset.updated, "2026-11-25T03:00Z", "ab"))], source, load_code_maps())
    return frame[frame["region_code"].isin(load_regions().county_codes)].reset_index(drop=True)


@pytest.fixture(scope="session")
def build_warehouse(county_batch: pd.DataFrame) -> BuildWarehouse:
    """Build (or rebuild) a published warehouse at ``path`` holding the given months (default: all four)."""
    def build(path: Path, months: list[str] | None = None) -> Path:
        rows = county_batch if months is None else county_batch[county_batch["period"].isin(months)]
        with building_copy(path) as con:
            con.execute("DELETE FROM core.observation")  # each build holds exactly the months asked for
            merge_observations(con, rows, "run-test")
            publish(con, load_regions())
        return path

    return build


@pytest.fixture(scope="module")
def published_warehouse(tmp_path_factory, build_warehouse: BuildWarehouse) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("warehouse") / "oms.duckdb", None)
