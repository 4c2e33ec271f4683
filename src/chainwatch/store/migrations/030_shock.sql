-- shock: saved scenario runs and their results, for listing and comparison (migration 030).
CREATE TABLE IF NOT EXISTS shock_run (
    name           VARCHAR PRIMARY KEY,
    created_at     TIMESTAMP NOT NULL,
    actor          VARCHAR,
    model          VARCHAR NOT NULL,        -- cascade | leontief | ghosh | iim
    scenario       VARCHAR NOT NULL,        -- the validated scenario, JSON
    horizon_months INTEGER,
    base_output    DOUBLE,                  -- 万元 (cascade) or table units (IO)
    output_lost    DOUBLE,
    lost_pct       DOUBLE,
    affected       INTEGER                  -- enterprises (cascade) or sectors (IO) affected
);
CREATE TABLE IF NOT EXISTS shock_result (
    name        VARCHAR NOT NULL,           -- shock_run.name
    level       VARCHAR NOT NULL,           -- month | firm | segment | chain | district | sector
    key         VARCHAR NOT NULL,
    label       VARCHAR,
    base_output DOUBLE,
    output_lost DOUBLE,
    lost_pct    DOUBLE,
    PRIMARY KEY (name, level, key)
);
