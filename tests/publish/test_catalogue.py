"""The indicator catalogue: every published indicator is described (both languages), has a unit and a focus area;
a catalogue or source that breaks this is refused at load, in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tasks.config import ConfigError, load_catalogue, load_sources
from tasks.load.warehouse import connect_read_only

PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "config"
DESCRIBED = ("name_sv", "name_en", "description_sv", "description_en", "unit", "focus_area", "focus_area_en")


def test_every_published_indicator_is_fully_described(published_warehouse) -> None:
    with connect_read_only(published_warehouse) as con:
        published = con.execute("SELECT DISTINCT indicator_id FROM main.observation").fetchall()
        rows = con.execute(f"SELECT indicator_id, {', '.join(DESCRIBED)} FROM main.indicator").fetchall()
    catalogue = {row[0]: row[1:] for row in rows}
    assert published == [("population",)]
    for (indicator_id,) in published:
        assert indicator_id in catalogue
        assert all(isinstance(text, str) and text.strip() for text in catalogue[indicator_id])
    assert catalogue["population"][4:6] == ("persons", "population")


def test_every_configured_indicator_has_a_focus_area_of_oms_2050() -> None:
    areas, indicators = load_catalogue()
    fed = {mapping.id for source in load_sources() for mapping in source.indicators.values()}
    assert fed <= set(indicators)
    assert {i.focus_area for i in indicators.values()} <= set(areas)
    # ÖMS 2050's seven focus areas are all named, and the population base
    assert {"labour_education_housing", "dense_development", "node_city_links", "international_connections",
            "sustainable_freight", "digital_infrastructure", "energy_supply", "population"} <= set(areas)


@pytest.fixture()
def config_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "config"
    shutil.copytree(PROJECT_CONFIG, copy)
    return copy


def _edit_catalogue(config: Path, indicator: str, **changes) -> None:
    path = config / "indicators.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            document["indicators"][indicator].pop(key)
        else:
            document["indicators"][indicator][key] = value
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(("changes", "message"), [
    ({"description": None}, "indicator births: description: Field required"),
    ({"unit": ""}, "indicator births: unit: String should have at least 1 character"),
    ({"focus_area": "tourism"}, "indicator births: focus_area 'tourism' is not one of"),
    ({"name": {"sv": "Födda"}}, "indicator births: name.en: Field required"),
], ids=["no-description", "empty-unit", "unknown-focus-area", "no-english-name"])
def test_an_incomplete_catalogue_entry_is_refused(config_copy, changes, message) -> None:
    _edit_catalogue(config_copy, "births", **changes)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_sources(config_copy)


def test_a_source_naming_an_indicator_outside_the_catalogue_is_refused(config_copy) -> None:
    path = config_copy / "sources" / "population_change.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("BE0101E2: births", "BE0101E2: newborns"),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="indicators.BE0101E2: 'newborns' is not in config/indicators.yaml"):
        load_sources(config_copy)
