-- Contact search scoped by organization inside the index. 0003's FTS5 trigram index was
-- shared by every organization and the organization filter ran after the match, so one
-- tenant's contacts set the cost (and the timing) of another tenant's search. FTS5
-- cannot scope a match by organization; this replaces it with a gram table whose key
-- starts with the organization: a search reads only its own organization's rows.
--
-- contacts_grams holds one row per distinct trigram of an active address's search_name
-- ('n' + 3 characters) and of its address and wa_id ('d' + 3 characters), keyed by
-- (org, gram, search_name, address): one gram's range of one organization is already in
-- the result order (name, then address), so a search walks the rarest gram of its query
-- in order, checks each row and stops at the limit (crates/wakit-store-sqlite/src/contacts.rs).
-- Parts shorter than 3 characters walk the organization's name index as before.

DROP TRIGGER contacts_addresses_search_ai;
DROP TRIGGER contacts_addresses_search_ad;
DROP TRIGGER contacts_addresses_search_au;
DROP TABLE contacts_search;

-- A small number per organization, so that gram rows do not each carry a 36-character id.
-- Rows stay when an organization goes (its grams go with its addresses).
CREATE TABLE contacts_search_orgs (
    n               INTEGER PRIMARY KEY,
    organization_id TEXT NOT NULL UNIQUE
);

CREATE TABLE contacts_grams (
    org         INTEGER NOT NULL,
    gram        TEXT NOT NULL,
    search_name TEXT NOT NULL,
    address     TEXT NOT NULL,
    rid         INTEGER NOT NULL,
    PRIMARY KEY (org, gram, search_name, address)
) WITHOUT ROWID;

-- The grams of each active address (duplicates included: the writers below ignore or
-- delete them once). `json_each` over a list of length-2 zeros yields the start of every
-- trigram (`key`, from 0); filtered by rid, each arm reads that one row.
CREATE VIEW contacts_addresses_grams (rid, gram) AS
    SELECT rid, 'n' || substr(search_name, p.key + 1, 3)
      FROM contacts_addresses,
           json_each('[' || rtrim(replace(hex(zeroblob(max(length(search_name) - 2, 0))), '00', '0,'), ',') || ']') p
     WHERE status = 'active'
    UNION ALL
    SELECT rid, 'd' || substr(address, p.key + 1, 3)
      FROM contacts_addresses,
           json_each('[' || rtrim(replace(hex(zeroblob(max(length(address) - 2, 0))), '00', '0,'), ',') || ']') p
     WHERE status = 'active'
    UNION ALL
    SELECT rid, 'd' || substr(wa_id, p.key + 1, 3)
      FROM contacts_addresses,
           json_each('[' || rtrim(replace(hex(zeroblob(max(length(wa_id) - 2, 0))), '00', '0,'), ',') || ']') p
     WHERE status = 'active';

CREATE TRIGGER contacts_grams_ai AFTER INSERT ON contacts_addresses BEGIN
    INSERT OR IGNORE INTO contacts_search_orgs (organization_id) VALUES (new.organization_id);
    INSERT OR IGNORE INTO contacts_grams (org, gram, search_name, address, rid)
    SELECT (SELECT n FROM contacts_search_orgs WHERE organization_id = new.organization_id),
           gram, new.search_name, new.address, new.rid
      FROM contacts_addresses_grams WHERE rid = new.rid;
END;

-- Before the row changes or goes, its grams are still computable from it.
CREATE TRIGGER contacts_grams_bd BEFORE DELETE ON contacts_addresses BEGIN
    DELETE FROM contacts_grams
     WHERE org = (SELECT n FROM contacts_search_orgs WHERE organization_id = old.organization_id)
       AND search_name = old.search_name AND address = old.address
       AND gram IN (SELECT gram FROM contacts_addresses_grams WHERE rid = old.rid);
END;

CREATE TRIGGER contacts_grams_bu
BEFORE UPDATE OF rid, organization_id, search_name, address, wa_id, status ON contacts_addresses
WHEN old.rid IS NOT new.rid OR old.organization_id IS NOT new.organization_id
  OR old.search_name IS NOT new.search_name OR old.address IS NOT new.address
  OR old.wa_id IS NOT new.wa_id OR old.status IS NOT new.status
BEGIN
    DELETE FROM contacts_grams
     WHERE org = (SELECT n FROM contacts_search_orgs WHERE organization_id = old.organization_id)
       AND search_name = old.search_name AND address = old.address
       AND gram IN (SELECT gram FROM contacts_addresses_grams WHERE rid = old.rid);
END;

CREATE TRIGGER contacts_grams_au
AFTER UPDATE OF rid, organization_id, search_name, address, wa_id, status ON contacts_addresses
WHEN old.rid IS NOT new.rid OR old.organization_id IS NOT new.organization_id
  OR old.search_name IS NOT new.search_name OR old.address IS NOT new.address
  OR old.wa_id IS NOT new.wa_id OR old.status IS NOT new.status
BEGIN
    INSERT OR IGNORE INTO contacts_search_orgs (organization_id) VALUES (new.organization_id);
    INSERT OR IGNORE INTO contacts_grams (org, gram, search_name, address, rid)
    SELECT (SELECT n FROM contacts_search_orgs WHERE organization_id = new.organization_id),
           gram, new.search_name, new.address, new.rid
      FROM contacts_addresses_grams WHERE rid = new.rid;
END;

-- Backfill.
INSERT OR IGNORE INTO contacts_search_orgs (organization_id)
SELECT DISTINCT organization_id FROM contacts_addresses;
INSERT OR IGNORE INTO contacts_grams (org, gram, search_name, address, rid)
SELECT o.n, g.gram, ca.search_name, ca.address, ca.rid
  FROM contacts_addresses ca
  JOIN contacts_search_orgs o ON o.organization_id = ca.organization_id
  JOIN contacts_addresses_grams g ON g.rid = ca.rid;
