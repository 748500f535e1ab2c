-- Outbound webhooks (issue 13): what an endpoint needs beyond 0001, and the durable
-- outbox of its deliveries. See PostgreSQL's 0016 for what each column means; times
-- are microseconds since the epoch, ids text.
ALTER TABLE webhooks ADD COLUMN secret_sealed BLOB;
ALTER TABLE webhooks ADD COLUMN previous_secret_sealed BLOB;
ALTER TABLE webhooks ADD COLUMN previous_secret_until INTEGER;
ALTER TABLE webhooks ADD COLUMN disabled_at INTEGER;
ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT;
ALTER TABLE webhooks ADD COLUMN failing_since INTEGER;
ALTER TABLE webhooks ADD COLUMN event_cursor INTEGER NOT NULL DEFAULT 0;

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_seq        INTEGER,
    event_type       TEXT NOT NULL,
    conversation_id  TEXT,
    msg_id           TEXT NOT NULL,
    payload          TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER,
    lease_token      TEXT,
    last_status      INTEGER,
    last_latency_ms  INTEGER,
    last_response    TEXT,
    last_error       TEXT,
    delivered_at     INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (webhook_id, conversation_id, event_seq)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (organization_id, webhook_id, created_at);
-- Retention: finished deliveries by their last attempt.
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (updated_at)
    WHERE state IN ('delivered', 'failed');
