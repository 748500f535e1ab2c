//! GoTrue's JSON: the user and the session objects the clients parse.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use wakit_store::User;

use super::tokens::{AUTHENTICATED, app_metadata};

/// The user object (`GET /user`, and `user` of a session). The address counts as
/// confirmed when the user was created: there is no e-mail delivery to confirm it by.
pub fn user(u: &User) -> Value {
    json!({
        "id": u.id,
        "aud": AUTHENTICATED,
        "role": AUTHENTICATED,
        "email": u.email,
        "phone": "",
        "email_confirmed_at": u.created_at,
        "confirmed_at": u.created_at,
        "last_sign_in_at": u.last_sign_in_at,
        "app_metadata": app_metadata(),
        "user_metadata": u.user_metadata,
        "identities": [],
        "created_at": u.created_at,
        "updated_at": u.updated_at,
        "is_anonymous": false,
    })
}

/// A session: what sign-in, sign-up and refresh answer.
pub fn session(
    u: &User,
    access_token: &str,
    refresh_token: &str,
    now: DateTime<Utc>,
    ttl_secs: i64,
) -> Value {
    json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": ttl_secs,
        "expires_at": now.timestamp() + ttl_secs,
        "refresh_token": refresh_token,
        "user": user(u),
    })
}
