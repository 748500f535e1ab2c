-- Row-level security on the tenant tables (see docs/schema.md, "Row-level security").
-- The store runs every transaction on these tables as the role wakit_app
-- (`SET LOCAL ROLE`), scoped either to one organization (`app.org_id`) or to the
-- deliberately cross-tenant internal paths (`app.scope = 'internal'`: webhook routing,
-- key authentication, batch ingest, the dispatcher). As wakit_app with neither setting,
-- a query sees no row and may write none, whatever its WHERE clause says.
-- Superusers bypass row-level security, hence the separate, non-superuser role.

-- Roles are cluster-wide: another database on the server (or a concurrent migration)
-- may have created it already.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wakit_app') THEN
        CREATE ROLE wakit_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

-- The store's database user switches to wakit_app, so it must be a member.
-- (A superuser may switch to any role and is a member of every role already.)
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'wakit_app', 'MEMBER') THEN
        EXECUTE format('GRANT wakit_app TO %I', current_user);
    END IF;
END $$;

DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO wakit_app', current_schema());
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    organizations, organizations_addresses, contacts, contacts_addresses, conversations,
    messages, agents, api_keys, webhooks, quick_replies, jobs, webhook_inbox, events,
    templates, secrets, pending_statuses, idempotency_keys, send_pacing
    TO wakit_app;
GRANT USAGE ON SEQUENCE events_seq_seq TO wakit_app;

-- Every table carrying organization_id (organizations itself: its id), except the job
-- queue: jobs are claimed across organizations by design and hold only ids.
-- FORCE: the policies bind the tables' owner too, should it ever query them directly;
-- not on the two tables contact search reads as their owner (below).
-- The settings are read once per statement (the sub-selects become init plans).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'organizations_addresses', 'contacts', 'contacts_addresses', 'conversations',
        'messages', 'agents', 'api_keys', 'webhooks', 'quick_replies', 'events',
        'templates', 'secrets', 'pending_statuses', 'idempotency_keys'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        IF t NOT IN ('contacts', 'contacts_addresses') THEN
            EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        END IF;
        EXECUTE format(
            'CREATE POLICY tenant ON %I USING ('
            '  organization_id = (SELECT NULLIF(current_setting(''app.org_id'', true), '''')::uuid)'
            '  OR (SELECT current_setting(''app.scope'', true)) = ''internal'')',
            t);
    END LOOP;
END $$;

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON organizations USING (
    id = (SELECT NULLIF(current_setting('app.org_id', true), '')::uuid)
    OR (SELECT current_setting('app.scope', true)) = 'internal');

-- Contact search. `LIKE` is not leakproof, so under a policy PostgreSQL may not use it
-- as an index condition: the pg_trgm GIN indexes (0003) would go unused and every
-- search would scan the organization's addresses. This function runs as the tables'
-- owner (SECURITY DEFINER; contacts and contacts_addresses are not FORCEd) so the
-- indexes serve it, and it applies the policy's rule itself: the organization is read
-- from the caller's app.org_id, never passed in, so without a scope it finds nothing.
-- Patterns are LIKE patterns (escaped by the caller, `\` escape); NULL = no filter.
-- EXECUTE plans each call with its values, as the store's own query was.
CREATE FUNCTION wakit_search_contacts(name_like text, address_like text, max_rows bigint)
RETURNS TABLE (contact_id uuid, contact_name text, profile_name text, wa_id text)
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $fn$
BEGIN
    RETURN QUERY EXECUTE
        'SELECT ca.contact_id, c.name, ca.profile_name, ca.wa_id '
        'FROM contacts_addresses ca LEFT JOIN contacts c ON c.id = ca.contact_id '
        'WHERE ca.organization_id = NULLIF(current_setting(''app.org_id'', true), '''')::uuid '
        '  AND ca.status = ''active'''
        || CASE WHEN name_like IS NULL THEN '' ELSE ' AND ca.search_name LIKE $1 ESCAPE ''\''' END
        || CASE WHEN address_like IS NULL THEN '' ELSE ' AND ca.address LIKE $2 ESCAPE ''\''' END
        || ' ORDER BY ca.search_name, ca.address LIMIT $3'
        USING name_like, address_like, max_rows;
END
$fn$;
DO $$
BEGIN
    -- A SECURITY DEFINER function must not resolve names through the caller's path.
    EXECUTE format('ALTER FUNCTION wakit_search_contacts(text, text, bigint) SET search_path = %I, pg_temp',
                   current_schema());
END $$;
REVOKE ALL ON FUNCTION wakit_search_contacts(text, text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wakit_search_contacts(text, text, bigint) TO wakit_app;
