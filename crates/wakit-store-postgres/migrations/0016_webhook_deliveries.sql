-- Outbound webhooks (issue 13): what an endpoint needs beyond 0001, and the durable
-- outbox of its deliveries.
--
-- An endpoint signs with its `whsec_` secret (sealed like every secret); after a
-- rotation the previous one stays valid until `previous_secret_until` (both signatures
-- are sent). `event_cursor` is the org's last event seq already turned into this
-- endpoint's deliveries: fan-out inserts deliveries and moves the cursor in one
-- transaction, only from the cursor it read, so no event is lost or doubled across
-- processes. `failing_since` (first failure after the last success) disables an
-- endpoint failing too long; a 410 disables it at once.
ALTER TABLE webhooks ADD COLUMN secret_sealed bytea;
ALTER TABLE webhooks ADD COLUMN previous_secret_sealed bytea;
ALTER TABLE webhooks ADD COLUMN previous_secret_until timestamptz;
ALTER TABLE webhooks ADD COLUMN disabled_at timestamptz;
ALTER TABLE webhooks ADD COLUMN disabled_reason text;
ALTER TABLE webhooks ADD COLUMN failing_since timestamptz;
ALTER TABLE webhooks ADD COLUMN event_cursor bigint NOT NULL DEFAULT 0;

-- One row per message to an endpoint: an event (event_seq, event_type) or a test ping
-- (no seq). `msg_id` is the `webhook-id` header, stable across retries. A delivery is
-- claimable when due, not leased, its endpoint enabled, and no earlier (lower seq)
-- pending delivery of the same endpoint and conversation exists: per-conversation
-- order. `state`: pending (incl. waiting for a retry), delivered, failed (gave up).
-- The last attempt's answer is kept (status, latency, at most 1 KiB of the body).
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    webhook_id       uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_seq        bigint,
    event_type       text NOT NULL,
    conversation_id  uuid,
    msg_id           text NOT NULL,
    payload          text NOT NULL,
    state            text NOT NULL DEFAULT 'pending',
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,
    lease_token      uuid,
    last_status      integer,
    last_latency_ms  bigint,
    last_response    text,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (webhook_id, conversation_id, event_seq)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (organization_id, webhook_id, created_at);
-- Retention: finished deliveries by their last attempt.
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (updated_at)
    WHERE state IN ('delivered', 'failed');

GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_deliveries TO wakit_app;
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON webhook_deliveries USING (
    organization_id = (SELECT NULLIF(current_setting('app.org_id', true), '')::uuid)
    OR (SELECT current_setting('app.scope', true)) = 'internal');
