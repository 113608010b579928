-- Every observation ever loaded, one row per source and key. Loads MERGE into it, so reruns and backfills over
-- loaded years change nothing but revised values; nothing is deleted.
CREATE TABLE IF NOT EXISTS core.observation (
    source_id       VARCHAR NOT NULL,
    indicator_id    VARCHAR NOT NULL,
    region_code     VARCHAR NOT NULL,
    period          VARCHAR NOT NULL,
    sex             VARCHAR NOT NULL,
    age             VARCHAR NOT NULL,
    breakdown       VARCHAR NOT NULL,
    value           DOUBLE,                -- NULL when SCB marks the cell missing (see status)
    status          VARCHAR,               -- the source's own symbol for the value, as given ('..', '-', ...)
    unit            VARCHAR NOT NULL,
    value_origin    VARCHAR NOT NULL,      -- as_published | derived (e.g. summed age groups) | harmonized
    source_table    VARCHAR NOT NULL,
    source_updated  VARCHAR,
    fetched_at      VARCHAR NOT NULL,
    landing_sha256  VARCHAR NOT NULL,
    loaded_run_id   VARCHAR NOT NULL,
    PRIMARY KEY (source_id, indicator_id, region_code, period, sex, age, breakdown)
);
-- Why value is NULL, in our words (missing in source | incomplete inputs | deleted in source); warehouses from before
-- it get the column and fill it for rows a source left without a number.
ALTER TABLE core.observation ADD COLUMN IF NOT EXISTS null_reason VARCHAR;
UPDATE core.observation SET null_reason = 'missing in source' WHERE value IS NULL AND null_reason IS NULL;

CREATE TABLE IF NOT EXISTS core.region (
    region_code     VARCHAR PRIMARY KEY,
    region_name     VARCHAR NOT NULL,
    short_name      VARCHAR NOT NULL,
    level           VARCHAR NOT NULL,      -- county | municipality
    county_code     VARCHAR NOT NULL,
    kolada_id       VARCHAR NOT NULL,
    nuts3           VARCHAR,
    nuts2           VARCHAR,
    valid_from      DATE,                  -- NULL: since before 1971
    valid_to        DATE                   -- NULL: still valid
);

-- Warehouses from before retired codes were kept (Heby's 1917) get the column; the region model is rewritten whole
-- on every publish.
ALTER TABLE core.region ADD COLUMN IF NOT EXISTS successor VARCHAR;

-- The indicator catalogue (config/indicators.yaml) and which sources feed each indicator (config/sources/*.yaml),
-- rewritten whole on every publish.
CREATE TABLE IF NOT EXISTS core.indicator (
    indicator_id    VARCHAR PRIMARY KEY,
    name_sv         VARCHAR NOT NULL,
    name_en         VARCHAR NOT NULL,
    description_sv  VARCHAR NOT NULL,
    description_en  VARCHAR NOT NULL,
    unit            VARCHAR NOT NULL,
    focus_area      VARCHAR NOT NULL,
    focus_area_sv   VARCHAR NOT NULL,
    focus_area_en   VARCHAR NOT NULL,
    additive        BOOLEAN NOT NULL       -- county = sum of its municipalities (counts); false for rates, medians
);

CREATE TABLE IF NOT EXISTS core.indicator_source (
    indicator_id    VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    api             VARCHAR NOT NULL,      -- pxweb (SCB) | kolada
    source_table    VARCHAR NOT NULL,
    source_code     VARCHAR NOT NULL,      -- the content code (SCB) or KPI (Kolada) the indicator is read from
    title           VARCHAR NOT NULL,
    frequency       VARCHAR NOT NULL,
    only_on         VARCHAR                -- replay | live | NULL (both)
);

CREATE TABLE IF NOT EXISTS core.region_change (
    effective_date  DATE NOT NULL,
    change_type     VARCHAR NOT NULL,      -- split | county_transfer
    region_code     VARCHAR NOT NULL,
    region_name     VARCHAR NOT NULL,
    from_code       VARCHAR NOT NULL,
    county_code     VARCHAR NOT NULL,
    from_county     VARCHAR,
    note            VARCHAR
);
