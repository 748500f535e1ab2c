-- Contact search (SQLite): an FTS5 trigram index over contacts_addresses'
-- search_name, address and wa_id (external content, kept in sync by triggers).
-- Queries of 3+ characters use it (substring match); shorter ones fall back to LIKE
-- on contacts_addresses_search_idx.

CREATE VIRTUAL TABLE contacts_search USING fts5 (
    search_name,
    address,
    wa_id,
    content = 'contacts_addresses',
    content_rowid = 'rid',
    tokenize = 'trigram'
);

CREATE TRIGGER contacts_addresses_search_ai AFTER INSERT ON contacts_addresses BEGIN
    INSERT INTO contacts_search (rowid, search_name, address, wa_id)
    VALUES (new.rid, new.search_name, new.address, new.wa_id);
END;

CREATE TRIGGER contacts_addresses_search_ad AFTER DELETE ON contacts_addresses BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, search_name, address, wa_id)
    VALUES ('delete', old.rid, old.search_name, old.address, old.wa_id);
END;

CREATE TRIGGER contacts_addresses_search_au
AFTER UPDATE OF rid, search_name, address, wa_id ON contacts_addresses BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, search_name, address, wa_id)
    VALUES ('delete', old.rid, old.search_name, old.address, old.wa_id);
    INSERT INTO contacts_search (rowid, search_name, address, wa_id)
    VALUES (new.rid, new.search_name, new.address, new.wa_id);
END;

INSERT INTO contacts_search (contacts_search) VALUES ('rebuild');
