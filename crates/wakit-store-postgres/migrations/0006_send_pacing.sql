-- Send pacing shared by every replica (see docs/schema.md): per number, the time its
-- next send slot is free. Dispatchers reserve short blocks of slots here, so a number's
-- configured rate is the total over all replicas. UNLOGGED: a reservation is worthless
-- after a crash (pacing simply starts fresh), so it costs no WAL and no fsync.
CREATE UNLOGGED TABLE send_pacing (
    account_id   uuid PRIMARY KEY REFERENCES organizations_addresses (id) ON DELETE CASCADE,
    next_free_at timestamptz NOT NULL
);
