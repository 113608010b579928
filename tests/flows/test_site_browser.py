"""The Lägesbild site a real nightly flow run writes, opened in a real browser (Debian's Chromium via Playwright):
every page loads from file:// with no console error and no request outside the site folder, every indicator has its
chart, the start page's numbers are the warehouse's, and a quarantined source links to its report and GX's Data Docs.
Screenshots of every page are kept in test-artifacts/site/."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from flows.pipeline import RunFailed, nightly
from replay.faults import Fault
from tasks.load.warehouse import connect_read_only
from tests.flows.conftest import point_pipeline_at

SOURCES = ["population_county_month", "population_municipality_year", "completed_dwellings_municipality",
           "employment_bas_municipality", "births_municipality_2025"]
QUARANTINED = "births_municipality_2025"  # TAB6401, answered with a region code outside ÖMS
ARTIFACTS = Path(os.environ.get("OMS_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


@pytest.fixture(scope="module")
def site(tmp_path_factory, replay_server, kolada_server) -> Path:
    """One nightly flow run with a quarantined source; returns the data folder."""
    root = tmp_path_factory.mktemp("site-run")
    with pytest.MonkeyPatch.context() as env:
        point_pipeline_at(root, replay_server, kolada_server, env.setenv)
        replay_server.faults.add(Fault("unknown_region", table="TAB6401", dimension="Region", value="0399"))
        try:
            with pytest.raises(RunFailed, match=QUARANTINED):
                nightly(sources=SOURCES)
        finally:
            replay_server.faults.clear()
    return root


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


def _warehouse(site: Path) -> Path:
    return site / "warehouse" / "oms.duckdb"


def _rows(site: Path, sql: str, params=None) -> list[tuple]:
    with connect_read_only(_warehouse(site)) as con:
        return con.execute(sql, params or []).fetchall()


def _open(browser, url: str, site_dir: Path):
    """A page with every request and console error recorded; anything outside the site folder is refused."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    seen = {"outside": [], "errors": []}
    inside = site_dir.resolve().as_uri() + "/"

    def route(r):
        if r.request.url.startswith(inside):
            return r.continue_()
        seen["outside"].append(r.request.url)
        return r.abort()

    page.route("**/*", route)
    page.on("console", lambda message: seen["errors"].append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.goto(url, wait_until="load")
    return page, seen


def _swedish_number(text: str) -> float:
    return float(re.sub(r"\s", "", text).replace(",", "."))


def test_every_page_loads_offline_with_its_charts_and_a_screenshot(site, browser) -> None:
    site_dir = site / "data" / "site"
    latest = site_dir / "latest"
    pages = [p.name for p in latest.iterdir() if p.suffix == ".html"] + [
        f"quarantine/{p.name}" for p in (latest / "quarantine").glob("*.html")]
    assert "index.html" in pages and "population.html" in pages and f"quarantine/{QUARANTINED}.html" in pages
    shots = ARTIFACTS / "site"
    shots.mkdir(parents=True, exist_ok=True)
    for name in pages:
        page, seen = _open(browser, (latest / name).resolve().as_uri(), site_dir)
        assert page.title(), name
        assert seen == {"outside": [], "errors": []}, name
        page.screenshot(path=str(shots / f"{name.replace('/', '_')}.png"), full_page=True)
        page.close()
    assert len(list(shots.glob("*.png"))) >= len(pages)


def test_each_indicator_has_a_chart_with_a_text_alternative(site, browser) -> None:
    site_dir = site / "data" / "site"
    charted = dict(_rows(site, """
        SELECT i.focus_area, count(DISTINCT o.indicator_id) FROM main.observation o JOIN main.indicator i
        USING (indicator_id)
        WHERE o.period_type = 'year' AND o.sex = 'total' AND o.breakdown = '' AND o.value IS NOT NULL
          AND (o.level = 'county' OR o.region_code IN ('0180', '0380', '0480', '0580', '1880', '1980', '2180'))
        GROUP BY ALL"""))
    indicators = dict(_rows(site, "SELECT focus_area, count(*) FROM main.indicator GROUP BY ALL"))
    assert charted["population"] >= 1 and charted["labour_education_housing"] >= 2
    for area, count in indicators.items():
        page, _ = _open(browser, (site_dir / "latest" / f"{area}.html").resolve().as_uri(), site_dir)
        figures = page.locator("figure.chart")
        assert figures.count() == charted.get(area, 0), area
        assert page.locator("figure.chart svg").count() == figures.count(), area
        assert figures.count() + page.locator("p.empty").count() == count, area  # every indicator accounted for
        for i in range(figures.count()):
            label = figures.nth(i).get_attribute("aria-label")
            assert label.startswith("Linjediagram: ") and re.search(r"\d{4}–\d{4}", label), label
        page.close()


def test_the_start_page_shows_the_warehouse_numbers(site, browser) -> None:
    site_dir = site / "data" / "site"
    page, _ = _open(browser, (site_dir / "latest" / "index.html").resolve().as_uri(), site_dir)
    oms = page.locator('.figure[data-indicator="population"][data-region="ÖMS"]')
    year = int(oms.get_attribute("data-year"))
    ((expected, counties),) = _rows(site, """
        SELECT sum(value), count(*) FROM main.observation
        WHERE indicator_id = 'population' AND level = 'county' AND period_type = 'year' AND year = ?
          AND sex = 'total' AND age = 'total' AND breakdown = ''""", [year])
    assert counties == 7 and _swedish_number(oms.inner_text()) == expected
    stockholm = page.locator('.figure[data-indicator="population"][data-region="Stockholms län"]')
    assert _swedish_number(stockholm.inner_text()) == _rows(site, """
        SELECT value FROM main.observation WHERE indicator_id = 'population' AND region_code = '01'
          AND period_type = 'year' AND year = ? AND sex = 'total' AND age = 'total' AND breakdown = ''""",
        [year])[0][0]


def test_a_quarantined_source_links_its_report_and_gx_data_docs(site, browser) -> None:
    site_dir = site / "data" / "site"
    page, _ = _open(browser, (site_dir / "latest" / "index.html").resolve().as_uri(), site_dir)
    row = page.locator(f'tr[data-source="{QUARANTINED}"]')
    assert "quarantined" in row.inner_text()
    row.get_by_role("link", name="karantänrapport").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/quarantine/{QUARANTINED}.html")
    report = page.locator("pre.report").inner_text()
    assert "failed its expectation suite" in report and "0399" in report
    page.get_by_role("link", name="Data Docs").first.click()
    page.wait_for_load_state("load")
    docs = Path(page.url.removeprefix("file://"))
    assert docs == (site_dir / "data-docs" / "index.html").resolve()
    # GX's own pages (its templates reference Bootstrap and jQuery on CDNs; offline those are refused and the pages
    # read unstyled): the index links every validation of the run, and the failed one shows the foreign code.
    index = docs.read_text(encoding="utf-8")
    linked = sorted(set(re.findall(r"'_table_row_link_path': '(validations/[^']+\.html)'", index)))
    assert len(linked) == len(list((site_dir / "data-docs" / "validations").rglob("*.html"))) >= len(SOURCES)
    shown = []
    for href in linked:
        page.goto((docs.parent / href.replace("%20", " ")).as_uri(), wait_until="load")
        shown.append(page.locator("body").inner_text())
    assert sum("unexpected values found" in text and re.search(r"\b0399\b", text) is not None for text in shown) == 1


def test_the_run_report_links_the_site(site) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["site"])))
    index = (site / "data" / "site" / "latest" / "index.html").absolute().as_uri()
    assert any(index in (a.data or "") for a in artifacts)


def test_oms_site_rebuilds_it_from_the_warehouse_without_a_run(site) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    before = (site / "data" / "site" / "latest").resolve()
    result = CliRunner().invoke(app, ["site"], env={"OMS_WAREHOUSE": str(_warehouse(site)),
                                                    "OMS_DATA_DIR": str(site / "data")})
    assert result.exit_code == 0, result.output
    after = (site / "data" / "site" / "latest").resolve()
    assert after != before and after.name.startswith("manual-")
    assert "0 charts rendered" in result.output  # nothing changed since the run: every chart from the cache
    assert (after / "index.html").read_text(encoding="utf-8").count('class="figure') == \
        (before / "index.html").read_text(encoding="utf-8").count('class="figure')
