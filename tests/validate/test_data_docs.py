"""Great Expectations' Data Docs for a run's validations: written by GX itself into the monitoring site, and shared
by runs in several processes (the nightly and a backfill) without one making the other's suites stale."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.config import load_code_maps, load_sources
from tasks.fetch.common.observations import Lineage
from tasks.fetch.pxweb.jsonstat import parse_jsonstat_dataset
from tasks.fetch.pxweb.tidy import tidy_batch
from tasks.regions import load_regions
from tasks.validate.batch import validate_batch
from tasks.validate.suites import update_data_docs

PROJECT = Path(__file__).resolve().parents[2]
OTHER_PROCESS = """
import sys
from pathlib import Path
from tasks.config import load_code_maps, load_sources
from tasks.fetch.pxweb.jsonstat import parse_jsonstat_dataset
from tasks.fetch.pxweb.tidy import Lineage, tidy_batch
from tasks.regions import load_regions
from tasks.validate.batch import validate_batch
from tasks.validate.suites import update_data_docs
source = next(s for s in load_sources() if s.id == "population_county_month")
dataset = parse_jsonstat_dataset(Path(sys.argv[1]).read_bytes())
batch = tidy_batch([(dataset, Lineage(dataset.updated, "t", "x"))], source, load_code_maps())
regions = load_regions()
verdict = validate_batch(batch[batch["region_code"].isin(regions.county_codes)], source, regions)
update_data_docs(Path(sys.argv[2]), [o.gx_result for o in verdict.outcomes])
"""


@pytest.fixture()
def county_batch_and_source(tab6471_data):
    source = next(s for s in load_sources() if s.id == "population_county_month")
    dataset = parse_jsonstat_dataset(tab6471_data)
    batch = tidy_batch([(dataset, Lineage(dataset.updated, "t", "x"))], source, load_code_maps())
    return batch[batch["region_code"].isin(load_regions().county_codes)].reset_index(drop=True), source


def _validated_pages(data_dir: Path) -> list[str]:
    index = (data_dir / "site" / "data-docs" / "index.html").read_text(encoding="utf-8")
    return sorted(set(re.findall(r"'_table_row_link_path': '(validations/[^']+\.html)'", index)))


def test_runs_in_two_processes_share_the_docs_without_stale_suites(tmp_path, shared_dir,
                                                                   county_batch_and_source) -> None:
    batch, source = county_batch_and_source
    first = validate_batch(batch, source, load_regions())
    assert first.passed
    assert update_data_docs(tmp_path, [o.gx_result for o in first.outcomes]) == \
        tmp_path / "site" / "data-docs" / "index.html"
    subprocess.run([sys.executable, "-c", OTHER_PROCESS, str(shared_dir / "scb/v2/TAB6471/data.json"),
                    str(tmp_path)], cwd=PROJECT, check=True, capture_output=True, timeout=300)
    broken = batch.copy()
    broken.loc[0, "value"] = -5  # a negative population: the suite must fail, and GX's page must say so
    second = validate_batch(broken, source, load_regions())  # this process again, after the other one wrote
    assert not second.passed
    update_data_docs(tmp_path, [o.gx_result for o in second.outcomes])
    pages = _validated_pages(tmp_path)
    assert len(pages) == len(first.outcomes) * 3  # every validation of both processes, none lost
    stored = list((tmp_path / "gx").rglob("validations/**/*.json"))
    assert len(stored) == len(pages)


def test_no_results_write_no_docs(tmp_path) -> None:
    assert update_data_docs(tmp_path, []) is None
    assert not (tmp_path / "site").exists()


def test_gx_keeps_the_newest_results_so_a_docs_build_does_not_grow_with_the_history(
        tmp_path, county_batch_and_source) -> None:
    """GX's docs build walks every stored result: unbounded, each run's docs would cost more than the last."""
    batch, source = county_batch_and_source
    runs = [validate_batch(batch, source, load_regions()) for _ in range(3)]
    per_run = len(runs[0].outcomes)
    for verdict in runs:
        update_data_docs(tmp_path, [o.gx_result for o in verdict.outcomes], keep_results=per_run * 2)
    stored = sorted(path.parent.name for path in (tmp_path / "gx").rglob("validations/**/*.json"))
    newest = sorted(o.gx_result[0].run_id.run_time.strftime("%Y%m%dT%H%M%S.%fZ") for v in runs[1:]
                    for o in v.outcomes)
    assert stored == newest
    listed = _validated_pages(tmp_path)
    assert len(listed) == per_run * 2 and all(any(stamp in page for stamp in newest) for page in listed)
    pages = list((tmp_path / "site" / "data-docs" / "validations").rglob("*.html"))
    assert len(pages) == per_run * 2  # GX removes the page of a result it no longer has


def test_a_run_with_more_results_than_the_bound_keeps_all_of_its_own(tmp_path, county_batch_and_source) -> None:
    batch, source = county_batch_and_source
    results = [o.gx_result for _ in range(2) for o in validate_batch(batch, source, load_regions()).outcomes]
    update_data_docs(tmp_path, results, keep_results=1)
    assert len(list((tmp_path / "gx").rglob("validations/**/*.json"))) == len(results)


def _compiles(monkeypatch) -> list[str]:
    """The names of the Jinja templates compiled from here on (not loaded compiled from a cache)."""
    import jinja2

    compiled: list[str] = []
    compile_source = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        if name is not None:
            compiled.append(name)
        return compile_source(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return compiled


def test_a_docs_build_does_not_compile_gx_templates_again(tmp_path, county_batch_and_source, monkeypatch) -> None:
    """GX makes a new Jinja environment for every build and compiled its page templates each time (half of a
    build); its views here share Jinja's bytecode cache, so a later build, in a new data folder too, compiles none."""
    batch, source = county_batch_and_source
    results = [o.gx_result for o in validate_batch(batch, source, load_regions()).outcomes]
    compiled = _compiles(monkeypatch)
    update_data_docs(tmp_path / "first", results)  # compiles only what the cache does not hold yet
    before = len(compiled)
    update_data_docs(tmp_path / "second", results)
    assert compiled[before:] == []
    assert len(_validated_pages(tmp_path / "second")) == len(results)


def test_a_docs_site_an_earlier_version_configured_is_brought_up_to_date_once(tmp_path,
                                                                            county_batch_and_source) -> None:
    import great_expectations as gx

    site = tmp_path / "site" / "data-docs"
    earlier = gx.get_context(mode="file", project_root_dir=tmp_path)
    earlier.add_data_docs_site(site_name="oms", site_config={  # as the version before the cached views left it
        "class_name": "SiteBuilder", "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site)}})
    batch, source = county_batch_and_source
    results = [o.gx_result for o in validate_batch(batch, source, load_regions()).outcomes]
    update_data_docs(tmp_path, results)
    config = gx.get_context(mode="file", project_root_dir=tmp_path).list_data_docs_sites()["oms"]
    assert config["site_index_builder"]["view"]["class_name"] == "CachedIndexPageView"
    assert config["site_section_builders"]["validations"]["view"]["class_name"] == "CachedPageView"
    project = tmp_path / "gx" / "great_expectations.yml"
    written = project.stat().st_mtime_ns, project.read_text(encoding="utf-8")
    update_data_docs(tmp_path, results)
    assert (project.stat().st_mtime_ns, project.read_text(encoding="utf-8")) == written  # up to date: not rewritten
    assert len(_validated_pages(tmp_path)) == len(results)


def test_without_a_cache_folder_the_templates_are_compiled_as_gx_does(tmp_path, monkeypatch) -> None:
    import tempfile

    from tasks.validate.docs_views import template_cache

    assert template_cache() is not None
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(not_a_folder))  # where Jinja would make its folder
    assert template_cache() is None
