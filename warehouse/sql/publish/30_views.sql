-- Readable views on top of main.observation.

-- Total population per region and year: the year-end figure where there is one, else the latest month of the
-- year (as_of_period says which).
CREATE OR REPLACE VIEW main.population_by_region_year AS
SELECT region_code, region_name, level, county_code, year, value AS population, period AS as_of_period,
       value_origin, source_table, source_updated
FROM main.observation
WHERE indicator_id = 'population' AND sex = 'total' AND age = 'total' AND breakdown = ''
QUALIFY row_number() OVER (PARTITION BY region_code, year
                           ORDER BY (period_type = 'year') DESC, period DESC) = 1
ORDER BY region_code, year;

-- Population by sex and age group, every period the sources publish.
CREATE OR REPLACE VIEW main.population_by_sex_age AS
SELECT region_code, region_name, level, period, period_type, sex, age, value AS population, status, null_reason,
       source_table
FROM main.observation
WHERE indicator_id = 'population' AND breakdown = ''
ORDER BY region_code, period, sex, age;

-- What is published, per source: rows, periods and freshness. The first thing to look at after a run.
CREATE OR REPLACE VIEW main.published_sources AS
SELECT source_id, source_table, indicator_id, count(*) AS rows, count(value) AS rows_with_value,
       min(period) AS first_period, max(period) AS last_period, max(source_updated) AS source_updated,
       max(fetched_at) AS fetched_at
FROM main.observation
GROUP BY ALL
ORDER BY source_id, indicator_id;

-- Every indicator per region and year in one readable list: the headline rows (both sexes, no breakdown), with the
-- indicator's name, unit and ÖMS 2050 focus area. The first place to look for a figure.
CREATE OR REPLACE VIEW main.indicator_by_region_year AS
SELECT i.focus_area_en AS focus_area, o.indicator_id, i.name_en AS indicator, i.name_sv AS indikator,
       o.region_code, o.region_name, o.level, o.county_code, o.year, o.age, o.value, o.unit, o.status,
       o.null_reason, o.value_origin, o.borders, o.source_table
FROM main.observation o
JOIN main.indicator i USING (indicator_id)
WHERE o.period_type = 'year' AND o.sex = 'total' AND o.breakdown = ''
ORDER BY i.focus_area, o.indicator_id, o.region_code, o.year, o.age;
