-- People who sign in (the GoTrue subset, /auth/v1): users, their sessions and the
-- sessions' refresh tokens. Not tenant tables: a person may belong to several
-- organizations, through human `agents` rows (user_id, extra.role, extra.invitation).
-- Emails are stored normalized (trimmed, lower-cased by the store), so the unique index
-- makes them unique ignoring case. Passwords and refresh tokens are stored as hashes only.
CREATE TABLE users (
    id              TEXT PRIMARY KEY NOT NULL,
    email           TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    user_metadata   TEXT NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    last_sign_in_at INTEGER
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- One row per issued refresh token: SHA-256 hex of the token, never the token. A token
-- is spent (`used`) when rotated; presenting a spent one revokes its session.
CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    parent      TEXT,
    used        INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Membership lookups: a user's agent rows, and pending invitations by address.
CREATE INDEX agents_user_idx ON agents (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX agents_invitation_idx ON agents (json_extract(extra, '$.invitation.email'))
    WHERE json_extract(extra, '$.invitation.status') = 'pending';
