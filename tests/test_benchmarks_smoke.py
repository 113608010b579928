"""`python -m benchmarks` on its cheap sections: the command runs, and its numbers agree with each other."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.environment import scb_sources

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SMALL_CELLS = 5_000  # splits the long series (TAB1264, TAB960: 10,032 cells each) into several calls
LOAD_ROWS = 6_048  # two copies of the recorded TAB6471 batch (3,024 rows)


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory) -> tuple[str, dict]:
    """One run in a subprocess: the benchmark sets PREFECT_HOME and the OMS_* variables for its own process."""
    json_path = tmp_path_factory.mktemp("bench") / "results.json"
    finished = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "load,calls,split", "--small-cells", str(SMALL_CELLS),
         "--load-rows", str(LOAD_ROWS), "--naive-rows", "300", "--json", str(json_path)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]
    return finished.stdout, json.loads(json_path.read_text(encoding="utf-8"))


def test_calls_are_at_least_the_minimum_for_every_source(bench_run) -> None:
    _, results = bench_run
    rows = results["sections"]["calls"]["rows"]
    sources = scb_sources()
    assert {row["max cells"] for row in rows} == {150_000, SMALL_CELLS}
    for max_cells in (150_000, SMALL_CELLS):
        per_source = [r for r in rows if r["max cells"] == max_cells and r["source"] != "all sources"]
        assert [r["source"] for r in per_source] == [s.id for s in sources]
        for row in per_source:
            assert row["minimum"] == math.ceil(row["cells"] / max_cells)
            assert row["data calls"] >= row["minimum"]
            assert row["metadata"] == 1
        (total,) = [r for r in rows if r["max cells"] == max_cells and r["source"] == "all sources"]
        assert total["data calls"] == sum(r["data calls"] for r in per_source)
    # The recordings fit in one call each under SCB's 150,000 cells; the small limit must split something.
    assert all(r["data calls"] == 1 for r in rows if r["max cells"] == 150_000 and r["source"] != "all sources")
    small_total = next(r for r in rows if r["max cells"] == SMALL_CELLS and r["source"] == "all sources")
    assert small_total["data calls"] > len(sources)


def test_figures_match_their_rows_and_the_markdown_table(bench_run) -> None:
    stdout, results = bench_run
    assert list(results["sections"]) == ["split", "calls", "load"]  # run in canonical order, whatever --only's order
    for figure in results["sections"]["calls"]["figures"]:
        assert figure["measured"] >= figure["baseline"] > 0
        assert figure["ratio"] == pytest.approx(figure["measured"] / figure["baseline"], rel=1e-3)
    (load,) = results["sections"]["load"]["figures"]
    merge, _, naive, extrapolated = results["sections"]["load"]["rows"]
    assert merge["rows"] == extrapolated["rows"] == LOAD_ROWS and 0 < naive["rows"] <= 300
    assert load["measured"] == pytest.approx(merge["rows/s"], rel=0.01)
    assert load["ratio"] > 1  # a set-based MERGE beats single-row INSERTs
    assert "| Benchmark | Measured | Baseline | Ratio (measured ÷ baseline) |" in stdout
    assert stdout.count("| Data calls, ") == 2 and "| Load throughput, MERGE of 6,048 rows |" in stdout
    assert f"{results['machine']['cpus']} CPUs" in stdout


def test_split_planner_rows_sit_between_the_minimum_and_one_variable_cuts(bench_run) -> None:
    _, results = bench_run
    rows = results["sections"]["split"]["rows"]
    assert {r["limit"] for r in rows} == {10, 50, 100, 500, 2_000, 150_000}
    for row in rows:
        assert row["minimum"] <= row["planner"] <= row["one variable"]
        assert row["planner"] <= 1.05 * row["minimum"]
    # The commuting matrix is where one variable's whole values cannot fill the calls.
    (commuting,) = [r for r in rows if r["shapes"].startswith("commuting")]
    assert commuting["planner"] < commuting["one variable"]
