-- Idempotency keys of API sends (`Idempotency-Key`): one row per (org, key), written in
-- the same transaction as the message it names, so a retried request finds the first
-- message and never sends twice. Rows older than 24 h no longer count and are replaced.
CREATE TABLE idempotency_keys (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    key             TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    message_id      TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (organization_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
