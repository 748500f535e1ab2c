-- Contact search (PostgreSQL): trigram GIN indexes serve `LIKE '%part%'` on the folded
-- name and on the digits; the btree serves the default order (name, then phone).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX contacts_addresses_search_name_trgm
    ON contacts_addresses USING gin (search_name gin_trgm_ops);
CREATE INDEX contacts_addresses_address_trgm
    ON contacts_addresses USING gin (address gin_trgm_ops);
CREATE INDEX contacts_addresses_wa_id_trgm
    ON contacts_addresses USING gin (wa_id gin_trgm_ops);
CREATE INDEX contacts_addresses_search_order_idx
    ON contacts_addresses (organization_id, search_name, address);
