"""The data dictionary: every published object described in the warehouse, and the Markdown generated from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tasks.load.warehouse import building_copy, connect_read_only
from tasks.publish.dictionary import published_objects, render_dictionary, undescribed_objects
from tasks.publish.documentation import DocumentationError, document_warehouse, run_checks
from tasks.publish.publish import publish, reference_rows_from_config


@pytest.fixture()
def warehouse_copy(tmp_path, published_warehouse) -> Path:
    """A writable copy, for tests that change the schema the way a careless edit would."""
    path = tmp_path / "oms.duckdb"
    shutil.copyfile(published_warehouse, path)
    return path


def test_every_table_view_and_column_in_the_file_has_a_description(published_warehouse) -> None:
    with connect_read_only(published_warehouse) as con:
        objects = published_objects(con)
        for schema in ("main", "audit", "core"):
            assert undescribed_objects(con, schema) == [], schema
        schemas = {row[0] for row in con.execute("SELECT DISTINCT schema_name FROM duckdb_tables() WHERE "
                                                 "database_name = current_database() AND NOT temporary").fetchall()}
        audit_columns = con.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'audit'").fetchone()
    assert schemas == {"main", "audit", "core"}  # no intermediate steps ship in the published file
    assert len(objects) >= 9 and audit_columns[0] >= 40
    assert sum(len(obj.columns) for obj in objects) >= 90  # columns published today, every one described


def test_a_column_added_without_a_description_stops_the_publish(warehouse_copy) -> None:
    before = warehouse_copy.read_bytes()
    with pytest.raises(DocumentationError, match=r"main\.observation: columns without a description: "
                                                 r"\['harmonized_from'\]"), building_copy(warehouse_copy) as con:
        publish(con, reference_rows_from_config())
        con.execute("ALTER TABLE main.observation ADD COLUMN harmonized_from VARCHAR")
        document_warehouse(con)
    assert warehouse_copy.read_bytes() == before  # the build was discarded


def test_a_declared_check_that_fails_stops_the_publish(warehouse_copy) -> None:
    with pytest.raises(DocumentationError, match=r"main\.observation: value_origin has values outside"), \
            building_copy(warehouse_copy) as con:
        publish(con, reference_rows_from_config())
        con.execute("UPDATE main.observation SET value_origin = 'guessed' WHERE region_code = '01'")
        run_checks(con)


def test_the_check_names_a_column_or_view_added_without_a_description(warehouse_copy) -> None:
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("ALTER TABLE main.observation ADD COLUMN harmonized_from VARCHAR")
        con.execute("CREATE VIEW main.county_totals AS SELECT region_code, sum(value) AS total "
                    "FROM main.observation GROUP BY ALL")
        con.execute("COMMENT ON COLUMN main.region.nuts2 IS '  '")  # blank is not a description
        assert undescribed_objects(con) == [
            "main.observation.harmonized_from (column)",
            "main.region.nuts2 (column)",
            "main.county_totals (view)",
            "main.county_totals.region_code (column)",
            "main.county_totals.total (column)",
        ]


def test_descriptions_survive_a_second_publish(warehouse_copy) -> None:
    # CREATE OR REPLACE drops comments: the descriptions are written after every rebuild, not once.
    with building_copy(warehouse_copy) as con:
        publish(con, reference_rows_from_config())
        assert undescribed_objects(con) == []


def test_markdown_lists_every_column_of_observation_with_its_type(published_warehouse) -> None:
    with connect_read_only(published_warehouse) as con:
        markdown = render_dictionary(con)
        columns = con.execute("SELECT column_name, data_type, comment FROM duckdb_columns() "
                              "WHERE schema_name = 'main' AND table_name = 'observation'").fetchall()
    section = markdown.split("## observation\n", 1)[1].split("\n## ", 1)[0]
    assert len(columns) >= 21
    for name, data_type, comment in columns:
        assert f"| `{name}` | {data_type} | {comment.replace('|', chr(92) + '|')} |" in section
    assert "*table, 1,008 rows*" in section
    for name in ("region", "region_change", "published_sources", "population_by_region_year",
                 "population_by_sex_age"):
        assert f"\n## {name}\n" in markdown
    catalogue = markdown.split("## Indicator catalogue\n", 1)[1]
    assert "| population | Folkmängd | Population | persons | population |" in catalogue


def test_indicator_catalogue_is_listed_when_main_indicator_exists(warehouse_copy) -> None:
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("""CREATE OR REPLACE TABLE main.indicator AS SELECT * FROM (VALUES
            ('births', 'Live births', 'Levande födda', 'persons', 'population', 'TAB5939', 'long text'),
            ('population', 'Population', 'Folkmängd', 'persons', 'population', 'TAB6471', 'long text'))
            AS t(indicator_id, name_en, name_sv, unit, focus_area, source_table, description_en)""")
        markdown = render_dictionary(con)
    catalogue = markdown.split("## Indicator catalogue\n", 1)[1]
    assert "| indicator_id | name_en | name_sv | unit | focus_area | source_table |" in catalogue
    assert "| births | Live births | Levande födda | persons | population | TAB5939 |" in catalogue
    assert "long text" not in catalogue  # descriptions stay in the table section, not the catalogue


def test_oms_dictionary_writes_the_markdown_of_the_published_warehouse(tmp_path, published_warehouse,
                                                                       monkeypatch) -> None:
    monkeypatch.setenv("OMS_WAREHOUSE", str(published_warehouse))
    out = tmp_path / "docs" / "DATA_DICTIONARY.md"

    result = CliRunner().invoke(app, ["dictionary", "--out", str(out)])

    assert result.exit_code == 0, result.output
    with connect_read_only(published_warehouse) as con:
        assert out.read_text(encoding="utf-8") == render_dictionary(con)


def test_oms_dictionary_without_a_warehouse_exits_2(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OMS_WAREHOUSE", str(tmp_path / "missing.duckdb"))
    result = CliRunner().invoke(app, ["dictionary", "--out", str(tmp_path / "out.md")])
    assert result.exit_code == 2
    assert "no warehouse" in result.output
