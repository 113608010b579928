-- The tidy observation table: one row per indicator, region, period, sex, age and breakdown, on today's borders
-- where the sources allow it (15_harmonize.sql), with unit and lineage.
--
-- Municipalities: today's codes (Heby's 1917 rows as 0331), NULL with 'not yet formed' before a code existed.
-- Counties, per source: the figure as published when it is on today's borders; else the sum of today's member
-- municipalities (additive indicators); else the figure as published on the borders of its time (borders says so).
-- Where two sources give the same key: today's borders first, then the source's own figure over a sum, then the
-- most recently updated source.
CREATE OR REPLACE TABLE main.observation AS
WITH counties AS (
    SELECT source_id, indicator_id, region_code, period, period_type, year, sex, age, breakdown, value, status,
           unit, value_origin, CASE WHEN on_current_borders THEN 'current' ELSE 'as of period' END AS borders,
           source_table, source_updated, fetched_at, landing_sha256, loaded_run_id,
           CASE WHEN on_current_borders THEN 1 ELSE 3 END AS preference
    FROM harmonize.county_published
    UNION ALL
    SELECT source_id, indicator_id, region_code, period, period_type, year, sex, age, breakdown, value, status,
           unit, 'harmonized', 'current', source_table, source_updated, fetched_at, landing_sha256, loaded_run_id,
           2
    FROM harmonize.county_summed
),
one_per_source AS (
    SELECT * FROM counties
    QUALIFY row_number() OVER (PARTITION BY source_id, indicator_id, region_code, period, sex, age, breakdown
                               ORDER BY preference) = 1
    UNION ALL
    SELECT source_id, indicator_id, region_code, period, period_type, year, sex, age, breakdown, value, status,
           unit, value_origin, 'current', source_table, source_updated, fetched_at, landing_sha256, loaded_run_id,
           CASE WHEN value_origin = 'harmonized' THEN 2 ELSE 1 END
    FROM harmonize.municipal
)
SELECT o.indicator_id, o.region_code, r.region_name, r.level, r.county_code,
       o.period, o.period_type, o.year, o.sex, o.age, o.breakdown,
       o.value, o.unit, o.status, o.value_origin, o.borders,
       o.source_id, o.source_table, o.source_updated, o.fetched_at, o.landing_sha256, o.loaded_run_id
FROM one_per_source o
JOIN core.region r USING (region_code)
QUALIFY row_number() OVER (
    PARTITION BY o.indicator_id, o.region_code, o.period, o.sex, o.age, o.breakdown
    ORDER BY o.borders = 'current' DESC, o.preference = 2, o.source_updated DESC NULLS LAST, o.fetched_at DESC) = 1
ORDER BY o.indicator_id, o.region_code, o.period, o.sex, o.age, o.breakdown;

-- A county's figure both ways, where a source gives both: as published (on the borders of its time) and summed
-- from today's member municipalities. The difference is what a border change (Heby 2007) or SCB's noise (2025-)
-- moves.
CREATE OR REPLACE TABLE main.county_harmonization AS
SELECT p.indicator_id, p.region_code, r.region_name, p.period, p.sex, p.age, p.breakdown,
       p.value AS published_value,
       CASE WHEN p.on_current_borders THEN 'current' ELSE 'as of period' END AS published_borders,
       s.value AS summed_value, s.municipalities_summed, s.value - p.value AS difference,
       p.source_id, p.source_table
FROM harmonize.county_published p
JOIN harmonize.county_summed s USING (source_id, indicator_id, region_code, period, sex, age, breakdown)
JOIN core.region r USING (region_code)
ORDER BY p.indicator_id, p.region_code, p.period, p.sex, p.age, p.breakdown;

-- The indicator catalogue as published: what each indicator is, its unit and ÖMS 2050 focus area, the sources that
-- feed it, and how far the published series reaches.
CREATE OR REPLACE TABLE main.indicator AS
WITH feeding AS (
    SELECT indicator_id, string_agg(DISTINCT source_id, ', ' ORDER BY source_id) AS source_ids,
           string_agg(DISTINCT source_table, ', ' ORDER BY source_table) AS source_tables,
           string_agg(DISTINCT frequency, ', ' ORDER BY frequency) AS frequency
    FROM core.indicator_source GROUP BY indicator_id
), published AS (
    SELECT indicator_id, count(*) AS observations, min(period) AS first_period, max(period) AS last_period
    FROM main.observation GROUP BY indicator_id
)
SELECT i.indicator_id, i.name_sv, i.name_en, i.description_sv, i.description_en, i.unit,
       i.focus_area, i.focus_area_sv, i.focus_area_en, i.additive,
       f.source_ids, f.source_tables, f.frequency,
       coalesce(p.observations, 0) AS observations, p.first_period, p.last_period
FROM core.indicator i
LEFT JOIN feeding f USING (indicator_id)
LEFT JOIN published p USING (indicator_id)
ORDER BY i.focus_area, i.indicator_id;
