-- Event log order (issue 13). A reader follows an org's log with "after seq N", so an
-- event must never become visible with a seq below one already visible. A bigserial is
-- drawn at insert, not at commit: transactions committing out of order broke that.
--
-- Now `seq` is per organization and drawn at commit: the row is inserted with seq NULL
-- and a deferred trigger numbers it from the org's counter row (event_counters) as the
-- transaction's last step. The counter stays locked until the commit is visible and
-- the next writer of that org waits for it, so seq order is commit order, without gaps
-- (a rollback takes its numbers back). The lock is held for the commit only, not the
-- transaction. A transaction writing events of several orgs (batches) locks their
-- counters first, in org order, so such transactions cannot deadlock on them; the
-- counters are the last locks any transaction takes.
--
-- The old bigserial stays as the row's key (`id`, used by retention); existing rows
-- keep their numbers as their seq (they already grow per org).
ALTER TABLE events RENAME COLUMN seq TO id;
ALTER TABLE events ADD COLUMN seq bigint;
UPDATE events SET seq = id;
DROP INDEX events_org_seq_idx;
CREATE UNIQUE INDEX events_org_seq_idx ON events (organization_id, seq);

-- One row per org, created with the org.
CREATE TABLE event_counters (
    organization_id  uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    seq              bigint NOT NULL
);
INSERT INTO event_counters (organization_id, seq)
    SELECT o.id, coalesce(max(e.seq), 0)
    FROM organizations o LEFT JOIN events e ON e.organization_id = o.id GROUP BY o.id;
GRANT SELECT, INSERT, UPDATE ON event_counters TO wakit_app;

CREATE FUNCTION wakit_event_counter() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_counters (organization_id, seq) VALUES (NEW.id, 0);
    RETURN NULL;
END;
$$;
CREATE TRIGGER organizations_event_counter AFTER INSERT ON organizations
    FOR EACH ROW EXECUTE FUNCTION wakit_event_counter();

-- At insert: the orgs whose events the transaction writes (a transaction-local setting,
-- 'org,org,').
CREATE FUNCTION wakit_event_orgs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    orgs text := coalesce(current_setting('wakit.event_orgs', true), '');
BEGIN
    IF strpos(orgs, NEW.organization_id::text) = 0 THEN
        PERFORM set_config('wakit.event_orgs', orgs || NEW.organization_id::text || ',', true);
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER events_orgs BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION wakit_event_orgs();

-- At commit, once per event in insert order: the next number of its org. The first
-- firing of a transaction with several orgs locks their counters in org order.
CREATE FUNCTION wakit_number_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    orgs text := current_setting('wakit.event_orgs', true);
    next bigint;
BEGIN
    IF length(orgs) > 37 AND current_setting('wakit.event_orgs_locked', true) IS DISTINCT FROM 'yes' THEN
        PERFORM set_config('wakit.event_orgs_locked', 'yes', true);
        PERFORM 1 FROM event_counters
        WHERE organization_id = ANY (string_to_array(rtrim(orgs, ','), ',')::uuid[])
        ORDER BY organization_id FOR UPDATE;
    END IF;
    UPDATE event_counters SET seq = seq + 1 WHERE organization_id = NEW.organization_id
        RETURNING seq INTO next;
    UPDATE events SET seq = next WHERE id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER events_numbered AFTER INSERT ON events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wakit_number_event();

-- Event readers (the event stream) wake when events are committed: one NOTIFY per
-- statement, delivered at commit (as jobs_notify, 0008), on the channel named by the
-- trigger's argument.
CREATE FUNCTION wakit_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION wakit_notify('wakit_events');
