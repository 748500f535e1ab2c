-- wakit internal tables (SQLite): jobs, webhook inbox, events, templates, secrets,
-- pending statuses. See docs/schema.md.

CREATE TABLE jobs (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL DEFAULT '{}',
    state           TEXT NOT NULL DEFAULT 'queued',
    priority        INTEGER NOT NULL DEFAULT 1,
    attempts        INTEGER NOT NULL DEFAULT 0,
    run_at          INTEGER NOT NULL,
    lease_until     INTEGER,
    lease_token     TEXT,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX jobs_queued_idx ON jobs (kind, priority DESC, run_at) WHERE state = 'queued';
CREATE INDEX jobs_running_idx ON jobs (lease_until) WHERE state = 'running';

CREATE TABLE webhook_inbox (
    id           TEXT PRIMARY KEY NOT NULL,
    received_at  INTEGER NOT NULL,
    body         BLOB NOT NULL,
    signature    TEXT,
    state        TEXT NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    processed_at INTEGER
);
CREATE INDEX webhook_inbox_state_idx ON webhook_inbox (state, received_at);

CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    entity          TEXT NOT NULL,
    action          TEXT NOT NULL,
    row_id          TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX events_org_seq_idx ON events (organization_id, seq);

CREATE TABLE templates (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL REFERENCES organizations_addresses (id) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    name            TEXT NOT NULL,
    language        TEXT NOT NULL,
    status          TEXT NOT NULL,
    category        TEXT NOT NULL,
    components      TEXT NOT NULL DEFAULT '[]',
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX templates_account_name_idx ON templates (account_id, name, language);

CREATE TABLE secrets (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id        TEXT NOT NULL,
    name            TEXT NOT NULL,
    sealed          BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (owner_id, name)
);

CREATE TABLE pending_statuses (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL REFERENCES organizations_addresses (id) ON DELETE CASCADE,
    wamid           TEXT NOT NULL,
    status          TEXT NOT NULL,
    at              INTEGER NOT NULL,
    error           TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX pending_statuses_wamid_idx ON pending_statuses (account_id, wamid);
