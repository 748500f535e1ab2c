-- A signed webhook body is stored once: a replay of the same bytes (Meta retrying a
-- delivery it saw no 200 for, or someone replaying a captured body) adds no row and no
-- job. Rows stored before this migration have no digest and are left alone.
ALTER TABLE webhook_inbox ADD COLUMN body_sha256 TEXT;
CREATE UNIQUE INDEX webhook_inbox_body_idx ON webhook_inbox (body_sha256)
    WHERE body_sha256 IS NOT NULL;
