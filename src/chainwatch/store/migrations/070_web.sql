-- chainwatch web: users, district assignments, sessions, login attempts (migration 070).
-- Passwords are argon2 hashes; session tokens are stored only as SHA-256 digests.

CREATE TABLE IF NOT EXISTS web_user (
    username      VARCHAR PRIMARY KEY,
    display_name  VARCHAR,
    role          VARCHAR NOT NULL,          -- admin | analyst | district | viewer
    password_hash VARCHAR NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    last_login    TIMESTAMP
);
CREATE TABLE IF NOT EXISTS web_user_district (
    username  VARCHAR NOT NULL,
    district  VARCHAR NOT NULL,              -- NBS region code the user may see
    PRIMARY KEY (username, district)
);
CREATE TABLE IF NOT EXISTS web_session (
    token_sha256 VARCHAR PRIMARY KEY,
    username     VARCHAR NOT NULL,
    csrf_token   VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_seen    TIMESTAMP NOT NULL,
    address      VARCHAR,
    user_agent   VARCHAR
);
CREATE TABLE IF NOT EXISTS web_login_attempt (
    username  VARCHAR NOT NULL,
    address   VARCHAR NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    ok        BOOLEAN NOT NULL
);
CREATE TABLE IF NOT EXISTS web_setting (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);
