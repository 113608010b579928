-- The tidy observation table: one row per indicator, region, period, sex, age and breakdown, on today's borders
-- where the sources allow it (15_harmonize_sql), with unit and lineage.
--
-- Municipalities: today's codes (Heby's 1917 rows as 0331), NULL with null_reason 'not yet formed' where the source's
-- 0 only holds the place of a municipality that did not exist yet (15_harmonize_sql says how that is judged).
-- Counties, per source: the figure as published when it is on today's borders; else the sum of today's member
-- municipalities (additive indicators); else the figure as published on the borders of its time (borders says so).
-- Where two sources give the same key: today's borders first, then the source's own figure over a sum, then the
-- most recently updated source.
CREATE OR REPLACE TABLE main.observation AS
WITH counties AS (
    SELECT source_id, indicator_id, region_code, period, period_type, year, sex, age, breakdown, value, status,
           null_reason, unit, value_origin, CASE WHEN on_current_borders THEN 'current' ELSE 'as of period' END AS borders,
           source_table, source_updated, fetched_at, landing_sha256, loaded_run_id,
           CASE WHEN on_current_borders THEN 1 ELSE 3 END AS preference
    FROM harmonize_county_published
    UNION ALL
    SELECT source_id, indicator_id, region_code, period, period_type, year, sex, age, breakdown, value, status,
           null_reason, unit, 'harmonized', 'current', source_table, source_updated, fetched_at, landing_sha256,
           loaded_run_id, 2
    FROM harmonize_county_summed
),
one_per_source AS (
    SELECT * FROM counties
    QUALIFY row_number() OVER (PARTITION BY source_id, indicator_id, region_code, period, sex, age, breakdown
                               ORDER BY preference) = 1
    UNION ALL
    SELECT source_id, indicator_id, region_code, period, period_type, year, sex, age, breakdown, value, status,
           null_reason, unit, value_origin, 'current', source_table, source_updated, fetched_at, landing_sha256,
           loaded_run_id, CASE WHEN value_origin = 'harmonized' THEN 2 ELSE 1 END
    FROM harmonize_municipal
)
SELECT o.indicator_id, o.region_code, r.region_name, r.level, r.county_code,
       o.period, o.period_type, o.year, o.sex, o.age, o.breakdown,
       o.value, o.unit, o.status, o.null_reason, o.value_origin, o.borders,
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
FROM harmonize_county_published p
JOIN harmonize_county_summed s USING (source_id, indicator_id, region_code, period, sex, age, breakdown)
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
), with_figures AS (  -- today's regions with at least one figure of the indicator
    SELECT DISTINCT o.indicator_id, r.region_code, r.short_name, r.level, r.county_code
    FROM main.observation o JOIN main.region r USING (region_code)
    WHERE o.value IS NOT NULL AND r.is_current
), per_county AS (
    SELECT c.short_name AS county, c.region_code AS county_code, count(m.region_code) AS municipalities
    FROM main.region c JOIN main.region m ON m.county_code = c.region_code AND m.level = 'municipality'
    WHERE c.level = 'county' AND m.is_current GROUP BY ALL
), covered AS (
    SELECT i.indicator_id, p.county, p.county_code, p.municipalities AS of_municipalities,
           count(w.region_code) FILTER (WHERE w.level = 'municipality') AS municipalities,
           bool_or(w.level = 'county') AS county_figure
    FROM core.indicator i CROSS JOIN per_county p
    LEFT JOIN with_figures w ON w.indicator_id = i.indicator_id AND w.county_code = p.county_code
    GROUP BY ALL
), coverage AS (  -- in words: which of today's regions have figures (the gaps are as plain as the rest)
    SELECT c.indicator_id,
           'counties: ' || count(*) FILTER (WHERE c.county_figure) || ' of ' || count(*) || '; municipalities: '
           || sum(c.municipalities) || ' of ' || sum(c.of_municipalities)
           || CASE WHEN sum(c.municipalities) IN (0, sum(c.of_municipalities)) THEN ''
                   WHEN sum(c.municipalities) <= 10 THEN ' (' || (SELECT string_agg(w.short_name, ', '
                        ORDER BY w.short_name) FROM with_figures w WHERE w.indicator_id = c.indicator_id
                        AND w.level = 'municipality') || ')'
                   ELSE ' (' || string_agg(c.county || ' ' || c.municipalities || '/' || c.of_municipalities, ', '
                        ORDER BY c.county_code) || ')' END AS coverage
    FROM covered c GROUP BY c.indicator_id
)
SELECT i.indicator_id, i.name_sv, i.name_en, i.description_sv, i.description_en, i.unit,
       i.focus_area, i.focus_area_sv, i.focus_area_en, i.additive,
       f.source_ids, f.source_tables, f.frequency,
       coalesce(p.observations, 0) AS observations, p.first_period, p.last_period,
       CASE WHEN coalesce(p.observations, 0) = 0 THEN 'no figures published (live-only source, or none loaded yet)'
            ELSE v.coverage || '; ' || p.first_period || '–' || p.last_period END AS coverage
FROM core.indicator i
LEFT JOIN feeding f USING (indicator_id)
LEFT JOIN published p USING (indicator_id)
LEFT JOIN coverage v USING (indicator_id)
ORDER BY i.focus_area, i.indicator_id;
