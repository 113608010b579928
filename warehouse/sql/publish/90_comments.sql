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
COMMENT ON COLUMN main.region.successor_code IS 'For a retired code: today''s code for the same area (1917 -> 0331, Heby); its figures are published under that code. NULL for codes in use.';
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
COMMENT ON TABLE main.observation IS 'Every published figure, tidy: one row per indicator, region, period, sex, age and breakdown, with unit, missing-value status and lineage back to the raw SCB/Kolada answer, on today''s borders where the sources allow (see borders). Where two sources give the same key: today''s borders first, then a source''s own figure over a sum of municipalities, then the most recently updated source.';
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
COMMENT ON COLUMN main.observation.value_origin IS '''as_published'': the source''s own figure; ''derived'': computed here from the source''s figures (e.g. all ages summed from the age groups, or a share); ''harmonized'': put on today''s borders by this pipeline: a county summed from today''s member municipalities, or a municipality''s figure moved from its retired code (Heby 1917 -> 0331).';
COMMENT ON COLUMN main.observation.borders IS '''current'': the figure is for the region within today''s borders; ''as of period'': a county figure as published on the borders of its time, kept because no sum of today''s municipalities was possible (see main.county_harmonization).';
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

-- main.county_harmonization ------------------------------------------------------------------------------------
COMMENT ON TABLE main.county_harmonization IS 'Each county figure both ways where a source gives both: as published and summed from today''s member municipalities. The difference shows what a border change (Heby moved to Uppsala county in 2007) or SCB''s random noise (from 2025) moves.';
COMMENT ON COLUMN main.county_harmonization.indicator_id IS 'The indicator (main.indicator); only additive ones (counts) are summed.';
COMMENT ON COLUMN main.county_harmonization.region_code IS 'County code.';
COMMENT ON COLUMN main.county_harmonization.region_name IS 'County name.';
COMMENT ON COLUMN main.county_harmonization.period IS 'Period as SCB writes it.';
COMMENT ON COLUMN main.county_harmonization.sex IS '''total'', ''men'' or ''women''.';
COMMENT ON COLUMN main.county_harmonization.age IS 'Age or age group, as in main.observation.';
COMMENT ON COLUMN main.county_harmonization.breakdown IS 'Further dimension as ''name=code''; empty: none.';
COMMENT ON COLUMN main.county_harmonization.published_value IS 'The county figure as the source published it.';
COMMENT ON COLUMN main.county_harmonization.published_borders IS '''current'' or ''as of period'' (a county transfer took effect after the period).';
COMMENT ON COLUMN main.county_harmonization.summed_value IS 'The sum of the county''s municipalities within today''s borders, from the same source.';
COMMENT ON COLUMN main.county_harmonization.municipalities_summed IS 'How many municipalities were summed (all of today''s members).';
COMMENT ON COLUMN main.county_harmonization.difference IS 'summed_value minus published_value.';
COMMENT ON COLUMN main.county_harmonization.source_id IS 'The configured source of both figures.';
COMMENT ON COLUMN main.county_harmonization.source_table IS 'SCB table id of the source.';

-- main.indicator ---------------------------------------------------------------------------------------------------
COMMENT ON TABLE main.indicator IS 'The indicator catalogue (config/indicators.yaml): what each indicator measures, in which unit, for which ÖMS 2050 focus area, from which sources, and how far its published series reaches.';
COMMENT ON COLUMN main.indicator.indicator_id IS 'Indicator id, as in main.observation.indicator_id.';
COMMENT ON COLUMN main.indicator.name_sv IS 'Name in Swedish.';
COMMENT ON COLUMN main.indicator.name_en IS 'Name in English.';
COMMENT ON COLUMN main.indicator.description_sv IS 'What is measured and how, in Swedish.';
COMMENT ON COLUMN main.indicator.description_en IS 'What is measured and how, in English.';
COMMENT ON COLUMN main.indicator.unit IS 'Unit of every value of the indicator.';
COMMENT ON COLUMN main.indicator.focus_area IS 'ÖMS 2050 focus area id (e.g. labour_education_housing, digital_infrastructure).';
COMMENT ON COLUMN main.indicator.focus_area_sv IS 'Focus area in Swedish.';
COMMENT ON COLUMN main.indicator.focus_area_en IS 'Focus area in English.';
COMMENT ON COLUMN main.indicator.additive IS 'true: a county''s value is the sum of its municipalities'' (counts), so county series are rebuilt on today''s borders; false for rates, shares, medians and per-capita figures.';
COMMENT ON COLUMN main.indicator.source_ids IS 'The configured sources that feed the indicator (config/sources/*.yaml).';
COMMENT ON COLUMN main.indicator.source_tables IS 'SCB table ids or Kolada KPIs behind it.';
COMMENT ON COLUMN main.indicator.frequency IS 'How often the sources publish: yearly, quarterly or monthly.';
COMMENT ON COLUMN main.indicator.observations IS 'Published rows of the indicator in main.observation (0: declared, nothing published yet, e.g. a live-only source on an offline run).';
COMMENT ON COLUMN main.indicator.first_period IS 'Earliest published period.';
COMMENT ON COLUMN main.indicator.last_period IS 'Latest published period.';

-- main.indicator_by_region_year --------------------------------------------------------------------------------
COMMENT ON VIEW main.indicator_by_region_year IS 'Every indicator per region and year, headline rows only (both sexes, no breakdown), with names, unit and focus area: the first place to look for a figure.';
COMMENT ON COLUMN main.indicator_by_region_year.focus_area IS 'ÖMS 2050 focus area (English).';
COMMENT ON COLUMN main.indicator_by_region_year.indicator_id IS 'Indicator id (main.indicator).';
COMMENT ON COLUMN main.indicator_by_region_year.indicator IS 'Indicator name in English.';
COMMENT ON COLUMN main.indicator_by_region_year.indikator IS 'Indicator name in Swedish.';
COMMENT ON COLUMN main.indicator_by_region_year.region_code IS 'SCB region code on today''s borders.';
COMMENT ON COLUMN main.indicator_by_region_year.region_name IS 'Official name of the region.';
COMMENT ON COLUMN main.indicator_by_region_year.level IS '''county'' or ''municipality''.';
COMMENT ON COLUMN main.indicator_by_region_year.county_code IS 'Code of the county the region belongs to today.';
COMMENT ON COLUMN main.indicator_by_region_year.year IS 'Calendar year.';
COMMENT ON COLUMN main.indicator_by_region_year.age IS 'Age group the indicator is measured for (''total'' = all ages; e.g. ''20-64'' for the employment rate).';
COMMENT ON COLUMN main.indicator_by_region_year.value IS 'The figure, in unit; NULL when missing (see status).';
COMMENT ON COLUMN main.indicator_by_region_year.unit IS 'Unit of value.';
COMMENT ON COLUMN main.indicator_by_region_year.status IS 'Why value is NULL (''..'', ''not yet formed'', …); NULL for a normal figure.';
COMMENT ON COLUMN main.indicator_by_region_year.value_origin IS '''as_published'', ''derived'' or ''harmonized'' (see main.observation).';
COMMENT ON COLUMN main.indicator_by_region_year.borders IS '''current'' or ''as of period'' (see main.observation).';
COMMENT ON COLUMN main.indicator_by_region_year.source_table IS 'SCB table id or Kolada KPIs.';
