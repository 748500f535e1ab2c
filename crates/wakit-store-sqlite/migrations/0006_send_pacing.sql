-- Send pacing (see docs/schema.md). On SQLite one worker process sends for a database
-- file, so the dispatcher paces numbers in memory and this table stays empty; it exists
-- so both backends' schemas stay in step.
CREATE TABLE send_pacing (
    account_id   TEXT PRIMARY KEY NOT NULL REFERENCES organizations_addresses (id) ON DELETE CASCADE,
    next_free_at INTEGER NOT NULL
);
