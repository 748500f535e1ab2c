-- Customers without a phone number (Meta 2026): a contact address may be keyed by the
-- customer's business-scoped user ID (BSUID) instead of a phone key, and carries the
-- BSUID, parent BSUID and username when Meta sent them. One BSUID names at most one
-- contact address per organization (the same string in two orgs is two contacts).
ALTER TABLE contacts_addresses ADD COLUMN user_id TEXT;
ALTER TABLE contacts_addresses ADD COLUMN parent_user_id TEXT;
ALTER TABLE contacts_addresses ADD COLUMN username TEXT;
CREATE UNIQUE INDEX contacts_addresses_user_id_idx
    ON contacts_addresses (organization_id, user_id) WHERE user_id IS NOT NULL;

-- Contact search answers the BSUID and username too (a new result type needs a new
-- function: drop and create, with the same grants and search_path as 0007).
DROP FUNCTION wakit_search_contacts(text, text, bigint);
CREATE FUNCTION wakit_search_contacts(name_like text, address_like text, max_rows bigint)
RETURNS TABLE (contact_id uuid, contact_name text, profile_name text, wa_id text,
               user_id text, username text)
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $fn$
BEGIN
    RETURN QUERY EXECUTE
        'SELECT ca.contact_id, c.name, ca.profile_name, ca.wa_id, ca.user_id, ca.username '
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
    EXECUTE format('ALTER FUNCTION wakit_search_contacts(text, text, bigint) SET search_path = %I, pg_temp',
                   current_schema());
END $$;
REVOKE ALL ON FUNCTION wakit_search_contacts(text, text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wakit_search_contacts(text, text, bigint) TO wakit_app;
