//! Typed storage errors. Conflicts carry which uniqueness rule fired, so callers
//! never match on database error strings.

use std::fmt;

/// Which uniqueness rule a write broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictKey {
    /// A number with this Meta phone-number id is already connected.
    PhoneNumberId,
    /// A message with this wamid already exists for the number.
    Wamid,
    /// The same idempotency key was used before.
    IdempotencyKey,
}

impl fmt::Display for ConflictKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConflictKey::PhoneNumberId => "phone-number id",
            ConflictKey::Wamid => "wamid",
            ConflictKey::IdempotencyKey => "idempotency key",
        })
    }
}

/// What can go wrong in a store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or belongs to another organization).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule was broken.
    #[error("conflict on {0}")]
    Conflict(ConflictKey),
    /// The database cannot be reached or is overloaded; retrying later may work.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Data in the database that this code cannot read (corruption, a newer schema).
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// Anything else (a bug or an unexpected database error).
    #[error("storage error: {0}")]
    Other(String),
}

/// Result alias for store calls.
pub type StoreResult<T> = Result<T, StoreError>;
