"""The `oms` command as an operator meets it: config mistakes are one line and exit 2, failed sources exit 1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from benchmarks.nightly_process import RUN_LINE

PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture()
def config_dir(tmp_path: Path, monkeypatch) -> Path:
    """A copy of the project's config/ that a test may break; the pipeline reads it through OMS_CONFIG_DIR."""
    copy = tmp_path / "config"
    shutil.copytree(PROJECT_CONFIG, copy)
    monkeypatch.setenv("OMS_CONFIG_DIR", str(copy))
    return copy


def _one_source(config_dir: Path, **changes) -> None:
    """Keep only population_county_month, with some fields changed."""
    document = yaml.safe_load((config_dir / "sources" / "population.yaml").read_text(encoding="utf-8"))
    source = next(s for s in document["sources"] if s["id"] == "population_county_month")
    for path in config_dir.joinpath("sources").glob("*.yaml"):
        path.unlink()
    for key, value in changes.items():
        if key == "selection":
            source["selection"].update(value)
        else:
            source[key] = value
    (config_dir / "sources" / "one.yaml").write_text(yaml.safe_dump({"sources": [source]}, allow_unicode=True),
                                                     encoding="utf-8")


@dataclass(frozen=True)
class Result:
    exit_code: int
    output: str


def _invoke(*args: str) -> Result:
    """`oms …` in its own process, as an operator or cron runs it (the test's Prefect API, if one is running)."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value() or ""}
    done = subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=PROJECT_CONFIG.parent, env=env,
                          capture_output=True, text=True, timeout=300)
    return Result(done.returncode, done.stdout + done.stderr)


def _error_line(result: Result) -> str:
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


def test_broken_yaml_is_one_line_with_file_and_position(config_dir) -> None:
    path = config_dir / "sources" / "population.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    api: pxweb", "    api: [pxweb", 1), encoding="utf-8")
    result = _invoke("run", "--replay")
    assert result.exit_code == 2
    line = _error_line(result)
    assert line.startswith(f"error: {path}: line ") and "is not valid YAML" in line


def test_a_misspelt_field_names_the_source_and_the_field(config_dir) -> None:
    _one_source(config_dir, tabel="TAB6471")
    result = _invoke("backfill", "--from", "2020", "--to", "2026")
    assert result.exit_code == 2
    assert _error_line(result) == (f"error: {config_dir / 'sources' / 'one.yaml'}: source population_county_month: "
                                   "tabel: Extra inputs are not permitted")


def test_an_unknown_source_lists_the_known_ones(config_dir) -> None:
    result = _invoke("run", "--source", "populaton")
    assert result.exit_code == 2
    line = _error_line(result)
    assert line.startswith("error: unknown source(s) ['populaton']; did you mean 'population_county_month'? "
                           "(known: ")  # the closest id first, then all of them
    assert "grp_municipality_kolada" in line


def test_backfill_with_a_reversed_range_is_refused(config_dir) -> None:
    result = _invoke("backfill", "--from", "2024", "--to", "2020")
    assert (result.exit_code, _error_line(result)) == (2, "error: --from 2024 is after --to 2020")


@pytest.mark.parametrize(("changes", "message"), [
    ({"table": "TAB0000"}, "population_county_month failed: SourceHTTPError: GET "),
    ({"selection": {"Kon": ["9"]}}, "population_county_month failed: SelectionError: value '9' does not exist "
                                    "for variable 'Kon'"),
], ids=["unknown-table-id", "value-not-in-table"])
def test_a_source_the_api_cannot_answer_fails_the_run_with_one_line(config_dir, pipeline_env, changes,
                                                                     message) -> None:
    _one_source(config_dir, **changes)
    result = _invoke("run")
    assert result.exit_code == 1
    line = _error_line(result)
    assert line.startswith("error: run finished with failures (the rest was published): ")
    assert message in line
    if "table" in changes:
        assert line.endswith("failed with HTTP 404: Table TAB0000 does not exist")


def test_status_lists_the_last_attempts_with_each_source(config_dir, pipeline_env) -> None:
    assert _error_line(_invoke("status")).startswith("error: no run recorded yet in ")
    _one_source(config_dir)
    run = _invoke("run")
    assert run.exit_code == 0
    # The closing line the `process` benchmark reads (benchmarks/nightly_process.py): sources, API calls, seconds.
    assert RUN_LINE.search(run.output).group(1, 2) == ("1", "2")
    result = _invoke("status")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert " completed, exit 0  oms run (run " in lines[0]
    assert lines[1].split()[:3] == ["population_county_month", "loaded", "calls=2"]
    assert "fetched=1008 rejected=0 loaded=1008 published=1008" in lines[1]


def test_a_live_only_source_offline_is_refused_with_the_reason(config_dir) -> None:
    result = _invoke("run", "--replay", "--source", "dwelling_stock_municipality")
    assert result.exit_code == 2
    assert _error_line(result) == ("error: no source to run: dwelling_stock_municipality is live only (nothing was "
                                   "recorded to replay); run it without --replay")


def test_sources_say_where_each_can_run(config_dir) -> None:
    lines = {line.split()[0]: line for line in _invoke("sources").output.splitlines()}
    assert "(live only)" in lines["dwelling_stock_municipality"]
    assert "(replay only)" in lines["births_2002_2003"]
    assert "only)" not in lines["population_county_month"]


def test_a_warehouse_folder_that_cannot_be_written_is_one_line(config_dir, tmp_path, monkeypatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("OMS_WAREHOUSE", str(blocked / "oms.duckdb"))
    result = _invoke("run", "--replay")
    assert result.exit_code == 2
    assert _error_line(result).startswith(f"error: cannot write to {blocked} ")
