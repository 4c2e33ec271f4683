-- Security audit log (migration 101, issue 15): one entry per security-relevant event (logins and
-- failures, lockouts, logouts, password, role and district changes, user additions and removals, refused
-- accesses, downloads of enterprise data, confirmed imports, IO tables), chained by SHA-256 like the
-- warnings' events: hash = sha256(prev_hash || canonical JSON of the entry). See docs/security.md.
CREATE TABLE IF NOT EXISTS security_event (
    seq        BIGINT PRIMARY KEY,
    ts         TIMESTAMP NOT NULL,
    actor      VARCHAR NOT NULL,
    action     VARCHAR NOT NULL,
    object     VARCHAR,
    outcome    VARCHAR NOT NULL,             -- ok | failed | denied
    address    VARCHAR,                      -- client address (see trusted_proxies)
    detail     VARCHAR,                      -- JSON
    prev_hash  VARCHAR,
    hash       VARCHAR NOT NULL
);
