-- The region dimension analysts join on: the seven ÖMS counties and their 88 municipalities (today's borders),
-- with validity dates from the change history, retired codes (Heby's 1917), and the history itself.
CREATE OR REPLACE TABLE main.region AS
SELECT region_code, region_name, short_name, level, county_code, kolada_id, nuts3, nuts2, valid_from, valid_to,
       valid_to IS NULL AS is_current,  -- today's 7 counties and 88 municipalities: WHERE is_current
       successor AS successor_code
FROM core.region
ORDER BY region_code;

CREATE OR REPLACE TABLE main.region_change AS
SELECT * FROM core.region_change ORDER BY effective_date, region_code;
