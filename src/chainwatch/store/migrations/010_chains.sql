-- chainwatch chain maps (migration 010): segment weights, the bottleneck register
-- (关键核心技术攻关清单) with its history, and the external enterprise directory used for
-- investment attraction (补链招商).

-- optional expert or national-output weight of a segment, for weighted coverage (risk-methods §1.4)
CREATE TABLE IF NOT EXISTS segment_weight (
    segment_id VARCHAR PRIMARY KEY,
    weight     DOUBLE NOT NULL
);

-- one technology / bottleneck item of the register
CREATE TABLE IF NOT EXISTS bottleneck_item (
    item_id      VARCHAR PRIMARY KEY,          -- 'BN-0001'
    title        VARCHAR NOT NULL,
    title_en     VARCHAR,
    kind         VARCHAR NOT NULL DEFAULT 'technology',   -- technology | missing_link | weak_link
    chain_id     VARCHAR,
    segment_id   VARCHAR,
    description  VARCHAR,
    owner        VARCHAR,                      -- responsible unit or person (牵头单位/责任人)
    status       VARCHAR NOT NULL DEFAULT 'open',  -- open | in_progress | done | dropped
    priority     VARCHAR NOT NULL DEFAULT 'medium', -- high | medium | low
    target_date  DATE,
    created_at   TIMESTAMP NOT NULL,
    created_by   VARCHAR NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
-- enterprises working on an item (攻关企业) or affected by it
CREATE TABLE IF NOT EXISTS bottleneck_enterprise (
    item_id  VARCHAR NOT NULL,
    uscc     VARCHAR NOT NULL,
    role     VARCHAR NOT NULL DEFAULT 'lead',  -- lead | participant | affected
    PRIMARY KEY (item_id, uscc)
);
-- every change of an item: one row per changed field
CREATE TABLE IF NOT EXISTS bottleneck_history (
    item_id    VARCHAR NOT NULL,
    ts         TIMESTAMP NOT NULL,
    actor      VARCHAR NOT NULL,
    field      VARCHAR NOT NULL,
    old_value  VARCHAR,
    new_value  VARCHAR,
    note       VARCHAR
);

-- enterprises outside the city that could fill a missing or weak segment
CREATE TABLE IF NOT EXISTS invest_directory (
    ext_id      VARCHAR PRIMARY KEY,           -- stable hash of name + region
    name        VARCHAR NOT NULL,
    region      VARCHAR,                       -- NBS code or free text (province / city)
    country     VARCHAR NOT NULL DEFAULT 'CHN',
    hs_codes    VARCHAR NOT NULL,              -- ';'-separated HS codes
    products    VARCHAR,                       -- free-text product keywords
    revenue     DOUBLE,                        -- 万元
    employees   DOUBLE,
    size_class  VARCHAR,                       -- large | medium | small | micro
    contact     VARCHAR,
    source      VARCHAR,
    file_name   VARCHAR,
    imported_at TIMESTAMP NOT NULL
);
