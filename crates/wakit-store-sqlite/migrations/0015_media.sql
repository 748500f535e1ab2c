-- Stored media (MediaStore, issue 16): one row per file wakit holds. The bytes are in
-- the media storage (local directory or S3) under `storage_key`, which is
-- `<org>/<sha256[0..2]>/<sha256>`: content-addressed within the organization. Inbound
-- files name their message; uploads for sending cache Meta's media id for a number
-- until it expires.
CREATE TABLE media (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    sha256          TEXT NOT NULL,
    size            INTEGER NOT NULL,
    mime_type       TEXT NOT NULL,
    filename        TEXT,
    storage_key     TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'stored',
    message_id      TEXT,
    meta_media_id   TEXT,
    meta_account_id TEXT,
    meta_expires_at INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX media_org_idx ON media (organization_id, created_at);
CREATE INDEX media_message_idx ON media (message_id) WHERE message_id IS NOT NULL;
