-- wakit tenant tables (SQLite). Ids are hyphenated UUID TEXT, times INTEGER unix
-- microseconds UTC, JSON TEXT, bytes BLOB. See docs/schema.md.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    timezone    TEXT NOT NULL DEFAULT 'UTC',
    extra       TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE organizations_addresses (
    id                  TEXT PRIMARY KEY NOT NULL,
    organization_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    service             TEXT NOT NULL DEFAULT 'whatsapp',
    address             TEXT NOT NULL,
    phone_number        TEXT NOT NULL,
    verified_name       TEXT NOT NULL DEFAULT '',
    waba_id             TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL DEFAULT 'connected',
    extra               TEXT NOT NULL DEFAULT '{}',
    templates_synced_at INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX organizations_addresses_address_key ON organizations_addresses (address);
CREATE INDEX organizations_addresses_org_idx ON organizations_addresses (organization_id, created_at);

CREATE TABLE contacts (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT,
    name_folded     TEXT,
    extra           TEXT NOT NULL DEFAULT '{}',
    status          TEXT NOT NULL DEFAULT 'active',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX contacts_org_idx ON contacts (organization_id, name_folded);

-- The logical primary key is (organization_id, address). SQLite's FTS5 external-content
-- index needs a stable integer rowid, and an implicit rowid may be renumbered by VACUUM,
-- so `rid` is the INTEGER PRIMARY KEY and (organization_id, address) a unique key.
CREATE TABLE contacts_addresses (
    rid             INTEGER PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    address         TEXT NOT NULL,
    service         TEXT NOT NULL DEFAULT 'whatsapp',
    wa_id           TEXT NOT NULL,
    contact_id      TEXT REFERENCES contacts (id) ON DELETE SET NULL,
    profile_name    TEXT,
    search_name     TEXT NOT NULL DEFAULT '',
    extra           TEXT NOT NULL DEFAULT '{}',
    status          TEXT NOT NULL DEFAULT 'active',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CONSTRAINT contacts_addresses_pkey UNIQUE (organization_id, address)
);
CREATE INDEX contacts_addresses_contact_idx ON contacts_addresses (contact_id);
-- Ordered listing of the org's contacts (search without a 3+ character part); covers
-- the short LIKE filters too.
CREATE INDEX contacts_addresses_search_idx
    ON contacts_addresses (organization_id, status, search_name, address, wa_id);

CREATE TABLE conversations (
    id               TEXT PRIMARY KEY NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_id       TEXT NOT NULL REFERENCES organizations_addresses (id) ON DELETE CASCADE,
    contact_address  TEXT NOT NULL,
    group_address    TEXT,
    name             TEXT,
    status           TEXT NOT NULL DEFAULT 'active',
    extra            TEXT NOT NULL DEFAULT '{}',
    last_message_id  TEXT,
    last_message_at  INTEGER,
    last_outgoing_at INTEGER,
    unread_count     INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX conversations_active_key
    ON conversations (account_id, contact_address) WHERE status = 'active';
CREATE INDEX conversations_list_idx
    ON conversations (account_id, status, last_message_at DESC, id DESC);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL REFERENCES organizations_addresses (id) ON DELETE CASCADE,
    contact_address TEXT NOT NULL,
    direction       TEXT NOT NULL,
    content         TEXT NOT NULL,
    status          TEXT NOT NULL,
    status_history  TEXT NOT NULL DEFAULT '{}',
    external_id     TEXT,
    error           TEXT,
    agent_id        TEXT,
    timestamp       INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_account_external_key ON messages (account_id, external_id);
CREATE INDEX messages_conversation_time_idx
    ON messages (conversation_id, timestamp DESC, id DESC);
CREATE INDEX messages_incoming_idx
    ON messages (account_id, contact_address, timestamp DESC) WHERE direction = 'incoming';

CREATE TABLE agents (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         TEXT,
    name            TEXT NOT NULL,
    picture         TEXT,
    ai              INTEGER NOT NULL DEFAULT 0,
    extra           TEXT NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX agents_org_idx ON agents (organization_id);

CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL DEFAULT 'member',
    key_hash        TEXT NOT NULL,
    prefix          TEXT NOT NULL,
    revoked_at      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash);
CREATE INDEX api_keys_org_idx ON api_keys (organization_id, created_at);

CREATE TABLE webhooks (
    id                   TEXT PRIMARY KEY NOT NULL,
    organization_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    organization_address TEXT,
    table_name           TEXT NOT NULL,
    operations           TEXT NOT NULL DEFAULT '[]',
    url                  TEXT NOT NULL,
    token_sealed         BLOB,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX webhooks_org_idx ON webhooks (organization_id);

CREATE TABLE quick_replies (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    content         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX quick_replies_org_idx ON quick_replies (organization_id);
