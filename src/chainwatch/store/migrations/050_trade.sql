-- foreign trade (migration 050): world export reference for the revealed comparative advantage.
-- One row per year x HS section (Roman I-XXI); value in the unit of the source file (ratios only).
CREATE TABLE IF NOT EXISTS trade_world_export (
    year        INTEGER NOT NULL,
    section     VARCHAR NOT NULL,
    value       DOUBLE NOT NULL,
    unit        VARCHAR,
    n_exporters INTEGER,
    source      VARCHAR,
    imported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (year, section)
);
