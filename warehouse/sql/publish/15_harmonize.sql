-- Harmonization to today's borders: intermediate steps as temporary tables of the publishing connection, gone when
-- it closes (the published file holds only what is described: main, core and audit).
--
-- 1. Municipal rows move to today's code: Heby's figures published under 1917 (Västmanland, until 2006) become
--    0331 (Uppsala county), marked 'harmonized'.
-- 2. A municipality formed by a split (Knivsta 2003, Nykvarn 1999, …) has, in many SCB tables, a placeholder 0
--    for the years before it existed: its parent still held the area (shared/README.md). A 0 is taken for such a
--    placeholder only on evidence, never for being 0:
--      - the period lies before the split on every border basis (its end, and the day after: SCB's year-end
--        figures follow the division of 1 January the year after), or it is the last year before the split and
--        the source has no figure for the municipality that year at all;
--      - and the source does not publish the area before the split: no figure other than 0 or missing for the
--        municipality in any period before the split (TAB2538 does: Nykvarn's completed dwellings 1991-1998 are
--        real figures, so its 0 in 1995 is a real 0).
--    A municipality that only changed county (Heby) existed all along: its zeros are real.
--    A placeholder becomes NULL with null_reason 'not yet formed'; the source's own symbol stays in status.
-- 3. For additive indicators (core.indicator.additive), a county's value on today's borders is the sum of its
--    today's member municipalities, when the source has all of them for that period.
-- 4. A county figure as published is on today's borders unless a county transfer (Heby 2007) took effect after the
--    division its period follows.
DROP SCHEMA IF EXISTS harmonize CASCADE;  -- where an older publish kept these steps as tables

CREATE OR REPLACE TEMP TABLE harmonize_dated AS
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

-- Each municipal row with the split that formed its municipality, if any, and where its period lies against it.
CREATE OR REPLACE TEMP TABLE harmonize_formation AS
SELECT d.*, s.effective_date AS formed,
       s.effective_date IS NOT NULL AND d.period_end + INTERVAL 1 DAY < s.effective_date AS before_formed,
       s.effective_date IS NOT NULL AND d.period_end < s.effective_date
           AND d.period_end + INTERVAL 1 DAY >= s.effective_date AS last_before_formed
FROM harmonize_dated d
JOIN core.region r USING (region_code)
LEFT JOIN core.region_change s ON s.change_type = 'split' AND s.region_code = d.region_code
WHERE r.level = 'municipality';

CREATE OR REPLACE TEMP TABLE harmonize_municipal AS
WITH evidence AS (
    SELECT *,
           -- the source publishes the area before the split: a real figure somewhere before it
           bool_or(coalesce(value, 0) <> 0 AND before_formed)
               OVER (PARTITION BY source_id, indicator_id, region_code) AS published_before,
           -- the last year before the split: did the source give the municipality any figure?
           bool_or(coalesce(value, 0) <> 0)
               OVER (PARTITION BY source_id, indicator_id, region_code, period) AS figures_in_period
    FROM harmonize_formation
), judged AS (
    SELECT *, coalesce(value, 0) = 0 AND NOT published_before
                  AND (before_formed OR (last_before_formed AND NOT figures_in_period)) AS placeholder
    FROM evidence
)
SELECT j.source_id, j.indicator_id, coalesce(r.successor, j.region_code) AS region_code, j.period, j.period_type,
       j.year, j.sex, j.age, j.breakdown,
       CASE WHEN j.placeholder THEN NULL ELSE j.value END AS value,
       j.value AS value_for_sums,  -- the placeholder 0 counts as 0: the parent holds the area then
       j.status,
       CASE WHEN j.placeholder THEN 'not yet formed' ELSE j.null_reason END AS null_reason,
       j.unit,
       CASE WHEN r.successor IS NOT NULL THEN 'harmonized' ELSE j.value_origin END AS value_origin,
       j.source_table, j.source_updated, j.fetched_at, j.landing_sha256, j.loaded_run_id
FROM judged j
JOIN core.region r USING (region_code)
-- a source with both a retired and today's code for one key (none known): today's code wins
QUALIFY row_number() OVER (PARTITION BY j.source_id, j.indicator_id, coalesce(r.successor, j.region_code),
                                        j.period, j.sex, j.age, j.breakdown
                           ORDER BY r.successor IS NULL DESC) = 1;

CREATE OR REPLACE TEMP TABLE harmonize_county_published AS
SELECT d.*,
       NOT EXISTS (SELECT 1 FROM core.region_change c
                   WHERE c.change_type = 'county_transfer'
                     AND c.effective_date > d.period_end + INTERVAL 1 DAY
                     AND d.region_code IN (c.county_code, c.from_county)) AS on_current_borders
FROM harmonize_dated d
JOIN core.region r USING (region_code)
WHERE r.level = 'county';

CREATE OR REPLACE TEMP TABLE harmonize_county_summed AS
WITH members AS (
    SELECT county_code, count(*) AS municipalities
    FROM core.region WHERE level = 'municipality' AND valid_to IS NULL GROUP BY county_code
)
SELECT m.source_id, m.indicator_id, t.county_code AS region_code, m.period, any_value(m.period_type) AS period_type,
       any_value(m.year) AS year, m.sex, m.age, m.breakdown,
       CASE WHEN count(m.value_for_sums) = count(*) THEN sum(m.value_for_sums) END AS value,
       CAST(NULL AS VARCHAR) AS status,  -- no source said anything about a sum we made
       CASE WHEN count(m.value_for_sums) < count(*) THEN 'incomplete inputs' END AS null_reason,
       any_value(m.unit) AS unit, any_value(m.source_table) AS source_table, max(m.source_updated) AS source_updated,
       max(m.fetched_at) AS fetched_at, min(m.landing_sha256) AS landing_sha256, max(m.loaded_run_id) AS loaded_run_id,
       count(*) AS municipalities_summed
FROM harmonize_municipal m
JOIN core.region t ON t.region_code = m.region_code AND t.level = 'municipality' AND t.valid_to IS NULL
JOIN core.indicator i ON i.indicator_id = m.indicator_id AND i.additive
JOIN members USING (county_code)
GROUP BY m.source_id, m.indicator_id, t.county_code, m.period, m.sex, m.age, m.breakdown
HAVING count(DISTINCT m.region_code) = any_value(members.municipalities);
