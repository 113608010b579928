"""A broken catalogue is one line naming the file and the field, before anything is fetched; and what the types
allow is checked strictly (an unquoted region code silently removed a municipality and its county)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tasks.config import ConfigError, load_code_maps, load_settings, load_sources
from tasks.regions import load_regions

PROJECT_CONFIG = Path(__file__).resolve().parents[1] / "config"


@pytest.fixture()
def config(tmp_path: Path, monkeypatch) -> Path:
    copy = tmp_path / "config"
    shutil.copytree(PROJECT_CONFIG, copy)
    monkeypatch.setenv("OMS_CONFIG_DIR", str(copy))
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _refused(load, match: str) -> str:
    with pytest.raises(ConfigError, match=match) as caught:
        load()
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_an_unquoted_region_code_is_refused_not_read_as_another_code(config) -> None:
    _edit(config / "regions.yaml", 'code: "0114"', "code: 114")
    line = _refused(load_regions, r"regions\.yaml: regions: municipalities\.0\.code: Input should be a valid string")
    assert line.startswith(str(config / "regions.yaml"))


@pytest.mark.parametrize(("old", "new", "match"), [
    ('{code: "0115", name: Vallentuna kommun', '{code: "0114", name: Vallentuna kommun',
     r"region code\(s\) \['0114'\] are listed twice"),
    ('{code: "0115", name: Vallentuna kommun, short_name: Vallentuna, county: "01"}',
     '{code: "0115", name: Vallentuna kommun, short_name: Vallentuna, county: "03"}',
     "municipality 0115 .* does not belong to county 03"),
    ("effective: 2003-01-01, type: split", "effective: 2003-01-01, type: merge", r"changes\.6\.type: Input should be"),
])
def test_region_history_mistakes_are_named(config, old, new, match) -> None:
    _edit(config / "regions.yaml", old, new)
    _refused(load_regions, match)


@pytest.mark.parametrize("content", ["- sex\n- age\n", "just words\n", "sex:\n  1: men\n"],
                         ids=["a-list", "a-scalar", "an-unquoted-code"])
def test_code_vocabularies_must_be_mappings_of_quoted_codes(config, content) -> None:
    (config / "codes.yaml").write_text(content, encoding="utf-8")
    _refused(load_code_maps, r"codes\.yaml: code vocabulary")


def test_a_binary_settings_file_is_named(config) -> None:
    (config / "settings.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    _refused(load_settings, r"settings\.yaml: is not UTF-8 text")


@pytest.mark.parametrize(("old", "new", "match"), [
    ("  timeout_seconds: 60\n  max_attempts: 6  ", "  timeout_seconds: -1\n  max_attempts: 6  ",
     r"scb\.timeout_seconds: Input should be greater than 0"),
    ("  max_attempts: 6            #", "  max_attempts: 0            #",
     r"scb\.max_attempts: Input should be greater than or equal to 1"),
    ("scb:\n", "scb:\n  language: sv\n", r"key 'language' appears twice"),
])
def test_settings_out_of_range_or_written_twice_are_refused(config, old, new, match) -> None:
    _edit(config / "settings.yaml", old, new)
    _refused(load_settings, match)


def test_a_writer_wait_that_is_not_a_number_is_one_line(config, monkeypatch) -> None:
    monkeypatch.setenv("OMS_WRITER_WAIT_SECONDS", "abc")
    _refused(load_settings, r"OMS_WRITER_WAIT_SECONDS='abc' is not a number of seconds")


def _source(config: Path, file: str, source_id: str, **changes) -> None:
    path = config / "sources" / file
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = next(s for s in document["sources"] if s["id"] == source_id)
    entry.update(changes)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(("file", "source_id", "changes", "match"), [
    ("population.yaml", "population_county_month", {"table": "../../config"}, r"table: String should match"),
    ("population.yaml", "population_county_month", {"expectations": "populaton"},
     r"expectations 'populaton' is not a suite in expectations/ \(known: amounts, commuting"),
    ("kolada.yaml", "grp_municipality_kolada", {"years": {"from": 1000, "to": 9999}},
     r"years\.from: Input should be greater than or equal to 1950"),
    ("kolada.yaml", "grp_municipality_kolada", {"years": {"from": 2020, "to": 2010}},
     r"from 2020 is after to 2010"),
    # joined into Kolada's URL paths: anything but a KPI id could reach another path
    ("kolada.yaml", "grp_municipality_kolada", {"indicators": {"N03702/../x": "grp_per_inhabitant"}},
     r"\['N03702/\.\./x'\] are not Kolada KPI ids \(a letter and five digits"),
])
def test_source_fields_that_reach_paths_urls_or_call_counts_are_checked(config, file, source_id, changes,
                                                                        match) -> None:
    _source(config, file, source_id, **changes)
    _refused(load_sources, match)


def test_reading_the_configuration_needs_no_pandas_and_every_transform_resolves() -> None:
    """The CLI checks config before anything heavy loads; the transform registry names its function and outputs in
    one place, and both must be real."""
    import subprocess
    import sys

    probe = "import sys, tasks.config; tasks.config.load_sources(); print(sorted(m for m in ('pandas', 'numpy') " \
            "if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    import importlib

    from tasks.config import load_catalogue
    from tasks.fetch.transforms import TRANSFORMS

    _, indicators = load_catalogue()
    for transform in TRANSFORMS.values():
        module, name = transform.function.split(":")
        assert callable(getattr(importlib.import_module(module), name))
        assert set(transform.outputs) <= set(indicators)


def test_a_configuration_mistake_is_said_before_prefect_is_imported() -> None:
    """`oms run` and `oms backfill` check the configuration first: a mistake is one line in well under a second,
    not after the seconds Prefect takes to import."""
    import subprocess
    import sys

    probe = ("import sys; from typer.testing import CliRunner; from flows.cli import app\n"
             "for args in (['run', '--source', 'nope'], ['backfill', '--from', '2020', '--to', '2021', '--source', "
             "'nope']):\n"
             "    result = CliRunner().invoke(app, args)\n"
             "    print(result.exit_code, 'prefect' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["2 False", "2 False"]
