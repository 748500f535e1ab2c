-- Event numbering in one statement per transaction (issue 17, PostgreSQL ingest).
--
-- 0014 numbers events at commit from the org's counter, which stays locked until the
-- commit is visible: seq order is commit order. But it did so once per event row — two
-- UPDATEs each (the counter, then the event), under the counter's lock — so a batch
-- ingest of 250 messages spent its commit on 500 single-row updates while every other
-- writer of the org waited for the counter.
--
-- Now the transaction's first deferred firing numbers all of the transaction's events
-- at once; the later firings find nothing left to do. The events it numbers are the
-- org's rows with no seq that it can see: other transactions' uncommitted rows are
-- invisible, and every committed row was numbered before its commit. Within an org the
-- numbers follow insert order (`id`), densely from the counter, as before; the counters
-- are still locked in org order, and still the last locks a transaction takes.
CREATE OR REPLACE FUNCTION wakit_number_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    orgs uuid[];
BEGIN
    IF current_setting('wakit.events_numbered', true) = 'yes' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('wakit.events_numbered', 'yes', true);
    orgs := string_to_array(rtrim(current_setting('wakit.event_orgs', true), ','), ',')::uuid[];
    PERFORM 1 FROM event_counters WHERE organization_id = ANY (orgs)
        ORDER BY organization_id FOR UPDATE;
    WITH ours AS (
        SELECT e.id, e.organization_id,
               row_number() OVER (PARTITION BY e.organization_id ORDER BY e.id) AS n
        FROM events e
        WHERE e.organization_id = ANY (orgs) AND e.seq IS NULL
    ), counts AS (
        SELECT organization_id, count(*) AS k FROM ours GROUP BY organization_id
    ), bumped AS (
        UPDATE event_counters c SET seq = c.seq + counts.k FROM counts
        WHERE c.organization_id = counts.organization_id
        RETURNING c.organization_id, c.seq - counts.k AS base
    )
    UPDATE events e SET seq = b.base + o.n
    FROM ours o JOIN bumped b ON b.organization_id = o.organization_id
    WHERE e.id = o.id;
    RETURN NULL;
END;
$$;
