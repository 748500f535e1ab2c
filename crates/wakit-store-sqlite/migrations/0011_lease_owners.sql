-- Kept in step with PostgreSQL's 0011 (lease owners for replicas). SQLite tells a gone
-- process by the flock on `<database>-leases` (leases.rs); the column stays empty.
ALTER TABLE jobs ADD COLUMN lease_owner INTEGER;
