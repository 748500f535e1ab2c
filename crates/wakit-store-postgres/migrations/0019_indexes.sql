-- The data API's inbox read (issue 12): `/rest/v1/conversations?order=updated_at.desc&limit=20`
-- (the hosted dashboard's list, with its embeds). With this index both engines walk the
-- org's conversations newest first (ties by id, as the planner orders them) and stop
-- after the page instead of sorting them all.
CREATE INDEX conversations_org_updated_idx ON conversations (organization_id, updated_at DESC, id);

-- Media retention (WAKIT_MEDIA_RETENTION_DAYS, issue 16): the oldest files of every org,
-- and whether any row still names a storage key before its bytes are deleted.
CREATE INDEX media_created_idx ON media (created_at);
CREATE INDEX media_storage_key_idx ON media (storage_key);
