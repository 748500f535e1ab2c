-- Contact search scoped by organization inside the index. 0003's trigram GIN indexes held
-- every organization's names and numbers and the organization filter ran after the index
-- match, so one tenant's contacts set the cost (and the timing) of another tenant's
-- search. With btree_gin the organization is a column of the GIN index itself: the index
-- answers `organization_id = $org AND search_name LIKE '%part%'` (or `address LIKE`) as
-- one condition, and a search reads only its own organization's entries.
-- fastupdate is off: GIN's pending list (recent insertions, until vacuum moves them into
-- the index) is one unsorted list for every organization, which each search would read
-- whole. Each contact write updates the index directly instead.
-- `wakit_search_contacts` (0009) filters on address, not wa_id: the wa_id index served
-- no query and goes.
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE INDEX contacts_addresses_org_name_trgm
    ON contacts_addresses USING gin (organization_id, search_name gin_trgm_ops)
    WITH (fastupdate = off);
CREATE INDEX contacts_addresses_org_address_trgm
    ON contacts_addresses USING gin (organization_id, address gin_trgm_ops)
    WITH (fastupdate = off);

DROP INDEX contacts_addresses_search_name_trgm;
DROP INDEX contacts_addresses_address_trgm;
DROP INDEX contacts_addresses_wa_id_trgm;
