//! sqlx and rusqlite errors → [`StoreError`].
//!
//! SQLite does not report constraint *names*: a unique violation says which columns
//! collided (`UNIQUE constraint failed: messages.account_id, messages.external_id`),
//! which is how SQLite identifies the constraint, so that column list is what is
//! matched. A foreign-key violation does not say which key fired; every write checks
//! its parents first, so one that still happens is an organization that was not there.

use sqlx::error::ErrorKind;
use wakit_store::{ConflictKey, Failure, FailureKind, StoreError, StoreResult};

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
    ("users.email", ConflictKey::Email),
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

/// Maps an sqlx error to a store error: the typed ones (conflicts, a missing org) by
/// what SQLite reports, the rest by kind with the sqlx error as their source and the
/// caller's place as the operation.
#[track_caller]
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    let kind = match &e {
        sqlx::Error::Database(d) => match d.kind() {
            ErrorKind::UniqueViolation => {
                let message = d.message();
                let columns = message.rsplit(": ").next().unwrap_or_default();
                match UNIQUE_KEYS.iter().find(|(cols, _)| *cols == columns) {
                    Some((_, key)) => return StoreError::Conflict(*key),
                    None => FailureKind::Other,
                }
            }
            ErrorKind::ForeignKeyViolation => return StoreError::NotFound("organization"),
            _ => by_code(d.code().and_then(|c| c.parse::<i64>().ok())),
        },
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => FailureKind::Unavailable,
        sqlx::Error::Decode(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => FailureKind::Corrupt,
        _ => FailureKind::Other,
    };
    kind.error(Failure::caused_by(e))
}

/// The kind of an error SQLite reported with result code `code` (extended or primary).
fn by_code(code: Option<i64>) -> FailureKind {
    match code.unwrap_or(0) & 0xff {
        SQLITE_BUSY | SQLITE_LOCKED | SQLITE_NOMEM | SQLITE_READONLY | SQLITE_IOERR
        | SQLITE_FULL | SQLITE_CANTOPEN => FailureKind::Unavailable,
        SQLITE_CORRUPT | SQLITE_NOTADB => FailureKind::Corrupt,
        _ => FailureKind::Other,
    }
}

/// Maps an error of the read connections ([`crate::readers`]) to a store error. Reads
/// violate no constraints, so only the result code and type mismatches matter.
#[track_caller]
pub(crate) fn read_db(e: rusqlite::Error) -> StoreError {
    use rusqlite::Error as E;
    let kind = match &e {
        E::SqliteFailure(f, _) => by_code(Some(i64::from(f.extended_code))),
        E::FromSqlConversionFailure(..)
        | E::IntegralValueOutOfRange(..)
        | E::InvalidColumnType(..)
        | E::InvalidColumnName(_)
        | E::InvalidColumnIndex(_)
        | E::Utf8Error(_) => FailureKind::Corrupt,
        _ => FailureKind::Other,
    };
    kind.error(Failure::caused_by(e))
}

/// `.db()` on sqlx and rusqlite results: `query.fetch_one(..).await.db()?`, which
/// records the caller's place as the failed operation.
pub(crate) trait DbResultExt<T> {
    /// Maps the error with [`db`] / [`read_db`].
    fn db(self) -> StoreResult<T>;
}

impl<T> DbResultExt<T> for Result<T, sqlx::Error> {
    #[track_caller]
    fn db(self) -> StoreResult<T> {
        // Not `map_err(db)`: a function pointer would record `map_err`'s place.
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(db(e)),
        }
    }
}

impl<T> DbResultExt<T> for Result<T, rusqlite::Error> {
    #[track_caller]
    fn db(self) -> StoreResult<T> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(read_db(e)),
        }
    }
}

/// A value read from the database that this code cannot interpret.
#[track_caller]
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(format!("{what}: {detail}"))
}
