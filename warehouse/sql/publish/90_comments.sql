-- The data dictionary, kept in the warehouse itself: a description on every published table, view and column.
-- Runs last on every publish because CREATE OR REPLACE drops an object's comments. `oms dictionary` turns these
-- into docs/DATA_DICTIONARY.md, and every Parquet export carries the same text as dictionary.md.
-- A new column in main.* needs a line here: tests/publish/test_dictionary.py fails on any column without one.
-- A column dropped or renamed upstream makes its line here fail with a Binder Error: update it here as well.

-- main.region --------------------------------------------------------------------------------------------------
COMMENT ON TABLE main.region IS 'Every region code the data uses, one row each: the 7 ÖMS counties and their 88 municipalities on today''s borders (valid_to NULL), plus any retired code older tables carry. Join on region_code.';
COMMENT ON COLUMN main.region.region_code IS 'SCB region code: 2 digits for a county (01 Stockholm … 21 Gävleborg), 4 digits for a municipality (first two = its county).';
COMMENT ON COLUMN main.region.region_name IS 'Official Swedish name, e.g. ''Uppsala län'', ''Knivsta kommun''.';
COMMENT ON COLUMN main.region.short_name IS 'Name without ''län''/''kommun'', for charts and tables.';
COMMENT ON COLUMN main.region.level IS '''county'' or ''municipality''.';
COMMENT ON COLUMN main.region.county_code IS 'Code of the county the region belongs to today (a county''s own code for a county).';
COMMENT ON COLUMN main.region.kolada_id IS 'The region''s id in Kolada: the municipality code, or ''00'' + county code for a county (0001 = Stockholm county).';
COMMENT ON COLUMN main.region.nuts3 IS 'Eurostat NUTS 3 code (NUTS 2008 and later), e.g. SE121; one per county.';
COMMENT ON COLUMN main.region.nuts2 IS 'Eurostat NUTS 2 code, e.g. SE12 (Östra Mellansverige); Stockholm SE11 and Gävleborg SE31 lie outside SE12.';
COMMENT ON COLUMN main.region.valid_from IS 'First day the code existed with today''s area (from main.region_change); NULL: unchanged since before 1971. Values for earlier periods are NULL in main.observation.';
COMMENT ON COLUMN main.region.valid_to IS 'Last day the code was in use (e.g. Heby''s old code 1917, until the 2007 move to Uppsala county); NULL: in use today.';

-- main.region_change -------------------------------------------------------------------------------------------
COMMENT ON TABLE main.region_change IS 'Municipality splits and county transfers since 1971 that touch the 7 counties (Knivsta 2003, Heby 2007, …): why a series starts late or moves county.';
COMMENT ON COLUMN main.region_change.effective_date IS 'Date the change took effect (always 1 January).';
COMMENT ON COLUMN main.region_change.change_type IS '''split'': a new municipality formed out of another; ''county_transfer'': a municipality moved to another county and got a new code.';
COMMENT ON COLUMN main.region_change.region_code IS 'Code of the municipality after the change (today''s code, as in main.region).';
COMMENT ON COLUMN main.region_change.region_name IS 'Short name of the municipality after the change.';
COMMENT ON COLUMN main.region_change.from_code IS 'For a split: the municipality it was formed out of; for a county transfer: its code before the move.';
COMMENT ON COLUMN main.region_change.county_code IS 'County the municipality belongs to after the change.';
COMMENT ON COLUMN main.region_change.from_county IS 'County before a transfer; NULL for a split (same county).';
COMMENT ON COLUMN main.region_change.note IS 'One line on what happened, in English.';

-- main.observation ---------------------------------------------------------------------------------------------
COMMENT ON TABLE main.observation IS 'Every published figure, tidy: one row per indicator, region, period, sex, age and breakdown, with unit, missing-value status and lineage back to the raw SCB/Kolada answer. Where two sources give the same key, the most recently updated source wins.';
COMMENT ON COLUMN main.observation.indicator_id IS 'What is measured, e.g. ''population''; see main.indicator (when published) or config/indicators.yaml.';
COMMENT ON COLUMN main.observation.region_code IS 'SCB region code on today''s borders; join main.region.';
COMMENT ON COLUMN main.observation.region_name IS 'Official name of the region (from main.region).';
COMMENT ON COLUMN main.observation.level IS '''county'' or ''municipality''.';
COMMENT ON COLUMN main.observation.county_code IS 'Code of the county the region belongs to today.';
COMMENT ON COLUMN main.observation.period IS 'Period as SCB writes it: ''2024'' (year), ''2024K3'' (quarter), ''2026M04'' (month). Stock figures refer to the end of the period.';
COMMENT ON COLUMN main.observation.period_type IS '''year'', ''quarter'' or ''month''.';
COMMENT ON COLUMN main.observation.year IS 'Calendar year of the period.';
COMMENT ON COLUMN main.observation.sex IS '''total'', ''men'' or ''women'' (one vocabulary for all sources, config/codes.yaml).';
COMMENT ON COLUMN main.observation.age IS 'Age or age group in years: ''total'' (all ages), a group such as ''20-29'', an open top group ''100+'', or a single year such as ''38''. Groups differ between sources: do not sum across them.';
COMMENT ON COLUMN main.observation.breakdown IS 'Any further dimension as ''name=code'' (e.g. ''marital status=G''); empty string: no breakdown (the total).';
COMMENT ON COLUMN main.observation.value IS 'The figure, in unit. NULL when the source marks it missing or the region did not exist yet: status says which. Never 0 for missing.';
COMMENT ON COLUMN main.observation.unit IS 'Unit of value, e.g. ''persons'', ''SEK thousand per inhabitant'' (from the indicator catalogue, config/indicators.yaml).';
COMMENT ON COLUMN main.observation.status IS 'Why value is NULL: SCB''s symbol (''..'' = not available, ''-'' = nothing to report, …) or ''not yet formed'' for a municipality before its code existed (see main.region_change). NULL: value is a normal figure.';
COMMENT ON COLUMN main.observation.value_origin IS '''as_published'': the source''s own figure; ''derived'': computed here (e.g. all ages summed from the age groups); ''harmonized'': recomputed on today''s borders.';
COMMENT ON COLUMN main.observation.source_id IS 'The configured source that delivered the row (config/sources/*.yaml; see main.published_sources).';
COMMENT ON COLUMN main.observation.source_table IS 'Where the figure comes from: an SCB table id such as ''TAB6471'' (Statistikdatabasen), or ''Kolada'' and the KPI id(s).';
COMMENT ON COLUMN main.observation.source_updated IS 'Version of the source when fetched: SCB''s ''updated'' stamp of the table (ISO 8601, UTC) or Kolada''s publication date. NULL: the source gives none.';
COMMENT ON COLUMN main.observation.fetched_at IS 'When the raw answer was fetched (ISO 8601, UTC).';
COMMENT ON COLUMN main.observation.landing_sha256 IS 'SHA-256 of the raw answer stored under data/landing/; audit.landing maps it to the file and request.';
COMMENT ON COLUMN main.observation.loaded_run_id IS 'The pipeline run that last inserted or changed the row (audit.run).';

-- main.population_by_region_year -------------------------------------------------------------------------------
COMMENT ON VIEW main.population_by_region_year IS 'Total population per region and year (all ages, both sexes): the 31 December figure where there is one, else the latest month of the year (see as_of_period).';
COMMENT ON COLUMN main.population_by_region_year.region_code IS 'SCB region code on today''s borders; join main.region.';
COMMENT ON COLUMN main.population_by_region_year.region_name IS 'Official name of the region.';
COMMENT ON COLUMN main.population_by_region_year.level IS '''county'' or ''municipality''.';
COMMENT ON COLUMN main.population_by_region_year.county_code IS 'Code of the county the region belongs to today.';
COMMENT ON COLUMN main.population_by_region_year.year IS 'Calendar year.';
COMMENT ON COLUMN main.population_by_region_year.population IS 'Registered residents (persons). NULL when missing at the source or before the municipality existed.';
COMMENT ON COLUMN main.population_by_region_year.as_of_period IS 'The period the figure is for: the year itself (31 December) or a month such as ''2026M04'' for a year not yet complete.';
COMMENT ON COLUMN main.population_by_region_year.value_origin IS '''as_published'', ''derived'' (summed here from age groups) or ''harmonized'' (today''s borders).';
COMMENT ON COLUMN main.population_by_region_year.source_table IS 'The source table id, e.g. SCB TAB5557 or TAB6471.';
COMMENT ON COLUMN main.population_by_region_year.source_updated IS 'Version of the source table when fetched (SCB''s ''updated'' stamp, ISO 8601 UTC).';

-- main.population_by_sex_age -----------------------------------------------------------------------------------
COMMENT ON VIEW main.population_by_sex_age IS 'Population by sex and age for every period the sources publish, without further breakdowns. Age groups differ by source: filter on source_table or age before summing.';
COMMENT ON COLUMN main.population_by_sex_age.region_code IS 'SCB region code on today''s borders; join main.region.';
COMMENT ON COLUMN main.population_by_sex_age.region_name IS 'Official name of the region.';
COMMENT ON COLUMN main.population_by_sex_age.level IS '''county'' or ''municipality''.';
COMMENT ON COLUMN main.population_by_sex_age.period IS '''2024'' (31 December), ''2024K3'' or ''2026M04'' (end of month).';
COMMENT ON COLUMN main.population_by_sex_age.period_type IS '''year'', ''quarter'' or ''month''.';
COMMENT ON COLUMN main.population_by_sex_age.sex IS '''total'', ''men'' or ''women''.';
COMMENT ON COLUMN main.population_by_sex_age.age IS '''total'', an age group such as ''20-29'' or ''100+'', or a single year.';
COMMENT ON COLUMN main.population_by_sex_age.population IS 'Registered residents (persons); NULL when missing (see status).';
COMMENT ON COLUMN main.population_by_sex_age.status IS 'Why population is NULL: ''..'' = not available, ''-'' = nothing to report, ''not yet formed'' = before the municipality existed; NULL: a normal figure.';
COMMENT ON COLUMN main.population_by_sex_age.source_table IS 'The source table id, e.g. SCB TAB6471.';

-- main.published_sources ---------------------------------------------------------------------------------------
COMMENT ON VIEW main.published_sources IS 'What is published per source and indicator: row counts, period range and freshness. The first thing to check after a run.';
COMMENT ON COLUMN main.published_sources.source_id IS 'The configured source (config/sources/*.yaml).';
COMMENT ON COLUMN main.published_sources.source_table IS 'The source''s table id at SCB or Kolada.';
COMMENT ON COLUMN main.published_sources.indicator_id IS 'The indicator the rows measure.';
COMMENT ON COLUMN main.published_sources.rows IS 'Rows in main.observation from this source and indicator (rows another source won are not counted).';
COMMENT ON COLUMN main.published_sources.rows_with_value IS 'Of those, rows whose value is not NULL.';
COMMENT ON COLUMN main.published_sources.first_period IS 'Earliest period published (SCB period code; sorts as text within one period type).';
COMMENT ON COLUMN main.published_sources.last_period IS 'Latest period published.';
COMMENT ON COLUMN main.published_sources.source_updated IS 'Newest version stamp of the source among the rows (SCB ''updated'', ISO 8601 UTC; Kolada publication date).';
COMMENT ON COLUMN main.published_sources.fetched_at IS 'When the newest of these rows was fetched (ISO 8601, UTC).';
