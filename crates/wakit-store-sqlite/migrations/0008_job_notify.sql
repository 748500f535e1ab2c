-- Worker wake-ups (see docs/schema.md). On Postgres a trigger NOTIFYs waiting workers;
-- SQLite has no notifications: its workers poll. Kept so both schemas stay in step.
SELECT 1;
