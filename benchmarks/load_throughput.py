"""Section `load`: the load stage's MERGE into a building copy vs a naive row-by-row INSERT of the same rows.

The batch is SCB's recorded TAB6471 answer (21 counties × 11 age groups × 3 sexes × 2026M01–M04, plus the derived
all-ages totals) made tidy by the pipeline's own code, then repeated under synthetic earlier periods to reach a
realistic nightly size. The values are real; only the period labels of the copies are invented.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from benchmarks.environment import shared_dir
from benchmarks.harness import Bench
from benchmarks.report import Figure, SectionResult
from tasks.config import load_code_maps, load_sources
from tasks.fetch.common.observations import Lineage
from tasks.fetch.pxweb.jsonstat import parse_jsonstat_dataset
from tasks.fetch.pxweb.tidy import tidy_batch
from tasks.load.merge import merge_observations
from tasks.load.warehouse import building_copy

RECORDED_YEAR = "2026"
NAIVE_CHUNK_ROWS = 250
NAIVE_TIME_CAP_SECONDS = 5.0  # the naive baseline runs ~1,000 rows/s: cap it so slow machines stay quick


@dataclass(frozen=True)
class LoadTiming:
    method: str
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


def recorded_tab6471_batch() -> pd.DataFrame:
    """The tidy batch the pipeline makes of the recorded TAB6471 answer (all 21 counties in the recording)."""
    source = next(s for s in load_sources() if s.table == "TAB6471")
    dataset = parse_jsonstat_dataset((shared_dir() / "scb" / "v2" / "TAB6471" / "data.json").read_bytes())
    return tidy_batch([(dataset, Lineage(dataset.updated, "2026-11-25T03:00:00Z", "benchmark"))], source,
                      load_code_maps())


def replicated_over_synthetic_years(batch: pd.DataFrame, rows: int) -> tuple[pd.DataFrame, int]:
    """Copies of the batch with the year of every period moved back (2025, 2024, …) until ``rows`` rows."""
    copies = max(1, math.ceil(rows / len(batch)))
    frames = [batch.assign(period=batch["period"].str.replace(RECORDED_YEAR, str(int(RECORDED_YEAR) - 1 - n), n=1))
              for n in range(copies)]
    return pd.concat(frames, ignore_index=True).head(rows), copies


def timed_merge(warehouse: Path, batch: pd.DataFrame, run_id: str, method: str) -> tuple[LoadTiming, float]:
    """The load stage's MERGE alone, and the whole building copy (copy, schema, MERGE, CHECKPOINT, swap)."""
    opened = time.perf_counter()
    with building_copy(warehouse) as con:
        started = time.perf_counter()
        merge_observations(con, batch, run_id)
        merged = time.perf_counter() - started
    return LoadTiming(method, len(batch), merged), time.perf_counter() - opened


def as_insert_rows(batch: pd.DataFrame, run_id: str) -> tuple[list[str], list[tuple]]:
    frame = batch.assign(loaded_run_id=run_id)
    plain = frame.astype(object).where(frame.notna(), None)  # NaN/NA as NULL, as MERGE stores them
    return list(frame.columns), list(plain.itertuples(index=False, name=None))


def timed_row_by_row_insert(warehouse: Path, batch: pd.DataFrame, limit_rows: int) -> LoadTiming:
    """executemany of single-row INSERTs into the same core.observation table, until ``limit_rows`` or the cap."""
    columns, rows = as_insert_rows(batch.head(limit_rows), "naive")
    sql = f"INSERT INTO core.observation ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    with building_copy(warehouse) as con:
        done, started = 0, time.perf_counter()
        for start in range(0, len(rows), NAIVE_CHUNK_ROWS):
            con.executemany(sql, rows[start: start + NAIVE_CHUNK_ROWS])
            done += len(rows[start: start + NAIVE_CHUNK_ROWS])
            if time.perf_counter() - started > NAIVE_TIME_CAP_SECONDS:
                break
        elapsed = time.perf_counter() - started
        check_row_count(con, done)
    return LoadTiming("executemany INSERT, row by row (subset)", done, elapsed)


def check_row_count(con: duckdb.DuckDBPyConnection, expected: int) -> None:
    (count,) = con.execute("SELECT count(*) FROM core.observation").fetchone()
    if count != expected:
        raise RuntimeError(f"naive baseline wrote {count} rows, expected {expected}")


def run_load_section(bench: Bench) -> SectionResult:
    recorded = recorded_tab6471_batch()
    batch, copies = replicated_over_synthetic_years(recorded, bench.options.load_rows)
    workdir = bench.fresh_dir("load")
    merge, building_seconds = timed_merge(workdir / "merge.duckdb", batch, "run-1",
                                          "MERGE into building copy (empty table)")
    remerge, _ = timed_merge(workdir / "merge.duckdb", batch, "run-2", "MERGE again, same rows (nothing changed)")
    naive = timed_row_by_row_insert(workdir / "naive.duckdb", batch, bench.options.naive_rows)
    extrapolated = LoadTiming("executemany INSERT, extrapolated to the batch", len(batch),
                              len(batch) / naive.rows_per_second)
    rows = [[t.method, t.rows, round(t.seconds, 3), round(t.rows_per_second)]
            for t in (merge, remerge, naive, extrapolated)]
    figures = [Figure(f"Load throughput, MERGE of {len(batch):,} rows", "rows/s", merge.rows_per_second,
                      naive.rows_per_second, f"row-by-row INSERT, measured on {naive.rows:,} rows")]
    notes = [f"batch: SCB's recorded TAB6471 answer made tidy ({len(recorded):,} rows, {RECORDED_YEAR}M01–M04), "
             f"repeated {copies}× with SYNTHETIC periods (years {int(RECORDED_YEAR) - copies}–"
             f"{int(RECORDED_YEAR) - 1}, same values) to {len(batch):,} rows",
             f"row-by-row baseline measured on a subset ({naive.rows:,} rows, cap {NAIVE_TIME_CAP_SECONDS:g} s) and "
             f"extrapolated: {extrapolated.seconds:.0f} s for the whole batch; same schema, primary key included",
             f"the whole building copy around the first MERGE (copy, schema, CHECKPOINT, swap): "
             f"{building_seconds:.2f} s"]
    return SectionResult("load", "DuckDB load: MERGE (load stage) vs naive row-by-row INSERT",
                         ["method", "rows", "seconds", "rows/s"], rows, figures, notes)
