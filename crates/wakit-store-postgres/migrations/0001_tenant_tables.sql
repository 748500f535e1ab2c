-- wakit tenant tables (PostgreSQL). Same tables and file names as the SQLite backend.
-- Every table carries organization_id (FK → organizations, ON DELETE CASCADE).
-- Ids are uuid (the app writes UUIDv7; gen_random_uuid() is only a fallback default).

CREATE TABLE organizations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    timezone    text NOT NULL DEFAULT 'UTC',
    extra       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Connected numbers. `address` is Meta's phone-number id, unique across all orgs.
CREATE TABLE organizations_addresses (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    service              text NOT NULL DEFAULT 'whatsapp',
    address              text NOT NULL,
    phone_number         text NOT NULL,
    verified_name        text NOT NULL DEFAULT '',
    waba_id              text NOT NULL DEFAULT '',
    status               text NOT NULL DEFAULT 'connected',
    extra                jsonb NOT NULL DEFAULT '{}'::jsonb,
    templates_synced_at  timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT organizations_addresses_address_key UNIQUE (address)
);
CREATE INDEX organizations_addresses_org_idx ON organizations_addresses (organization_id, created_at, id);

-- The address book.
CREATE TABLE contacts (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name         text,
    name_folded  text,
    extra        jsonb NOT NULL DEFAULT '{}'::jsonb,
    status       text NOT NULL DEFAULT 'active',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_org_idx ON contacts (organization_id);

-- One row per person per org: `address` is the canonical phone key (Phone::key()),
-- `wa_id` the digits in the form Meta last used (shown as the phone).
CREATE TABLE contacts_addresses (
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    address          text COLLATE "C" NOT NULL,
    service          text NOT NULL DEFAULT 'whatsapp',
    wa_id            text COLLATE "C" NOT NULL,
    contact_id       uuid REFERENCES contacts (id) ON DELETE SET NULL,
    profile_name     text,
    search_name      text COLLATE "C" NOT NULL DEFAULT '',
    extra            jsonb NOT NULL DEFAULT '{}'::jsonb,
    status           text NOT NULL DEFAULT 'active',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT contacts_addresses_pkey PRIMARY KEY (organization_id, address)
);
CREATE INDEX contacts_addresses_contact_idx ON contacts_addresses (contact_id);

CREATE TABLE conversations (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_id        uuid NOT NULL REFERENCES organizations_addresses (id) ON DELETE CASCADE,
    contact_address   text COLLATE "C" NOT NULL,
    group_address     text,
    name              text,
    status            text NOT NULL DEFAULT 'active',
    extra             jsonb NOT NULL DEFAULT '{}'::jsonb,
    last_message_id   uuid,
    last_message_at   timestamptz,
    last_outgoing_at  timestamptz,
    unread_count      integer NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- At most one active conversation per (number, contact); ingest races resolve on it.
CREATE UNIQUE INDEX conversations_active_key ON conversations (account_id, contact_address)
    WHERE status = 'active';
-- Conversation lists: newest message first (NULLS LAST to match the list query's order).
CREATE INDEX conversations_list_idx
    ON conversations (account_id, status, last_message_at DESC NULLS LAST, id DESC);
CREATE INDEX conversations_org_idx ON conversations (organization_id);

CREATE TABLE messages (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    conversation_id  uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    account_id       uuid NOT NULL REFERENCES organizations_addresses (id) ON DELETE CASCADE,
    contact_address  text COLLATE "C" NOT NULL,
    direction        text NOT NULL CHECK (direction IN ('incoming', 'outgoing', 'internal')),
    content          jsonb NOT NULL,
    status           text NOT NULL,
    status_history   jsonb NOT NULL DEFAULT '{}'::jsonb,
    external_id      text,
    error            jsonb,
    agent_id         uuid,
    "timestamp"      timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT messages_account_external_key UNIQUE (account_id, external_id)
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, "timestamp" DESC, id DESC);
-- The service window: newest incoming message of a contact on a number.
CREATE INDEX messages_incoming_idx ON messages (account_id, contact_address, "timestamp" DESC)
    WHERE direction = 'incoming';
CREATE INDEX messages_org_idx ON messages (organization_id);

CREATE TABLE agents (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id          uuid,
    name             text NOT NULL,
    picture          text,
    ai               boolean NOT NULL DEFAULT false,
    extra            jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agents_org_idx ON agents (organization_id);

-- API keys: SHA-256 hex of the key and a visible prefix; never the key.
CREATE TABLE api_keys (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name             text NOT NULL,
    role             text NOT NULL DEFAULT 'member',
    key_hash         text NOT NULL,
    prefix           text NOT NULL,
    revoked_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
);
CREATE INDEX api_keys_org_idx ON api_keys (organization_id, created_at, id);

CREATE TABLE webhooks (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    organization_address  uuid REFERENCES organizations_addresses (id) ON DELETE CASCADE,
    table_name            text NOT NULL,
    operations            jsonb NOT NULL DEFAULT '[]'::jsonb,
    url                   text NOT NULL,
    token_sealed          bytea,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_org_idx ON webhooks (organization_id);

CREATE TABLE quick_replies (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name             text NOT NULL,
    content          text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quick_replies_org_idx ON quick_replies (organization_id);
