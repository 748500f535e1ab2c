-- The delivery log of outbound webhooks (issue 13): one row per attempt of a delivery.
-- See PostgreSQL's 0020 for what each column means; times are microseconds since the
-- epoch, ids text.
CREATE TABLE webhook_delivery_attempts (
    delivery_id      TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt          INTEGER NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    status           INTEGER,
    latency_ms       INTEGER NOT NULL,
    response         TEXT,
    error            TEXT,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
-- Retention: attempts by their time.
CREATE INDEX webhook_delivery_attempts_created_idx ON webhook_delivery_attempts (created_at);
