-- The tidy observation table: one row per indicator, region, period and breakdown, with unit and lineage.
-- Where two sources carry the same key, the most recently updated source wins.
-- A municipality's value before the code existed (e.g. Knivsta before 2003) is NULL, never 0: SCB's series on
-- today's codes show 0 there while the parent municipality still includes the area (shared/README.md).
CREATE OR REPLACE TABLE main.observation AS
WITH dated AS (
    SELECT o.*,
           CAST(substr(o.period, 1, 4) AS INTEGER) AS year,
           CASE WHEN o.period LIKE '____M__' THEN 'month'
                WHEN o.period LIKE '____K_' THEN 'quarter'
                ELSE 'year' END AS period_type,
           CASE WHEN o.period LIKE '____M__'
                    THEN last_day(make_date(CAST(substr(o.period, 1, 4) AS INTEGER),
                                            CAST(substr(o.period, 6, 2) AS INTEGER), 1)) + 1
                WHEN o.period LIKE '____K_'
                    THEN last_day(make_date(CAST(substr(o.period, 1, 4) AS INTEGER),
                                            CAST(substr(o.period, 6, 1) AS INTEGER) * 3, 1)) + 1
                ELSE make_date(CAST(substr(o.period, 1, 4) AS INTEGER) + 1, 1, 1) END AS division_date
    FROM core.observation o
)
SELECT d.indicator_id, d.region_code, r.region_name, r.level, r.county_code,
       d.period, d.period_type, d.year, d.sex, d.age, d.breakdown,
       CASE WHEN r.valid_from IS NOT NULL AND d.division_date < r.valid_from THEN NULL ELSE d.value END AS value,
       d.unit,
       CASE WHEN r.valid_from IS NOT NULL AND d.division_date < r.valid_from THEN 'not yet formed'
            ELSE d.status END AS status,
       d.value_origin,
       d.source_id, d.source_table, d.source_updated, d.fetched_at, d.landing_sha256, d.loaded_run_id
FROM dated d
JOIN core.region r USING (region_code)
QUALIFY row_number() OVER (
    PARTITION BY d.indicator_id, d.region_code, d.period, d.sex, d.age, d.breakdown
    ORDER BY d.source_updated DESC NULLS LAST, d.fetched_at DESC) = 1
ORDER BY d.indicator_id, d.region_code, d.period, d.sex, d.age, d.breakdown;
