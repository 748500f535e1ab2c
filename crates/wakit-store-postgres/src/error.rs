//! sqlx errors → [`StoreError`]. Unique violations are told apart by the constraint
//! that fired (never by the message text).

use sqlx::error::DatabaseError;
use wakit_store::{ConflictKey, Failure, FailureKind, StoreError, StoreResult};

/// Unique constraint on `organizations_addresses.address` (Meta's phone-number id).
pub(crate) const PHONE_NUMBER_ID_KEY: &str = "organizations_addresses_address_key";
/// Unique constraint on `messages (account_id, external_id)`.
pub(crate) const WAMID_KEY: &str = "messages_account_external_key";

/// Maps a sqlx error to the store's error: the typed ones (conflicts, missing
/// parents) by constraint, the rest by kind with the sqlx error as their source and
/// the caller's place as the operation.
#[track_caller]
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    let (kind, context) = match &e {
        sqlx::Error::Database(db) => match database(db.as_ref()) {
            Ok(typed) => return typed,
            Err(classified) => classified,
        },
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => (FailureKind::Unavailable, None),
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => (FailureKind::Corrupt, None),
        _ => (FailureKind::Other, None),
    };
    let failure = Failure::caused_by(e);
    kind.error(match context {
        Some(c) => failure.context(c),
        None => failure,
    })
}

/// A database error: the typed store error it means, or its kind and what to say first.
fn database(db: &dyn DatabaseError) -> Result<StoreError, (FailureKind, Option<String>)> {
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    let constraint = db.constraint().unwrap_or_default();
    let other = |what: &str| Err((FailureKind::Other, Some(format!("{what} on {constraint}"))));
    match code.as_str() {
        // unique_violation
        "23505" => match constraint {
            PHONE_NUMBER_ID_KEY => Ok(StoreError::Conflict(ConflictKey::PhoneNumberId)),
            WAMID_KEY => Ok(StoreError::Conflict(ConflictKey::Wamid)),
            "idempotency_keys_pkey" => Ok(StoreError::Conflict(ConflictKey::IdempotencyKey)),
            "users_email_key" => Ok(StoreError::Conflict(ConflictKey::Email)),
            _ => other("unique violation"),
        },
        // foreign_key_violation: the referenced parent does not exist.
        "23503" => match constraint {
            c if c.ends_with("_organization_id_fkey") => Ok(StoreError::NotFound("organization")),
            c if c.ends_with("_account_id_fkey") => Ok(StoreError::NotFound("account")),
            c if c.ends_with("_conversation_id_fkey") => Ok(StoreError::NotFound("conversation")),
            _ => other("foreign key violation"),
        },
        // query_canceled (statement_timeout), serialization failure, deadlock, lock timeout:
        // the database is busy; retrying later may work.
        "57014" | "40001" | "40P01" | "55P03" => Err((FailureKind::Unavailable, None)),
        // admin/crash shutdown, cannot connect now, too many connections, out of resources.
        c if c.starts_with("08") || c.starts_with("53") || c.starts_with("57P") => {
            Err((FailureKind::Unavailable, None))
        }
        // data_corrupted, index_corrupted
        "XX001" | "XX002" => Err((FailureKind::Corrupt, None)),
        _ => Err((FailureKind::Other, Some(code))),
    }
}

/// `.db()` on sqlx results: `query.fetch_one(..).await.db()?`.
pub(crate) trait DbResultExt<T> {
    /// Maps the error with [`db_err`].
    fn db(self) -> StoreResult<T>;
}

impl<T> DbResultExt<T> for Result<T, sqlx::Error> {
    #[track_caller]
    fn db(self) -> StoreResult<T> {
        // Not `map_err(db_err)`: a function pointer would record `map_err`'s place.
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(db_err(e)),
        }
    }
}

/// A value in the database this code cannot read.
#[track_caller]
pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(what.to_string())
}
