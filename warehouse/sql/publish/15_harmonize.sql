-- Harmonization to today's borders, as an intermediate layer rebuilt on every publish (schema harmonize).
--
-- 1. Municipal rows move to today's code: Heby's figures published under 1917 (Västmanland, until 2006) become
--    0331 (Uppsala county), marked 'harmonized'. A municipality's 0 before its code existed is SCB's placeholder
--    (its parent still held the area, shared/README.md): it becomes NULL with status 'not yet formed'.
-- 2. For additive indicators (core.indicator.additive), a county's value on today's borders is the sum of its
--    today's member municipalities, when the source has all of them for that period.
-- 3. A county figure as published is on today's borders unless a county transfer (Heby 2007) took effect after the
--    division its period follows (SCB's year-end figures follow the division of 1 January the year after).
CREATE SCHEMA IF NOT EXISTS harmonize;

CREATE OR REPLACE TABLE harmonize.dated AS
SELECT o.*,
       CAST(substr(o.period, 1, 4) AS INTEGER) AS year,
       CASE WHEN o.period LIKE '____M__' THEN 'month' WHEN o.period LIKE '____K_' THEN 'quarter'
            ELSE 'year' END AS period_type,
       CASE WHEN o.period LIKE '____M__'
                THEN last_day(make_date(CAST(substr(o.period, 1, 4) AS INTEGER), CAST(substr(o.period, 6, 2) AS INTEGER), 1))
            WHEN o.period LIKE '____K_'
                THEN last_day(make_date(CAST(substr(o.period, 1, 4) AS INTEGER), CAST(substr(o.period, 6, 1) AS INTEGER) * 3, 1))
            ELSE make_date(CAST(substr(o.period, 1, 4) AS INTEGER), 12, 31) END AS period_end
FROM core.observation o;

CREATE OR REPLACE TABLE harmonize.municipal AS
SELECT d.source_id, d.indicator_id, coalesce(r.successor, d.region_code) AS region_code, d.period, d.period_type,
       d.year, d.sex, d.age, d.breakdown,
       CASE WHEN r.valid_from IS NOT NULL AND d.period_end < r.valid_from AND coalesce(d.value, 0) = 0 THEN NULL
            ELSE d.value END AS value,
       d.value AS value_for_sums,  -- the placeholder 0 counts as 0: the parent holds the area then
       CASE WHEN r.valid_from IS NOT NULL AND d.period_end < r.valid_from AND coalesce(d.value, 0) = 0
                THEN 'not yet formed' ELSE d.status END AS status,
       d.unit,
       CASE WHEN r.successor IS NOT NULL THEN 'harmonized' ELSE d.value_origin END AS value_origin,
       d.source_table, d.source_updated, d.fetched_at, d.landing_sha256, d.loaded_run_id
FROM harmonize.dated d
JOIN core.region r USING (region_code)
WHERE r.level = 'municipality'
-- a source with both a retired and today's code for one key (none known): today's code wins
QUALIFY row_number() OVER (PARTITION BY d.source_id, d.indicator_id, coalesce(r.successor, d.region_code),
                                        d.period, d.sex, d.age, d.breakdown
                           ORDER BY r.successor IS NULL DESC) = 1;

CREATE OR REPLACE TABLE harmonize.county_published AS
SELECT d.*,
       NOT EXISTS (SELECT 1 FROM core.region_change c
                   WHERE c.change_type = 'county_transfer'
                     AND c.effective_date > d.period_end + INTERVAL 1 DAY
                     AND d.region_code IN (c.county_code, c.from_county)) AS on_current_borders
FROM harmonize.dated d
JOIN core.region r USING (region_code)
WHERE r.level = 'county';

CREATE OR REPLACE TABLE harmonize.county_summed AS
WITH members AS (
    SELECT county_code, count(*) AS municipalities
    FROM core.region WHERE level = 'municipality' AND valid_to IS NULL GROUP BY county_code
)
SELECT m.source_id, m.indicator_id, t.county_code AS region_code, m.period, any_value(m.period_type) AS period_type,
       any_value(m.year) AS year, m.sex, m.age, m.breakdown,
       CASE WHEN count(m.value_for_sums) = count(*) THEN sum(m.value_for_sums) END AS value,
       CASE WHEN count(m.value_for_sums) < count(*) THEN '..' END AS status,
       any_value(m.unit) AS unit, any_value(m.source_table) AS source_table, max(m.source_updated) AS source_updated,
       max(m.fetched_at) AS fetched_at, min(m.landing_sha256) AS landing_sha256, max(m.loaded_run_id) AS loaded_run_id,
       count(*) AS municipalities_summed
FROM harmonize.municipal m
JOIN core.region t ON t.region_code = m.region_code AND t.level = 'municipality' AND t.valid_to IS NULL
JOIN core.indicator i ON i.indicator_id = m.indicator_id AND i.additive
JOIN members USING (county_code)
GROUP BY m.source_id, m.indicator_id, t.county_code, m.period, m.sex, m.age, m.breakdown
HAVING count(DISTINCT m.region_code) = any_value(members.municipalities);
