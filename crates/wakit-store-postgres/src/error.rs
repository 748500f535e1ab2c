//! sqlx errors → [`StoreError`]. Unique violations are told apart by the constraint
//! that fired (never by the message text).

use sqlx::error::DatabaseError;
use wakit_store::{ConflictKey, StoreError, StoreResult};

/// Unique constraint on `organizations_addresses.address` (Meta's phone-number id).
pub(crate) const PHONE_NUMBER_ID_KEY: &str = "organizations_addresses_address_key";
/// Unique constraint on `messages (account_id, external_id)`.
pub(crate) const WAMID_KEY: &str = "messages_account_external_key";

/// Maps a sqlx error to the store's error.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(db) => database(db.as_ref()),
        sqlx::Error::PoolTimedOut => {
            StoreError::Unavailable("timed out waiting for a connection".into())
        }
        sqlx::Error::PoolClosed => StoreError::Unavailable("connection pool closed".into()),
        sqlx::Error::Io(e) => StoreError::Unavailable(format!("i/o: {e}")),
        sqlx::Error::Tls(e) => StoreError::Unavailable(format!("tls: {e}")),
        sqlx::Error::WorkerCrashed => StoreError::Unavailable("connection worker crashed".into()),
        e @ (sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. }) => StoreError::Corrupt(e.to_string()),
        e => StoreError::Other(e.to_string()),
    }
}

fn database(db: &dyn DatabaseError) -> StoreError {
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    let constraint = db.constraint().unwrap_or_default();
    match code.as_str() {
        // unique_violation
        "23505" => match constraint {
            PHONE_NUMBER_ID_KEY => StoreError::Conflict(ConflictKey::PhoneNumberId),
            WAMID_KEY => StoreError::Conflict(ConflictKey::Wamid),
            "idempotency_keys_pkey" => StoreError::Conflict(ConflictKey::IdempotencyKey),
            _ => StoreError::Other(format!(
                "unique violation on {constraint}: {}",
                db.message()
            )),
        },
        // foreign_key_violation: the referenced parent does not exist.
        "23503" => match constraint {
            c if c.ends_with("_organization_id_fkey") => StoreError::NotFound("organization"),
            c if c.ends_with("_account_id_fkey") => StoreError::NotFound("account"),
            c if c.ends_with("_conversation_id_fkey") => StoreError::NotFound("conversation"),
            _ => StoreError::Other(format!(
                "foreign key violation on {constraint}: {}",
                db.message()
            )),
        },
        // query_canceled (statement_timeout), serialization failure, deadlock, lock timeout:
        // the database is busy; retrying later may work.
        "57014" | "40001" | "40P01" | "55P03" => StoreError::Unavailable(db.message().to_string()),
        // admin/crash shutdown, cannot connect now, too many connections, out of resources.
        c if c.starts_with("08") || c.starts_with("53") || c.starts_with("57P") => {
            StoreError::Unavailable(db.message().to_string())
        }
        // data_corrupted, index_corrupted
        "XX001" | "XX002" => StoreError::Corrupt(db.message().to_string()),
        _ => StoreError::Other(format!("{code}: {}", db.message())),
    }
}

/// `.db()` on sqlx results: `query.fetch_one(..).await.db()?`.
pub(crate) trait DbResultExt<T> {
    /// Maps the error with [`db_err`].
    fn db(self) -> StoreResult<T>;
}

impl<T> DbResultExt<T> for Result<T, sqlx::Error> {
    fn db(self) -> StoreResult<T> {
        self.map_err(db_err)
    }
}

/// A value in the database this code cannot read.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}
