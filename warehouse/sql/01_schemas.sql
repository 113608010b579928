-- Layers of the warehouse (like dbt's staging -> core -> marts):
--   audit : what each run fetched, landed, rejected, loaded and published
--   core  : every loaded observation per source (idempotent MERGE target) and the region model
--   main  : what analysts query: region, observation, indicator, readable views (rebuilt by publish)
CREATE SCHEMA IF NOT EXISTS audit;
CREATE SCHEMA IF NOT EXISTS core;

CREATE TABLE IF NOT EXISTS audit.landing (
    run_id          VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    source_table    VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,      -- metadata | data
    url             VARCHAR NOT NULL,
    method          VARCHAR NOT NULL,
    request_body    VARCHAR,
    http_status     INTEGER NOT NULL,
    content_type    VARCHAR,
    sha256          VARCHAR NOT NULL,
    bytes           BIGINT NOT NULL,
    source_updated  VARCHAR,
    fetched_at      VARCHAR NOT NULL,
    path            VARCHAR NOT NULL,
    loaded_run_id   VARCHAR,               -- the run whose load included this data response; NULL: not loaded
    PRIMARY KEY (path)
);
-- Warehouses created before loaded_run_id existed get the column (NULL: the next run loads them again, once).
ALTER TABLE audit.landing ADD COLUMN IF NOT EXISTS loaded_run_id VARCHAR;
-- When the landing's retention removed the body (metadata answers only; data answers are kept).
ALTER TABLE audit.landing ADD COLUMN IF NOT EXISTS pruned_at TIMESTAMPTZ;

CREATE TABLE IF NOT EXISTS audit.run (
    run_id          VARCHAR PRIMARY KEY,
    flow            VARCHAR NOT NULL,
    parameters      VARCHAR,
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    status          VARCHAR NOT NULL,      -- completed | failed | terminated | interrupted | unreachable | refused
    calls           INTEGER,
    message         VARCHAR
);
-- The attempt in the run log (warehouse/<name>.runs.jsonl) and the command that started it.
ALTER TABLE audit.run ADD COLUMN IF NOT EXISTS attempt_id VARCHAR;
ALTER TABLE audit.run ADD COLUMN IF NOT EXISTS command VARCHAR;
-- Whether the run rebuilt main.*, and a digest of what that build read besides core.observation (config, SQL).
ALTER TABLE audit.run ADD COLUMN IF NOT EXISTS published BOOLEAN;
ALTER TABLE audit.run ADD COLUMN IF NOT EXISTS publish_inputs VARCHAR;

CREATE TABLE IF NOT EXISTS audit.batch (
    run_id          VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    source_table    VARCHAR NOT NULL,
    periods         VARCHAR,               -- first..last period fetched
    source_updated  VARCHAR,
    calls           INTEGER NOT NULL,
    rows_fetched    BIGINT NOT NULL,
    rows_rejected   BIGINT NOT NULL,
    rows_loaded     BIGINT NOT NULL,       -- inserted or changed by the idempotent merge
    rows_published  BIGINT,
    validation      VARCHAR NOT NULL,      -- passed | failed | not run
    status          VARCHAR NOT NULL,      -- loaded | unchanged | skipped | quarantined | failed
    message         VARCHAR,
    duration_s      DOUBLE NOT NULL,
    PRIMARY KEY (run_id, source_id)
);
-- What identifies the source's data as loaded (SCB: its updated stamp; Kolada: publication dates and the request).
ALTER TABLE audit.batch ADD COLUMN IF NOT EXISTS version VARCHAR;
