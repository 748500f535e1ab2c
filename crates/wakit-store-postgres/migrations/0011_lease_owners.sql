-- Which process holds a running job's lease: a random owner id the process holds a
-- session advisory lock on for its life (wakit-store-postgres leases.rs). A job whose
-- owner's lock can be taken belongs to a process that is gone and is resumed at once.
ALTER TABLE jobs ADD COLUMN lease_owner bigint;
