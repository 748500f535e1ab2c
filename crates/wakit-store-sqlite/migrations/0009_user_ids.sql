-- Customers without a phone number (Meta 2026): a contact address may be keyed by the
-- customer's business-scoped user ID (BSUID) instead of a phone key, and carries the
-- BSUID, parent BSUID and username when Meta sent them. One BSUID names at most one
-- contact address per organization (the same string in two orgs is two contacts).
ALTER TABLE contacts_addresses ADD COLUMN user_id TEXT;
ALTER TABLE contacts_addresses ADD COLUMN parent_user_id TEXT;
ALTER TABLE contacts_addresses ADD COLUMN username TEXT;
CREATE UNIQUE INDEX contacts_addresses_user_id_idx
    ON contacts_addresses (organization_id, user_id) WHERE user_id IS NOT NULL;
