//! The secret that signs `/auth/v1` access tokens and the anon/service keys.
//!
//! `WAKIT_JWT_SECRET` (at least 32 bytes, used as written, as GoTrue does) wins.
//! Without it the secret is derived from the secret key (`WAKIT_SECRET_KEY`, or the
//! generated `$WAKIT_DATA_DIR/secret.key` on SQLite), so restarts keep sessions and
//! keys valid and every replica sharing the secret key signs alike. It is never printed.

use anyhow::Context;
use wakit_server::routes::auth::JwtSecret;

use super::db::DbArgs;

/// What the derivation is for (changing it would invalidate every token and key).
const PURPOSE: &str = "wakit/auth/v1 jwt secret";

/// The JWT secret for this database.
pub fn load(db: &DbArgs) -> anyhow::Result<JwtSecret> {
    if let Ok(text) = std::env::var("WAKIT_JWT_SECRET")
        && !text.trim().is_empty()
    {
        return JwtSecret::new(text.trim().as_bytes()).context("WAKIT_JWT_SECRET");
    }
    let derived = hex::encode(super::secret::load(db)?.derive(PURPOSE));
    Ok(JwtSecret::new(derived.as_bytes())?)
}
