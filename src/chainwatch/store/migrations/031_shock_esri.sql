-- shock: systemic-importance (ESRI) results cached per supply-network fingerprint (migration 031).
CREATE TABLE IF NOT EXISTS shock_esri (
    fingerprint   VARCHAR NOT NULL,        -- hash of supply_link, enterprise and output inputs
    uscc          VARCHAR NOT NULL,
    weight_pct    DOUBLE,
    esri_down_pct DOUBLE,
    esri_up_pct   DOUBLE,
    esri_pct      DOUBLE,
    exhaustive    BOOLEAN NOT NULL,        -- every firm evaluated (else a shortlist)
    computed_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (fingerprint, uscc)
);
