-- chainwatch warning engine (migration 020): rule-set versions, runs, warnings and their append-only audit.
-- JSON documents are stored as VARCHAR (no DuckDB extension needed).

CREATE TABLE IF NOT EXISTS warning_ruleset (
    sha256      VARCHAR PRIMARY KEY,       -- of the rules file text
    version     VARCHAR NOT NULL,          -- the file's own version field
    source      VARCHAR NOT NULL,          -- path it was loaded from
    body        VARCHAR NOT NULL,          -- full text, so every warning's rule can be shown later
    loaded_at   TIMESTAMP NOT NULL,
    actor       VARCHAR
);

CREATE SEQUENCE IF NOT EXISTS warning_run_seq START 1;
CREATE TABLE IF NOT EXISTS warning_run (
    run_id      INTEGER PRIMARY KEY,
    period      VARCHAR NOT NULL,
    ruleset_sha VARCHAR NOT NULL,
    ruleset_version VARCHAR NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    seconds     DOUBLE,
    actor       VARCHAR,
    meta        VARCHAR                    -- JSON: counts, degraded inputs, notes
);

CREATE SEQUENCE IF NOT EXISTS warning_seq START 1;
CREATE TABLE IF NOT EXISTS warning (
    id            INTEGER PRIMARY KEY,
    kind          VARCHAR NOT NULL,        -- operating | structural
    subject_level VARCHAR NOT NULL,        -- enterprise | segment | chain | district | total
    subject_id    VARCHAR NOT NULL,
    subject_name  VARCHAR,
    district      VARCHAR,                 -- for enterprise and district subjects (scope filter)
    rule_id       VARCHAR NOT NULL,
    rule_version  VARCHAR NOT NULL,
    first_period  VARCHAR NOT NULL,
    period        VARCHAR NOT NULL,        -- last period the warning was evaluated in
    grade         INTEGER NOT NULL,        -- 0 cleared, 1 blue … 4 red
    peak_grade    INTEGER NOT NULL,
    grade_source  VARCHAR NOT NULL DEFAULT 'rule',   -- rule | override
    state         VARCHAR NOT NULL,        -- new | acknowledged | confirmed | no_impact | resolved
    owner         VARCHAR,
    due_at        DATE,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    evidence      VARCHAR NOT NULL,        -- JSON snapshot at the last evaluation
    impact        VARCHAR,                 -- JSON
    resolution    VARCHAR,                 -- JSON
    resolved_period VARCHAR
);
CREATE INDEX IF NOT EXISTS warning_key ON warning (kind, rule_id, subject_id);

-- grade history per period (the trend a warning shows)
CREATE TABLE IF NOT EXISTS warning_period (
    warning_id  INTEGER NOT NULL,
    period      VARCHAR NOT NULL,
    grade       INTEGER NOT NULL,
    value       DOUBLE,
    run_id      INTEGER,
    PRIMARY KEY (warning_id, period)
);

-- append-only audit of every change; the warning row is its projection
CREATE TABLE IF NOT EXISTS warning_event (
    warning_id  INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    event_at    TIMESTAMP NOT NULL,
    actor       VARCHAR NOT NULL,
    action      VARCHAR NOT NULL,
    from_state  VARCHAR,
    to_state    VARCHAR,
    from_grade  INTEGER,
    to_grade    INTEGER,
    period      VARCHAR,
    note        VARCHAR,
    payload     VARCHAR,                   -- JSON
    prev_hash   VARCHAR,
    hash        VARCHAR NOT NULL,
    PRIMARY KEY (warning_id, seq)
);

-- combined grade per subject and period (worst rule, breadth escalation, chain roll-up)
CREATE TABLE IF NOT EXISTS warning_subject (
    period        VARCHAR NOT NULL,
    subject_level VARCHAR NOT NULL,
    subject_id    VARCHAR NOT NULL,
    subject_name  VARCHAR,
    grade         INTEGER NOT NULL,
    rule_grade    INTEGER NOT NULL,
    breadth_escalated BOOLEAN NOT NULL,
    rules         VARCHAR,
    via           VARCHAR,
    run_id        INTEGER,
    PRIMARY KEY (period, subject_level, subject_id)
);
