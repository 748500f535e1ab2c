-- Event log order (issue 13): nothing to change on SQLite. Its one writer commits the
-- transactions in the order they take the write lock, and an event's seq (AUTOINCREMENT,
-- never reused after a prune) is drawn under that lock, so seq order is commit order and
-- a reader asking "after seq N" cannot miss an event. (PostgreSQL's 0014 numbers events
-- at commit instead.) The version exists so both engines carry the same history.
SELECT 1;
