-- VAT invoices (增值税发票) and supply networks built from them (issue 23, migration 180).
-- Money in 万元. An invoice line is identified by line_key: seller|code|number|line when the invoice
-- number is given, else a digest of the line's content (invoices are never edited, only voided or
-- reversed by a red-letter invoice).
CREATE TABLE IF NOT EXISTS invoice (
    line_key       VARCHAR PRIMARY KEY,
    invoice_code   VARCHAR,            -- 发票代码 (10 or 12 digits; none on fully digital invoices)
    invoice_number VARCHAR,            -- 发票号码 (8 or 20 digits)
    line_no        INTEGER,            -- 行号 within the invoice
    seller_uscc    VARCHAR NOT NULL,   -- 销售方纳税人识别号
    seller_name    VARCHAR,
    buyer_uscc     VARCHAR,            -- 购买方纳税人识别号; NULL for buyers without one (individuals)
    buyer_name     VARCHAR,
    invoice_date   DATE NOT NULL,      -- 开票日期
    year           INTEGER NOT NULL,
    month          INTEGER NOT NULL,
    amount         DOUBLE NOT NULL,    -- 金额 excluding tax, 万元 (negative on red-letter invoices)
    tax_amount     DOUBLE,             -- 税额, 万元
    tax_code       VARCHAR,            -- 商品和服务税收分类编码 (19 digits)
    hs_code        VARCHAR,            -- HS code of the goods, when known
    goods_name     VARCHAR,            -- 货物或应税劳务、服务名称
    status         VARCHAR NOT NULL,   -- valid | red | void
    batch_id       INTEGER
);

-- one row per chainwatch network build (a revision of the year's supply links)
CREATE TABLE IF NOT EXISTS network_build (
    build_id        INTEGER PRIMARY KEY,   -- = import_batch.batch_id of the links it wrote
    year            INTEGER NOT NULL,
    engine          VARCHAR NOT NULL,      -- duckdb | spark
    source          VARCHAR NOT NULL,      -- store | a Parquet directory
    source_digest   VARCHAR,               -- SHA-256 over the source's invoice batches or files
    invoice_batches VARCHAR,               -- JSON list of the invoice import batches used
    min_value       DOUBLE,
    min_share       DOUBLE,
    n_lines         BIGINT,                -- invoice lines of the year read
    n_valid         BIGINT,
    n_red           BIGINT,
    n_void          BIGINT,
    n_self          BIGINT,                -- seller = buyer, left out
    n_no_buyer      BIGINT,                -- buyer without a taxpayer ID: counted in the seller's sales only
    n_pairs         BIGINT,                -- seller-buyer pairs with a net positive value
    n_links         BIGINT,                -- links written
    n_below         BIGINT,                -- pairs under --min-value / --min-share
    n_outside       BIGINT,                -- pairs with neither party in the enterprise directory
    n_replaced      BIGINT,                -- previous links of the year moved to supply_link_archive
    seconds         DOUBLE,
    engine_seconds  DOUBLE,
    built_at        TIMESTAMP NOT NULL,
    actor           VARCHAR
);

-- the links a build replaced (the previous revision of a year's network)
CREATE TABLE IF NOT EXISTS supply_link_archive (
    link_id          VARCHAR NOT NULL,
    supplier_uscc    VARCHAR,
    supplier_name    VARCHAR,
    supplier_country VARCHAR,
    supplier_region  VARCHAR,
    buyer_uscc       VARCHAR,
    hs_code          VARCHAR,
    segment_id       VARCHAR,
    year             INTEGER,
    annual_value     DOUBLE,
    share            DOUBLE,
    essential        BOOLEAN,
    batch_id         INTEGER,
    buyer_share      DOUBLE,
    seller_share     DOUBLE,
    months_active    INTEGER,
    n_invoices       BIGINT,
    main_products    VARCHAR,
    build_id         INTEGER,
    replaced_by      INTEGER NOT NULL,     -- network_build.build_id
    archived_at      TIMESTAMP NOT NULL
);

-- what a link built from invoices adds (NULL on imported links)
ALTER TABLE supply_link ADD COLUMN buyer_share DOUBLE;      -- value / the buyer's invoiced purchases
ALTER TABLE supply_link ADD COLUMN seller_share DOUBLE;     -- value / the seller's invoiced sales
ALTER TABLE supply_link ADD COLUMN months_active INTEGER;   -- months with a valid invoice
ALTER TABLE supply_link ADD COLUMN n_invoices BIGINT;       -- valid invoice lines
ALTER TABLE supply_link ADD COLUMN main_products VARCHAR;   -- up to three product codes with their share, JSON
ALTER TABLE supply_link ADD COLUMN build_id INTEGER;        -- network_build that wrote it
