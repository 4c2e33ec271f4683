-- chainwatch support policies (migration 045): policy files loaded by users, every version kept.
-- The shipped example policies live in the package; a stored policy with the same id overrides them.
CREATE TABLE IF NOT EXISTS policy_doc (
    policy_id  VARCHAR NOT NULL,
    version    VARCHAR NOT NULL,
    body       VARCHAR NOT NULL,          -- the YAML text as loaded
    sha256     VARCHAR NOT NULL,
    source     VARCHAR,                   -- file name it was loaded from
    loaded_at  TIMESTAMP NOT NULL,
    actor      VARCHAR,
    PRIMARY KEY (policy_id, version)
);
