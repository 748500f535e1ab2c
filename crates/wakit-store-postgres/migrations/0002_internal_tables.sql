-- wakit internal tables (PostgreSQL): jobs, webhook inbox, events, templates, secrets,
-- pending statuses.

-- Lease-based job queue. Claims use FOR UPDATE SKIP LOCKED on the partial indexes below.
CREATE TABLE jobs (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  uuid REFERENCES organizations (id) ON DELETE CASCADE,
    kind             text NOT NULL,
    payload          jsonb NOT NULL DEFAULT '{}'::jsonb,
    state            text NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'done', 'dead')),
    priority         smallint NOT NULL DEFAULT 0,
    attempts         integer NOT NULL DEFAULT 0,
    run_at           timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,
    lease_token      uuid,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_queued_idx ON jobs (kind, priority DESC, run_at) WHERE state = 'queued';
CREATE INDEX jobs_running_idx ON jobs (lease_until) WHERE state = 'running';

-- Raw Meta webhook bodies, stored before parsing. Not tenant-scoped.
CREATE TABLE webhook_inbox (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    received_at   timestamptz NOT NULL DEFAULT now(),
    body          bytea NOT NULL,
    signature     text,
    state         text NOT NULL DEFAULT 'pending',
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    processed_at  timestamptz
);
CREATE INDEX webhook_inbox_pending_idx ON webhook_inbox (received_at) WHERE state = 'pending';

-- Change feed for outbound webhooks and live views.
CREATE TABLE events (
    seq              bigserial PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    entity           text NOT NULL,
    action           text NOT NULL,
    row_id           uuid NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_org_seq_idx ON events (organization_id, seq);

-- Per-number cache of Meta's templates.
CREATE TABLE templates (
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_id       uuid NOT NULL REFERENCES organizations_addresses (id) ON DELETE CASCADE,
    id               text NOT NULL,
    name             text COLLATE "C" NOT NULL,
    language         text COLLATE "C" NOT NULL,
    status           text NOT NULL,
    category         text NOT NULL,
    components       jsonb NOT NULL DEFAULT '[]'::jsonb,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT templates_pkey PRIMARY KEY (account_id, id)
);
CREATE INDEX templates_name_idx ON templates (account_id, name, language);

-- Sealed secrets (e.g. a number's Meta access token). Never stored in plain text.
CREATE TABLE secrets (
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id         uuid NOT NULL,
    name             text NOT NULL,
    sealed           bytea NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT secrets_pkey PRIMARY KEY (owner_id, name)
);

-- Statuses that arrived before their message's wamid was known.
CREATE TABLE pending_statuses (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_id       uuid NOT NULL,
    wamid            text NOT NULL,
    status           text NOT NULL,
    at               timestamptz NOT NULL,
    error            jsonb,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_statuses_wamid_idx ON pending_statuses (account_id, wamid);
