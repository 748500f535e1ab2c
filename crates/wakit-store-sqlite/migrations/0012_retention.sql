-- Retention (RetentionStore::prune): old rows are deleted in small batches, each batch
-- found through an index on the time it is judged by, so a prune never scans a table.
-- Partial indexes on the finished states: queued and running jobs (and pending inbox
-- rows), the hot rows, are not in them. Failed and ignored inbox rows use webhook_inbox_state_idx
-- (state, received_at); idempotency keys idempotency_keys_created_idx (0005).
CREATE INDEX events_created_idx ON events (created_at);
CREATE INDEX jobs_done_idx ON jobs (updated_at) WHERE state = 'done';
CREATE INDEX jobs_dead_idx ON jobs (updated_at) WHERE state = 'dead';
CREATE INDEX webhook_inbox_done_idx ON webhook_inbox (processed_at) WHERE state = 'done';
CREATE INDEX pending_statuses_created_idx ON pending_statuses (created_at);
