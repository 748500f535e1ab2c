//! Typed storage errors. Conflicts carry which uniqueness rule fired, so callers
//! never match on database error strings.

use std::fmt;
use std::panic::Location;

/// Which uniqueness rule a write broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictKey {
    /// A number with this Meta phone-number id is already connected.
    PhoneNumberId,
    /// A message with this wamid already exists for the number.
    Wamid,
    /// The same idempotency key was used before.
    IdempotencyKey,
    /// A user with this e-mail address (in any letter case) exists.
    Email,
}

impl fmt::Display for ConflictKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConflictKey::PhoneNumberId => "phone-number id",
            ConflictKey::Wamid => "wamid",
            ConflictKey::IdempotencyKey => "idempotency key",
            ConflictKey::Email => "e-mail address",
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
    /// The change would leave an organization without an active owner.
    #[error("an organization keeps at least one owner")]
    LastOwner,
    /// The database cannot be reached or is overloaded; retrying later may work.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Failure),
    /// Data in the database that this code cannot read (corruption, a newer schema).
    #[error("corrupt data: {0}")]
    Corrupt(#[source] Failure),
    /// Anything else (a bug or an unexpected database error).
    #[error("storage error: {0}")]
    Other(#[source] Failure),
}

impl StoreError {
    /// [`StoreError::Unavailable`] with this explanation.
    #[track_caller]
    pub fn unavailable(message: impl Into<String>) -> StoreError {
        StoreError::Unavailable(Failure::new(message))
    }

    /// [`StoreError::Corrupt`] with this explanation.
    #[track_caller]
    pub fn corrupt(message: impl Into<String>) -> StoreError {
        StoreError::Corrupt(Failure::new(message))
    }

    /// [`StoreError::Other`] with this explanation.
    #[track_caller]
    pub fn other(message: impl Into<String>) -> StoreError {
        StoreError::Other(Failure::new(message))
    }

    /// The failure behind an unavailable, corrupt or other error.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            StoreError::Unavailable(f) | StoreError::Corrupt(f) | StoreError::Other(f) => Some(f),
            StoreError::NotFound(_) | StoreError::Conflict(_) | StoreError::LastOwner => None,
        }
    }
}

/// The kinds of failure (the [`StoreError`] variants that carry a [`Failure`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// [`StoreError::Unavailable`].
    Unavailable,
    /// [`StoreError::Corrupt`].
    Corrupt,
    /// [`StoreError::Other`].
    Other,
}

impl FailureKind {
    /// The store error of this kind.
    pub fn error(self, failure: Failure) -> StoreError {
        match self {
            FailureKind::Unavailable => StoreError::Unavailable(failure),
            FailureKind::Corrupt => StoreError::Corrupt(failure),
            FailureKind::Other => StoreError::Other(failure),
        }
    }
}

/// Why a store call failed: the explanation, the operation (the statement's place in
/// the backend's source, recorded where the error was mapped) and the underlying error
/// (a driver's, an I/O error), kept as the [`std::error::Error::source`] chain.
#[derive(Debug)]
pub struct Failure {
    message: String,
    at: &'static Location<'static>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Failure {
    /// A failure explained by `message`, at the caller's place.
    #[track_caller]
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            at: Location::caller(),
            source: None,
        }
    }

    /// A failure caused by `source` (its text becomes the explanation), at the caller's
    /// place.
    #[track_caller]
    pub fn caused_by(source: impl std::error::Error + Send + Sync + 'static) -> Failure {
        Failure {
            message: source.to_string(),
            at: Location::caller(),
            source: Some(Box::new(source)),
        }
    }

    /// The same failure explained by `context` first (`context: explanation`).
    pub fn context(mut self, context: impl fmt::Display) -> Failure {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The explanation.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where in the backend the failing operation is (`crates/…/file.rs:line`).
    pub fn operation(&self) -> String {
        format!("{}:{}", self.at.file(), self.at.line())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (in {})", self.message, self.operation())
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Result alias for store calls.
pub type StoreResult<T> = Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn a_failure_names_its_operation_and_keeps_its_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let e = StoreError::Unavailable(Failure::caused_by(io).context("reading conversations"));
        let text = e.to_string();
        assert!(
            text.starts_with("database unavailable: reading conversations: reset by peer (in "),
            "{text}"
        );
        assert!(text.contains("crates/wakit-store/src/error.rs:"), "{text}");
        let failure = e.source().expect("the failure");
        let cause = failure.source().expect("the cause");
        assert_eq!(cause.to_string(), "reset by peer");
    }
}
