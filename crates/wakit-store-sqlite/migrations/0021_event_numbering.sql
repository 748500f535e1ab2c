-- Event numbering (issue 17): nothing to change on SQLite, whose one writer draws an
-- event's seq (AUTOINCREMENT) under the write lock, in commit order. PostgreSQL's 0021
-- numbers a transaction's events in one statement at commit instead of two updates per
-- event. The version exists so both engines carry the same history.
SELECT 1;
