-- Stored media (MediaStore, issue 16): one row per file wakit holds. The bytes are in
-- the media storage (local directory or S3) under `storage_key`, which is
-- `<org>/<sha256[0..2]>/<sha256>`: content-addressed within the organization. Inbound
-- files name their message; uploads for sending cache Meta's media id for a number
-- until it expires. A tenant table: under the row-level security policy of 0007.
CREATE TABLE media (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    sha256          text NOT NULL,
    size            bigint NOT NULL,
    mime_type       text NOT NULL,
    filename        text,
    storage_key     text NOT NULL,
    state           text NOT NULL DEFAULT 'stored',
    message_id      uuid,
    meta_media_id   text,
    meta_account_id uuid,
    meta_expires_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_org_idx ON media (organization_id, created_at);
CREATE INDEX media_message_idx ON media (message_id) WHERE message_id IS NOT NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON media TO wakit_app;
ALTER TABLE media ENABLE ROW LEVEL SECURITY;
ALTER TABLE media FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON media USING (
    organization_id = (SELECT NULLIF(current_setting('app.org_id', true), '')::uuid)
    OR (SELECT current_setting('app.scope', true)) = 'internal');
