"""Lägesbild: the static ÖMS monitoring site, written after every publish from the published warehouse only.

``<data_dir>/site/<run_id>/`` holds a start page and one page per ÖMS 2050 focus area; ``<data_dir>/site/latest``
points at the newest complete one (swapped in like the Parquet exports), and Great Expectations writes its Data
Docs to ``<data_dir>/site/data-docs/`` (tasks/validate/suites.py). Everything works from ``file://`` with no
network: charts are Vega-Lite specs (altair) rendered to inline SVG by vl-convert, no JavaScript library, no CDN.
altair because a chart is a short declarative spec whose titles, axis titles and description become the SVG's
accessible text; vl-convert renders it in-process (~50 ms a chart). Rendered charts are kept by a digest of their
data, so a night with nothing new renders none; and such a night copies the focus-area pages and the start page's
headline section from the latest site (they are made of the published build alone: ``page_inputs``), rendering only
what is its own, the run's status.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from tasks.config import config_dir, load_catalogue, read_yaml
from tasks.load.warehouse import connect_read_only
from tasks.publish.exports import LATEST, MANIFEST, swap_in_folder
from tasks.regions import selection_names

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("site_templates")
DATA_DOCS = "data-docs"  # GX's Data Docs site, beside the run folders: <site_dir>/data-docs/index.html
CHART_CACHE = ".charts"
CHART_VERSION = "1"  # bump when the chart spec changes, so cached SVGs are rendered again
STYLE = "style.css"
HEADLINES = ".headlines.part"  # the start page's headline section, kept (not a page) for the next night to reuse


@dataclass
class Chart:
    title: str
    unit: str
    regions: str  # "counties" or "county seats"
    rows: list[dict]  # {region, year, value}
    svg: str = ""

    @property
    def digest(self) -> str:
        body = json.dumps([CHART_VERSION, self.title, self.unit, self.regions, self.rows], ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()[:32]

    @property
    def text_alternative(self) -> str:
        if not self.rows:
            return "Inga värden att visa."
        years = sorted({r["year"] for r in self.rows})
        latest = [r for r in self.rows if r["year"] == years[-1]]
        top = max(latest, key=lambda r: r["value"])
        low = min(latest, key=lambda r: r["value"])
        return (f"Linjediagram: {self.title} ({self.unit}) för {len({r['region'] for r in self.rows})} "
                f"{'län' if self.regions == 'counties' else 'residensstäder'}, {years[0]}–{years[-1]}. "
                f"{years[-1]}: högst {top['region']} {_number(top['value'])}, lägst {low['region']} "
                f"{_number(low['value'])}.")


@dataclass
class IndicatorPage:
    indicator_id: str
    name_sv: str
    name_en: str
    description_sv: str
    unit: str
    additive: bool
    coverage: str
    chart: Chart
    latest_year: int | None = None
    municipalities: list[dict] = field(default_factory=list)
    lineage: list[dict] = field(default_factory=list)


@dataclass
class FocusArea:
    key: str
    name_sv: str
    name_en: str
    indicators: list[IndicatorPage]

    @property
    def page(self) -> str:
        return f"{self.key}.html"

    @property
    def headline(self) -> IndicatorPage | None:
        """The area's first indicator (catalogue order) with county figures, else with any chart."""
        charted = [i for i in self.indicators if i.chart.rows]
        return next((i for i in charted if i.chart.regions == "counties"), charted[0] if charted else None)


@dataclass(frozen=True)
class SiteResult:
    run_id: str
    folder: Path | None
    pages: list[str]
    charts_rendered: int
    error: Exception | None = None


def site_index(data_dir: Path) -> Path:
    """The start page of the newest site (what `make run` prints and the run report links to)."""
    return data_dir / "site" / LATEST / "index.html"


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    text = f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"
    return text.replace(",", "\u00a0").replace(".", ",")  # Swedish: no-break space between thousands, decimal comma


def county_seats() -> dict[str, str]:
    return dict((read_yaml(config_dir() / "site.yaml") or {}).get("county_seats") or {})


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


_HEADLINE_AGE = """
    -- Per indicator (and level), the age the chart and table show: 'total' where given, else the most common one.
    SELECT indicator_id, level, age FROM (
        SELECT indicator_id, level, age, count(*) AS n FROM main.indicator_by_region_year
        WHERE value IS NOT NULL GROUP BY ALL)
    QUALIFY row_number() OVER (PARTITION BY indicator_id, level ORDER BY age = 'total' DESC, n DESC, age) = 1
"""


def _grouped(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row.pop("indicator_id"), []).append(row)
    return grouped


def all_series(con: duckdb.DuckDBPyConnection, seats: dict[str, str]) -> dict[str, tuple[str, list[dict]]]:
    """Per indicator: the seven counties over time (harmonized, today's borders), or the county seats when SCB
    publishes it for municipalities only. Headline rows: both sexes, no breakdown."""
    rows = _records(con, f"""
        WITH chosen AS ({_HEADLINE_AGE})
        SELECT o.indicator_id, o.level, o.region_name AS region, o.year, o.value
        FROM main.indicator_by_region_year o JOIN chosen c USING (indicator_id, level, age)
        WHERE o.value IS NOT NULL AND (o.level = 'county' OR o.region_code IN (SELECT unnest(?)))
        ORDER BY o.indicator_id, o.region_code, o.year
    """, [list(seats.values())])
    series = {}
    for indicator_id, found in _grouped(rows).items():
        counties = [r for r in found if r["level"] == "county"]
        chosen, regions = (counties, "counties") if counties else (found, "county seats")
        series[indicator_id] = (regions, [{k: r[k] for k in ("region", "year", "value")} for r in chosen])
    return series


def all_municipalities(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """Per indicator: every municipality in the latest year any of them has a value."""
    return _grouped(_records(con, f"""
        WITH chosen AS ({_HEADLINE_AGE}),
        rows AS (SELECT o.* FROM main.indicator_by_region_year o JOIN chosen c USING (indicator_id, level, age)
                 WHERE o.level = 'municipality')
        SELECT o.indicator_id, o.region_code, o.region_name, r.region_name AS county, o.year, o.value, o.status,
               o.null_reason, o.value_origin, o.source_table
        FROM rows o JOIN main.region r ON r.region_code = o.county_code
        WHERE o.year = (SELECT max(year) FROM rows l WHERE l.indicator_id = o.indicator_id AND l.value IS NOT NULL)
        ORDER BY o.indicator_id, o.region_code
    """, []))


def all_lineage(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    return _grouped(_records(con, """
        WITH origins AS (SELECT indicator_id, source_id, string_agg(DISTINCT value_origin, ', ' ORDER BY value_origin)
                         AS value_origins FROM main.observation GROUP BY ALL)
        SELECT p.indicator_id, p.source_id, p.source_table, p.first_period, p.last_period, p.source_updated,
               p.fetched_at, o.value_origins
        FROM main.published_sources p LEFT JOIN origins o USING (indicator_id, source_id)
        ORDER BY p.indicator_id, p.source_id
    """, []))


def focus_areas(con: duckdb.DuckDBPyConnection, seats: dict[str, str]) -> list[FocusArea]:
    series, municipalities, lineage = all_series(con, seats), all_municipalities(con), all_lineage(con)
    areas: dict[str, FocusArea] = {}
    for row in _records(con, "SELECT * FROM main.indicator", []):
        key = row["indicator_id"]
        area = areas.setdefault(row["focus_area"], FocusArea(row["focus_area"], row["focus_area_sv"],
                                                             row["focus_area_en"], []))
        regions, rows = series.get(key, ("counties", []))
        table = municipalities.get(key, [])
        area.indicators.append(IndicatorPage(
            key, row["name_sv"], row["name_en"], row["description_sv"], row["unit"], row["additive"],
            row["coverage"], Chart(row["name_sv"], row["unit"], regions, rows), table[0]["year"] if table else None,
            table, lineage.get(key, [])))
    return _in_catalogue_order(list(areas.values()))


def focus_area_names(con: duckdb.DuckDBPyConnection) -> list[FocusArea]:
    """The focus areas without their indicators: what every page's navigation lists."""
    return _in_catalogue_order([FocusArea(*row, []) for row in con.execute(
        "SELECT DISTINCT focus_area, focus_area_sv, focus_area_en FROM main.indicator").fetchall()])


def _in_catalogue_order(areas: list[FocusArea]) -> list[FocusArea]:
    order = list(load_catalogue()[0])  # the catalogue's order: population first, as ÖMS 2050 lists its areas
    return sorted(areas, key=lambda a: order.index(a.key) if a.key in order else len(order))


def headline_figures(con: duckdb.DuckDBPyConnection, areas: list[FocusArea]) -> list[dict]:
    """Per focus area: its headline indicator's latest year for the selected counties (the seven of ÖMS by
    default), and for the selection as a whole where the indicator adds up (a sum of the counties, only when all of
    them have a figure)."""
    counties = _records(con, "SELECT region_code, region_name FROM main.region WHERE level = 'county' "
                             "ORDER BY region_code", [])
    figures = []
    for area in areas:
        indicator = area.headline
        if indicator is None:
            figures.append({"area": area, "indicator": None})
            continue
        year = max(r["year"] for r in indicator.chart.rows)
        values = {r["region"]: r["value"] for r in indicator.chart.rows if r["year"] == year}
        whole = (sum(values.values()) if indicator.additive and indicator.chart.regions == "counties"
                 and len(values) == len(counties) else None)
        figures.append({"area": area, "indicator": indicator, "year": year, "values": values, "oms": whole})
    return figures


def whole_area(con: duckdb.DuckDBPyConnection) -> dict:
    """The published counties as a whole: the selection's label and title (config/regions.yaml: "ÖMS", "östra
    Mellansverige") and how many counties and municipalities the warehouse holds."""
    counties, municipalities = con.execute(
        "SELECT list(region_code ORDER BY region_code) FILTER (WHERE level = 'county'), "
        "count(*) FILTER (WHERE level = 'municipality') FROM main.region WHERE is_current").fetchone()
    names = selection_names(counties or [])
    return {"whole": names["label"], "title": names["title"], "counties": len(counties or []),
            "municipalities": municipalities}


def last_run(con: duckdb.DuckDBPyConnection, quarantine_dir: Path) -> tuple[dict | None, list[dict]]:
    runs = _records(con, "SELECT * FROM audit.run WHERE run_id IN (SELECT run_id FROM audit.batch) "
                         "ORDER BY started_at DESC LIMIT 1", [])
    if not runs:
        return None, []
    batches = _records(con, """
        SELECT b.source_id, b.source_table, b.status, b.rows_fetched, b.rows_loaded, b.rows_published, b.message,
               coalesce(b.source_updated, p.source_updated) AS source_updated, p.fetched_at
        FROM audit.batch b
        LEFT JOIN (SELECT source_id, max(source_updated) AS source_updated, max(fetched_at) AS fetched_at
                   FROM main.published_sources GROUP BY ALL) p USING (source_id)
        WHERE b.run_id = ? ORDER BY b.status IN ('quarantined', 'failed') DESC, b.source_id
    """, [runs[0]["run_id"]])
    for batch in batches:
        report = quarantine_dir / runs[0]["run_id"] / batch["source_id"] / "report.md"
        batch["report"] = report if batch["status"] == "quarantined" and report.exists() else None
    return runs[0], batches


def render_charts(areas: list[FocusArea], cache_dir: Path) -> int:
    """Every chart's SVG, from the cache when its data is unchanged; returns how many were rendered now."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    rendered = 0
    for chart in (i.chart for area in areas for i in area.indicators if i.chart.rows):
        cached = cache_dir / f"{chart.digest}.svg"
        if not cached.exists():
            temporary = cached.with_suffix(".tmp")
            temporary.write_text(_render(chart), encoding="utf-8")
            temporary.replace(cached)
            rendered += 1
        chart.svg = cached.read_text(encoding="utf-8")
    return rendered


def _render(chart: Chart) -> str:
    # Imported here: only a chart whose data changed needs them (~1 s to import on a small machine).
    import altair as alt
    import vl_convert

    where = "län" if chart.regions == "counties" else "residensstad"
    spec = alt.Chart(alt.Data(values=chart.rows), title=alt.TitleParams(chart.title, subtitle=f"per {where}, "
                     "dagens gränser" if chart.regions == "counties" else f"per {where}"),
                     description=chart.text_alternative, width=560, height=280).mark_line(point=True).encode(
        x=alt.X("year:O", title="År"),
        y=alt.Y("value:Q", title=chart.unit),
        color=alt.Color("region:N", title="Län" if chart.regions == "counties" else "Residensstad"),
        tooltip=["region:N", "year:O", "value:Q"])
    return vl_convert.vegalite_to_svg(spec.to_json())


@cache
def _environment() -> Environment:
    """One per process: a worker serving many runs compiles each template once, not per build (~0.1 s a build); Jinja
    still reloads a template whose file changed."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["number"] = _number
    return environment


def published_build(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The run that last rebuilt main.* (what every page's figures come from), if the audit records one."""
    builds = _records(con, "SELECT run_id, started_at, publish_inputs FROM audit.run WHERE published "
                           "ORDER BY started_at DESC LIMIT 1", [])
    if not builds:
        return None
    return {**builds[0], "started_at": builds[0]["started_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def page_inputs(build: dict | None) -> str | None:
    """What the focus-area pages and the headline section are made of: the published build, the templates, the site
    settings and this code. Equal inputs give equal pages, so a night that publishes nothing reuses them."""
    if build is None or build["publish_inputs"] is None:
        return None
    digest = hashlib.sha256(json.dumps([build["run_id"], build["publish_inputs"], CHART_VERSION]).encode())
    for path in [*sorted(p for p in TEMPLATES.iterdir() if p.is_file()), config_dir() / "site.yaml", Path(__file__)]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def reuse_pages(previous: Path, folder: Path, inputs: str | None) -> tuple[list[str], str] | None:
    """The focus-area pages, style sheet and headline section of the ``previous`` site, copied into ``folder``
    when it was made of the same inputs; their names and the headline section, else None (render them)."""
    try:
        manifest = json.loads((previous / MANIFEST).read_text(encoding="utf-8"))
        if inputs is None or manifest.get("page_inputs") != inputs:
            return None
        pages = list(manifest["area_pages"])
        for name in [*pages, STYLE, HEADLINES]:
            shutil.copyfile(previous / name, folder / name)  # copies, not links: a page is never shared
        return pages, (folder / HEADLINES).read_text(encoding="utf-8")
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no previous site, or one missing a file: render everything


def write_area_pages(folder: Path, con: duckdb.DuckDBPyConnection, cache_dir: Path, common: dict, whole: dict
                     ) -> tuple[list[str], str, int]:
    """Every focus-area page, the style sheet and the headline section; their names, the section and how many charts
    were rendered now."""
    environment = _environment()
    areas = focus_areas(con, county_seats())
    rendered = render_charts(areas, cache_dir)
    pages = []
    for area in areas:
        (folder / area.page).write_text(environment.get_template("area.html.j2").render(
            **common, root="", area=area), encoding="utf-8")
        pages.append(area.page)
    (folder / STYLE).write_text((TEMPLATES / STYLE).read_text(encoding="utf-8"), encoding="utf-8")
    headlines = environment.get_template("headlines.html.j2").render(
        **common, figures=headline_figures(con, areas), **whole)
    (folder / HEADLINES).write_text(headlines, encoding="utf-8")
    return pages, headlines, rendered


def write_pages(folder: Path, con: duckdb.DuckDBPyConnection, run_id: str, quarantine_dir: Path,
                cache_dir: Path, previous: Path | None = None) -> tuple[list[str], int]:
    """The site's pages; the focus-area pages and headlines are copied from ``previous`` when nothing they are made
    of changed (a night with nothing new: ~0.2 s of queries and rendering saved), the run's own status never."""
    build = published_build(con)
    inputs = page_inputs(build)
    common = {"areas": focus_area_names(con), "build": build, "run_id": run_id,
              "data_docs": f"../{DATA_DOCS}/index.html"}
    whole = whole_area(con)
    reused = reuse_pages(previous, folder, inputs) if previous is not None else None
    area_pages, headlines, rendered = (*reused, 0) if reused else write_area_pages(folder, con, cache_dir, common,
                                                                                   whole)
    environment = _environment()
    run, batches = last_run(con, quarantine_dir)
    pages = ["index.html"]
    reports = folder / "quarantine"
    for batch in batches:
        if batch["report"] is not None:
            reports.mkdir(exist_ok=True)
            page = f"quarantine/{batch['source_id']}.html"
            (folder / page).write_text(environment.get_template("report.html.j2").render(
                **{**common, "data_docs": f"../../{DATA_DOCS}/index.html"}, batch=batch, root="../",
                report=batch["report"].read_text(encoding="utf-8")), encoding="utf-8")
            batch["page"] = page
            pages.append(page)
    (folder / "index.html").write_text(environment.get_template("index.html.j2").render(
        **common, root="", run=run, batches=batches, headlines=Markup(headlines), **whole),
        encoding="utf-8")
    pages += area_pages
    (folder / MANIFEST).write_text(json.dumps({
        "run_id": run_id, "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "pages": pages,
        "area_pages": area_pages, "page_inputs": inputs}, indent=2) + "\n", encoding="utf-8")
    return pages, rendered


def write_site(warehouse: Path, site_dir: Path, run_id: str, quarantine_dir: Path, reuse: bool = True) -> SiteResult:
    """Build the site from the published warehouse and swap it in; raises on failure (see ``build_site``).
    ``reuse``: copy what the latest site made of the same inputs (``oms site`` renders everything)."""
    made: dict = {}

    def write(folder: Path) -> None:
        with connect_read_only(warehouse) as con:
            made["pages"], made["rendered"] = write_pages(folder, con, run_id, quarantine_dir,
                                                          site_dir / CHART_CACHE,
                                                          (site_dir / LATEST).resolve() if reuse else None)

    final, _ = swap_in_folder(site_dir, run_id, write)
    return SiteResult(run_id, final, made["pages"], made["rendered"])


def build_site(warehouse: Path, site_dir: Path, run_id: str, quarantine_dir: Path) -> SiteResult:
    """After the swap, like the export: a failure is logged and returned, never raised (the data is published)."""
    try:
        result = write_site(warehouse, site_dir, run_id, quarantine_dir)
    except Exception as err:
        log.warning("site of run %s in %s failed: %s: %s", run_id, site_dir, type(err).__name__, err)
        return SiteResult(run_id, None, [], 0, err)
    log.info("site of run %s: %d pages, %d charts rendered, %s", run_id, len(result.pages), result.charts_rendered,
             site_dir / LATEST / "index.html")
    return result
