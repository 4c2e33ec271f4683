-- chainwatch core schema (migration 001).
-- Conventions: every code is VARCHAR; money is DOUBLE in the canonical unit 万元 (10,000 CNY);
-- periods are 'YYYY-MM' strings plus integer year/month; batch_id points at import_batch.

CREATE TABLE IF NOT EXISTS import_batch (
    batch_id      INTEGER PRIMARY KEY,
    kind          VARCHAR NOT NULL,
    file_name     VARCHAR NOT NULL,
    file_sha256   VARCHAR NOT NULL,
    imported_at   TIMESTAMP NOT NULL,
    actor         VARCHAR,
    source_unit   VARCHAR,
    rows_total    INTEGER NOT NULL,
    rows_accepted INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    rows_inserted INTEGER NOT NULL,
    rows_revised  INTEGER NOT NULL,
    rows_unchanged INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS audit_log (
    ts       TIMESTAMP NOT NULL,
    actor    VARCHAR NOT NULL,
    action   VARCHAR NOT NULL,
    object   VARCHAR,
    detail   VARCHAR
);

-- reference tables
CREATE TABLE IF NOT EXISTS region (
    code     VARCHAR PRIMARY KEY,      -- NBS statistical division code, 2/4/6/9 digits
    name     VARCHAR NOT NULL,
    level    INTEGER NOT NULL,         -- 1 province, 2 prefecture, 3 county, 4 township
    parent   VARCHAR,
    batch_id INTEGER
);
CREATE TABLE IF NOT EXISTS industry (
    code     VARCHAR PRIMARY KEY,      -- section letter, or 2/3/4-digit GB/T 4754-2017 code
    level    INTEGER NOT NULL,         -- 1 section, 2 division, 3 group, 4 class
    section  VARCHAR NOT NULL,
    parent   VARCHAR,
    name_zh  VARCHAR NOT NULL,
    name_en  VARCHAR
);
CREATE TABLE IF NOT EXISTS hs_code (
    code        VARCHAR PRIMARY KEY,   -- 2/4/6 digits (HS 2022)
    level       INTEGER NOT NULL,
    section     VARCHAR,
    parent      VARCHAR,
    description VARCHAR,
    batch_id    INTEGER
);

-- enterprises
CREATE TABLE IF NOT EXISTS enterprise (
    uscc       VARCHAR PRIMARY KEY,    -- 18-char 统一社会信用代码, checksum-valid
    name       VARCHAR NOT NULL,
    district   VARCHAR NOT NULL,       -- 6-digit NBS code
    industry   VARCHAR NOT NULL,       -- GB/T 4754-2017 code, 2-4 digits
    division   VARCHAR NOT NULL,       -- 2-digit division derived from industry
    section    VARCHAR NOT NULL,       -- section letter derived from division
    founded    DATE,
    batch_id   INTEGER
);
-- 规上 membership by year (from the statistical directory 名录, or derived)
CREATE TABLE IF NOT EXISTS enterprise_scope (
    uscc       VARCHAR NOT NULL,
    year       INTEGER NOT NULL,
    above_size BOOLEAN NOT NULL,
    source     VARCHAR NOT NULL DEFAULT 'directory',   -- directory | derived
    batch_id   INTEGER,
    PRIMARY KEY (uscc, year)
);
CREATE TABLE IF NOT EXISTS enterprise_title (
    uscc       VARCHAR NOT NULL,
    title      VARCHAR NOT NULL,       -- high_tech | innovative_sme | sti_sme | zjtx | little_giant | single_champion | ...
    valid_from DATE NOT NULL,
    valid_to   DATE,
    category   VARCHAR,
    batch_id   INTEGER,
    PRIMARY KEY (uscc, title, valid_from)
);

-- monthly enterprise values (current values; old values live in value_revision)
CREATE TABLE IF NOT EXISTS monthly_value (
    uscc          VARCHAR NOT NULL,
    period        VARCHAR NOT NULL,    -- 'YYYY-MM'
    year          INTEGER NOT NULL,
    month         INTEGER NOT NULL,
    gross_output  DOUBLE,              -- 工业总产值, 万元
    value_added   DOUBLE,              -- 工业增加值, 万元
    revenue       DOUBLE,              -- 营业收入, 万元
    total_profit  DOUBLE,              -- 利润总额, 万元
    taxes         DOUBLE,              -- 税金 (profit + taxes = 利税), 万元
    export_value  DOUBLE,              -- 出口交货值, 万元
    electricity   DOUBLE,              -- 用电量, 万千瓦时
    employees     DOUBLE,              -- 从业人员, persons
    batch_id      INTEGER
    -- (uscc, period) is unique: enforced by the importer (no index: bulk loads stay fast)
);
CREATE TABLE IF NOT EXISTS value_revision (
    kind        VARCHAR NOT NULL,      -- import kind
    key         VARCHAR NOT NULL,      -- record key, e.g. 'USCC|2021-03'
    field       VARCHAR NOT NULL,
    old_value   VARCHAR,
    new_value   VARCHAR,
    old_batch   INTEGER,
    new_batch   INTEGER NOT NULL,
    revised_at  TIMESTAMP NOT NULL
);
-- price index (PPI, same period last year = 100) by industry ('*' = all industry)
CREATE TABLE IF NOT EXISTS deflator (
    industry   VARCHAR NOT NULL,
    period     VARCHAR NOT NULL,
    span       VARCHAR NOT NULL,       -- month | cumulative
    index_value DOUBLE NOT NULL,
    batch_id   INTEGER,
    PRIMARY KEY (industry, period, span)
);
-- annual attributes for tier assessment (cultivation.md §9); money in 万元
CREATE TABLE IF NOT EXISTS enterprise_annual (
    uscc               VARCHAR NOT NULL,
    year               INTEGER NOT NULL,
    employees          DOUBLE,
    rd_personnel       DOUBLE,
    revenue            DOUBLE,
    main_revenue       DOUBLE,
    rd_expense         DOUBLE,
    net_profit         DOUBLE,
    total_assets       DOUBLE,
    total_liabilities  DOUBLE,
    invention_patents  INTEGER,        -- class I IP items held
    other_ip           INTEGER,        -- class II IP items held
    equity_financing   DOUBLE,         -- qualified equity financing in the year, 万元
    niche_years        DOUBLE,         -- years in the niche field
    digital_level      INTEGER,        -- 1-4
    market_share_domestic DOUBLE,      -- % of main product
    market_share_global   DOUBLE,
    market_rank_domestic  INTEGER,
    market_rank_global    INTEGER,
    zjtx_score         DOUBLE,         -- 专精特新发展评价 score 0-100
    rd_institution     VARCHAR,        -- national | provincial | municipal | none
    compliance_ok      BOOLEAN,
    attrs              VARCHAR,        -- JSON object with further inputs (flags, awards ...)
    batch_id           INTEGER,
    PRIMARY KEY (uscc, year)
);

-- chain maps
CREATE TABLE IF NOT EXISTS cluster (
    cluster_id VARCHAR PRIMARY KEY,
    name_zh    VARCHAR NOT NULL,
    name_en    VARCHAR,
    batch_id   INTEGER
);
CREATE TABLE IF NOT EXISTS chain (
    chain_id   VARCHAR PRIMARY KEY,
    name_zh    VARCHAR NOT NULL,
    name_en    VARCHAR,
    cluster_id VARCHAR,
    batch_id   INTEGER
);
CREATE TABLE IF NOT EXISTS segment (
    segment_id VARCHAR PRIMARY KEY,
    chain_id   VARCHAR NOT NULL,
    name_zh    VARCHAR NOT NULL,
    name_en    VARCHAR,
    position   VARCHAR NOT NULL,       -- upstream | midstream | downstream
    batch_id   INTEGER
);
CREATE TABLE IF NOT EXISTS segment_edge (
    chain_id     VARCHAR NOT NULL,
    from_segment VARCHAR NOT NULL,     -- upstream segment (supplies)
    to_segment   VARCHAR NOT NULL,     -- downstream segment (buys)
    batch_id     INTEGER,
    PRIMARY KEY (from_segment, to_segment)
);
CREATE TABLE IF NOT EXISTS segment_product (
    segment_id VARCHAR NOT NULL,
    hs_code    VARCHAR NOT NULL,
    batch_id   INTEGER,
    PRIMARY KEY (segment_id, hs_code)
);
CREATE TABLE IF NOT EXISTS segment_enterprise (
    segment_id VARCHAR NOT NULL,
    uscc       VARCHAR NOT NULL,
    is_main    BOOLEAN NOT NULL DEFAULT FALSE,
    batch_id   INTEGER,
    PRIMARY KEY (segment_id, uscc)
);

-- supply network: supplier is a local enterprise (supplier_uscc) or an external party (name + country)
CREATE TABLE IF NOT EXISTS supply_link (
    link_id          VARCHAR PRIMARY KEY,
    supplier_uscc    VARCHAR,
    supplier_name    VARCHAR,
    supplier_country VARCHAR NOT NULL DEFAULT 'CHN',   -- ISO 3166 alpha-3
    supplier_region  VARCHAR,                          -- NBS code for domestic external suppliers
    buyer_uscc       VARCHAR NOT NULL,
    hs_code          VARCHAR,
    segment_id       VARCHAR,                          -- segment of the supplied product, if known
    year             INTEGER NOT NULL,
    annual_value     DOUBLE,                           -- 万元
    share            DOUBLE,                           -- share of the buyer's purchases of this input, 0-1
    essential        BOOLEAN NOT NULL DEFAULT TRUE,
    batch_id         INTEGER
);

-- foreign trade: enterprise or region x partner x HS x month
CREATE TABLE IF NOT EXISTS trade_flow (
    uscc        VARCHAR,               -- NULL when the flow is a region total
    region      VARCHAR,               -- NBS code (district / city) when uscc is NULL
    partner     VARCHAR NOT NULL,      -- ISO 3166 alpha-3
    hs_code     VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,
    year        INTEGER NOT NULL,
    month       INTEGER NOT NULL,
    flow        VARCHAR NOT NULL,      -- import | export
    value       DOUBLE NOT NULL,       -- 万元
    batch_id    INTEGER
);
CREATE TABLE IF NOT EXISTS partner_group (
    group_id  VARCHAR NOT NULL,
    name_zh   VARCHAR NOT NULL,
    name_en   VARCHAR,
    member    VARCHAR NOT NULL,        -- ISO3
    basis     VARCHAR,
    as_of     DATE,
    editable  BOOLEAN NOT NULL DEFAULT TRUE,
    batch_id  INTEGER,
    PRIMARY KEY (group_id, member)
);
