-- The delivery log of outbound webhooks (issue 13): one row per attempt of a delivery,
-- written with the attempt's outcome (the delivery keeps only its last). `attempt`
-- counts from 1 per delivery; `status` is the HTTP status when one came, `response`
-- at most 1 KiB of the answer's body, `error` why it failed (timeout, refused address,
-- non-2xx). Kept 7 days by the retention pruner (and deleted with their delivery).
CREATE TABLE webhook_delivery_attempts (
    delivery_id      uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt          integer NOT NULL,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    status           integer,
    latency_ms       bigint NOT NULL,
    response         text,
    error            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delivery_id, attempt)
);
-- Retention: attempts by their time.
CREATE INDEX webhook_delivery_attempts_created_idx ON webhook_delivery_attempts (created_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_delivery_attempts TO wakit_app;
ALTER TABLE webhook_delivery_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_delivery_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON webhook_delivery_attempts USING (
    organization_id = (SELECT NULLIF(current_setting('app.org_id', true), '')::uuid)
    OR (SELECT current_setting('app.scope', true)) = 'internal');
