-- Demo city (migration 005): what the synthetic generator planted, kept apart from the data itself.
-- These tables are empty in a real database; `chainwatch demo` and the benchmark builder fill them.

-- key/value description of a generated database: synthetic = 'true', seed, parameters, generator version
CREATE TABLE IF NOT EXISTS demo_info (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);

-- enterprises the generator put in a known state:
--   kind = decline (sustained fall of output), loss (profits turn to losses),
--          power_divergence (electricity use falls while reported output does not),
--          chain_leader (planted 链主), closure (stops operating; last period in detail)
CREATE TABLE IF NOT EXISTS demo_truth_enterprise (
    uscc          VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    start_period  VARCHAR,             -- 'YYYY-MM' when the condition starts (NULL for timeless kinds)
    detail        VARCHAR,             -- JSON: parameters (monthly rate, chain_id ...)
    PRIMARY KEY (uscc, kind)
);

-- segments with a planted structural weakness:
--   kind = single_local_supplier (exactly one local producer), missing_link (no local producer),
--          import_dependent (most external purchases come from abroad)
CREATE TABLE IF NOT EXISTS demo_truth_segment (
    segment_id  VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    detail      VARCHAR,
    PRIMARY KEY (segment_id, kind)
);
