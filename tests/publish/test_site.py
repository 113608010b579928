"""The Lägesbild site written from a real published warehouse (SCB's recorded TAB6471 batch): a night that
publishes nothing new copies the focus-area pages and headlines of the latest site and renders only its own status;
a new build, or `oms site`, renders every page again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

import tasks.publish.site as site
from tasks.load.audit import write_run
from tasks.load.warehouse import building_copy


def _record_build(warehouse: Path, run_id: str) -> None:
    """What a run that rebuilt main.* records in audit.run (load_and_publish does the same)."""
    with building_copy(warehouse) as con:
        write_run(con, run_id, "test", {}, datetime.now(UTC), [], published=True, publish_inputs=f"inputs-{run_id}")


def _pages(folder: Path) -> dict[str, bytes]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {name: (folder / name).read_bytes() for name in manifest["area_pages"]}


def _refuse_queries(monkeypatch) -> None:
    def refused(*_arguments):
        raise AssertionError("the focus-area pages were rendered again")

    monkeypatch.setattr(site, "focus_areas", refused)


@pytest.fixture()
def warehouse(tmp_path, build_warehouse) -> Path:
    built = build_warehouse(tmp_path / "warehouse" / "oms.duckdb", None)
    _record_build(built, "build-1")
    return built


def test_a_night_with_the_same_build_copies_the_area_pages(tmp_path, warehouse, monkeypatch) -> None:
    site_dir, quarantine = tmp_path / "site", tmp_path / "quarantine"
    first = site.write_site(warehouse, site_dir, "run-1", quarantine)
    assert len(_pages(first.folder)) >= 5
    assert b"build-1" in next(iter(_pages(first.folder).values()))  # every page names the build it shows
    _refuse_queries(monkeypatch)
    second = site.write_site(warehouse, site_dir, "run-2", quarantine)
    assert second.folder.name == "run-2" and (site_dir / "latest").resolve() == second.folder
    assert _pages(second.folder) == _pages(first.folder)
    assert (second.folder / site.HEADLINES).read_bytes() == (first.folder / site.HEADLINES).read_bytes()
    index = (second.folder / "index.html").read_text(encoding="utf-8")
    assert (first.folder / site.HEADLINES).read_text(encoding="utf-8") in index
    assert set(second.pages) == set(first.pages) and second.charts_rendered == 0


def test_a_new_build_or_oms_site_renders_every_page_again(tmp_path, warehouse, monkeypatch) -> None:
    site_dir, quarantine = tmp_path / "site", tmp_path / "quarantine"
    site.write_site(warehouse, site_dir, "run-1", quarantine)
    rendered = []
    real = site.focus_areas
    monkeypatch.setattr(site, "focus_areas", lambda *arguments: rendered.append(1) or real(*arguments))
    site.write_site(warehouse, site_dir, "manual-1", quarantine, reuse=False)
    assert rendered == [1]
    _record_build(warehouse, "build-2")
    after = site.write_site(warehouse, site_dir, "run-2", quarantine)
    assert rendered == [1, 1]
    assert all(b"build-2" in page and b"build-1" not in page for page in _pages(after.folder).values())


def test_a_latest_site_missing_a_page_is_rendered_whole(tmp_path, warehouse) -> None:
    site_dir, quarantine = tmp_path / "site", tmp_path / "quarantine"
    first = site.write_site(warehouse, site_dir, "run-1", quarantine)
    removed = next(iter(_pages(first.folder)))
    (first.folder / removed).unlink()
    second = site.write_site(warehouse, site_dir, "run-2", quarantine)
    assert (second.folder / removed).exists() and removed in second.pages
