-- Input–output tables as named records (migration 100, issue 15 finding 1). Scenarios and the web API
-- name a table from this list (or from the folder of the setting io_tables_dir); the server never opens
-- a file a client names. content holds the validated file's text (UTF-8), parsed by the same readers.
CREATE TABLE IF NOT EXISTS io_table (
    name           VARCHAR PRIMARY KEY,
    layout         VARCHAR NOT NULL,         -- nbs | csv
    tab            BOOLEAN NOT NULL,         -- tab-separated text
    sectors        INTEGER NOT NULL,
    unit           VARCHAR,
    source_file    VARCHAR,                  -- base name of the imported file (never a server path)
    sha256         VARCHAR NOT NULL,         -- of the imported file's bytes
    bytes          BIGINT NOT NULL,
    content        VARCHAR NOT NULL,
    final_content  VARCHAR,                  -- csv layout: companion final-demand file
    output_content VARCHAR,                  -- csv layout: companion gross-output file
    imported_at    TIMESTAMP NOT NULL,
    imported_by    VARCHAR NOT NULL,
    note           VARCHAR
);
