//! sqlx and rusqlite errors → [`StoreError`].
//!
//! SQLite does not report constraint *names*: a unique violation says which columns
//! collided (`UNIQUE constraint failed: messages.account_id, messages.external_id`),
//! which is how SQLite identifies the constraint, so that column list is what is
//! matched. A foreign-key violation does not say which key fired; every write checks
//! its parents first, so one that still happens is an organization that was not there.

use sqlx::error::ErrorKind;
use wakit_store::{ConflictKey, StoreError};

/// Unique keys (as SQLite names them: `table.column[, table.column]`) and what they mean.
const UNIQUE_KEYS: &[(&str, ConflictKey)] = &[
    (
        "organizations_addresses.address",
        ConflictKey::PhoneNumberId,
    ),
    (
        "messages.account_id, messages.external_id",
        ConflictKey::Wamid,
    ),
    (
        "idempotency_keys.organization_id, idempotency_keys.key",
        ConflictKey::IdempotencyKey,
    ),
];

/// SQLite primary result codes (the low byte of the extended code).
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_NOMEM: i64 = 7;
const SQLITE_READONLY: i64 = 8;
const SQLITE_IOERR: i64 = 10;
const SQLITE_CORRUPT: i64 = 11;
const SQLITE_FULL: i64 = 13;
const SQLITE_CANTOPEN: i64 = 14;
const SQLITE_NOTADB: i64 = 26;

/// Maps an sqlx error to a store error.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(d) => {
            let message = d.message().to_string();
            match d.kind() {
                ErrorKind::UniqueViolation => {
                    let columns = message.rsplit(": ").next().unwrap_or_default();
                    match UNIQUE_KEYS.iter().find(|(cols, _)| *cols == columns) {
                        Some((_, key)) => StoreError::Conflict(*key),
                        None => StoreError::Other(message),
                    }
                }
                ErrorKind::ForeignKeyViolation => StoreError::NotFound("organization"),
                _ => by_code(d.code().and_then(|c| c.parse::<i64>().ok()), message),
            }
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::Decode(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(e.to_string()),
        other => StoreError::Other(other.to_string()),
    }
}

/// An error SQLite reported with result code `code` (extended or primary).
fn by_code(code: Option<i64>, message: String) -> StoreError {
    match code.unwrap_or(0) & 0xff {
        SQLITE_BUSY | SQLITE_LOCKED | SQLITE_NOMEM | SQLITE_READONLY | SQLITE_IOERR
        | SQLITE_FULL | SQLITE_CANTOPEN => StoreError::Unavailable(message),
        SQLITE_CORRUPT | SQLITE_NOTADB => StoreError::Corrupt(message),
        _ => StoreError::Other(message),
    }
}

/// Maps an error of the read connections ([`crate::readers`]) to a store error. Reads
/// violate no constraints, so only the result code and type mismatches matter.
pub(crate) fn read_db(e: rusqlite::Error) -> StoreError {
    use rusqlite::Error as E;
    match e {
        E::SqliteFailure(f, m) => by_code(
            Some(i64::from(f.extended_code)),
            m.unwrap_or_else(|| f.to_string()),
        ),
        E::FromSqlConversionFailure(..)
        | E::IntegralValueOutOfRange(..)
        | E::InvalidColumnType(..)
        | E::InvalidColumnName(_)
        | E::InvalidColumnIndex(_)
        | E::Utf8Error(_) => StoreError::Corrupt(e.to_string()),
        other => StoreError::Other(other.to_string()),
    }
}

/// A value read from the database that this code cannot interpret.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {detail}"))
}
