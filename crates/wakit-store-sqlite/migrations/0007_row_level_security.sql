-- Row-level security (see docs/schema.md). PostgreSQL's 0007 enables it on the tenant
-- tables; SQLite has no roles and no row-level security (one process owns the file),
-- so tenant isolation rests on the store's queries alone. This migration only keeps
-- both backends' migration lists in step.
SELECT 1;
