-- People who sign in (the GoTrue subset, /auth/v1): users, their sessions and the
-- sessions' refresh tokens. Not tenant tables (no organization_id, no row-level
-- security, like jobs and webhook_inbox): a person may belong to several organizations,
-- through human `agents` rows (user_id, extra.role, extra.invitation), which stay under
-- the tenant policy. Emails are stored normalized (trimmed, lower-cased by the store);
-- the index on lower(email) keeps them unique ignoring case even for a direct write.
-- Passwords and refresh tokens are stored as hashes only.
CREATE TABLE users (
    id              uuid PRIMARY KEY,
    email           text NOT NULL,
    password_hash   text NOT NULL,
    user_metadata   jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE sessions (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- One row per issued refresh token: SHA-256 hex of the token, never the token. A token
-- is spent (`used`) when rotated; presenting a spent one revokes its session.
CREATE TABLE refresh_tokens (
    token_hash  text PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    parent      text,
    used        boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Membership lookups: a user's agent rows, and pending invitations by address.
CREATE INDEX agents_user_idx ON agents (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX agents_invitation_idx ON agents ((extra #>> '{invitation,email}'))
    WHERE extra #>> '{invitation,status}' = 'pending';

-- Sign-up joins invitations (agents, under row-level security) in the same
-- transaction, so the scoped role reaches these tables too.
GRANT SELECT, INSERT, UPDATE, DELETE ON users, sessions, refresh_tokens TO wakit_app;
