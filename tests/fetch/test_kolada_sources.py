"""Every Kolada source checked against Kolada's recorded KPI catalogue: the KPI exists, and it is published for the
kinds of region the source asks for (K: municipalities, L: counties and regions, A: both)."""

from __future__ import annotations

import csv

import pytest

from tasks.config import load_sources
from tests.conftest import shared_path

KOLADA_SOURCES = [s for s in load_sources() if s.api == "kolada"]
CATALOGUE = {row["id"]: row for row in csv.DictReader(
    (shared_path() / "kolada/kolada_v3_kpi_catalog_from_rKolada_sysdata.csv").open(encoding="utf-8"))}
LEVELS = {"K": {"$municipalities"}, "L": {"$counties"}, "A": {"$municipalities", "$counties"}}


@pytest.mark.parametrize("source", KOLADA_SOURCES, ids=[s.id for s in KOLADA_SOURCES])
def test_kpis_exist_and_cover_the_regions_asked_for(source) -> None:
    for kpi in source.indicators:
        assert kpi in CATALOGUE, f"{source.id}: Kolada has no KPI {kpi}"
        assert set(source.regions) <= LEVELS[CATALOGUE[kpi]["municipality_type"]], (
            f"{source.id}: {kpi} is type {CATALOGUE[kpi]['municipality_type']}, not for {source.regions}")


def test_the_catalogue_titles_match_what_the_sources_say() -> None:
    titles = {kpi: CATALOGUE[kpi]["title"] for s in KOLADA_SOURCES for kpi in s.indicators}
    assert titles["N03702"] == "Bruttoregionprodukt, kommun (BRP), 1000 kr/invånare"
    assert titles["N07900"] == "Tillgång till fast bredband om minst 100 Mbit/s, andel (%)"
    assert titles["N02201"] == "Sysselsatta efter arbetsställets belägenhet, antal"
