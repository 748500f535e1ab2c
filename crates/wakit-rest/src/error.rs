//! Errors, typed, each with the PostgREST (or PostgreSQL) code and HTTP status the clients
//! expect (supabase-compat.md §6). The body always carries the four keys.

use serde_json::{Value, json};

/// Which error: decides the code and the HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// PGRST100: the query string does not parse.
    Parse,
    /// PGRST102: the body is not the JSON expected.
    InvalidBody,
    /// PGRST103: the requested range is past the end.
    RangeNotSatisfiable,
    /// PGRST106: a schema other than `public`.
    InvalidSchema,
    /// PGRST107: an `Accept` type we do not produce.
    NotAcceptable,
    /// PGRST108: a filter/order/limit on an embed the `select` does not name.
    NotEmbedded,
    /// PGRST116: `.single()` on zero or several rows.
    SingularityError,
    /// PGRST118: ordering by a to-many embed.
    RelatedOrder,
    /// PGRST120: a filter other than `is.null` on a whole embed.
    InvalidEmbedFilter,
    /// PGRST122: unknown preferences with `handling=strict`.
    InvalidPreferences,
    /// PGRST124: more rows affected than `max-affected` allows (`handling=strict`).
    MaxAffected,
    /// PGRST127: a valid request we do not implement.
    NotImplemented,
    /// PGRST200: no relationship between two tables.
    NoRelationship,
    /// PGRST201: several relationships and no hint to choose.
    AmbiguousRelationship,
    /// PGRST204: an unknown column in `columns` or a written body.
    UnknownWriteColumn,
    /// PGRST205: no such table.
    UnknownTable,
    /// 42703: no such column.
    UnknownColumn,
    /// 22P02: a value that is not of the column's type.
    InvalidValue,
    /// 42883: an operator the column's type does not have (`like` on a uuid).
    UndefinedFunction,
    /// 42501: the policies forbid the write.
    Forbidden,
    /// 23505: a unique key is taken (409).
    UniqueViolation,
    /// 23503: a foreign key points nowhere (409).
    ForeignKeyViolation,
    /// 23502: a NOT NULL column got NULL.
    NotNullViolation,
    /// 23514: a CHECK constraint failed.
    CheckViolation,
    /// Any other database error (code XX000, 400; the server logs the original).
    Database,
    /// PGRST202: no such function.
    UnknownFunction,
    /// A trigger-like refusal: what the send path said of an inserted message (P0001).
    RaiseException,
}

impl ErrorCode {
    /// The code clients see in the body.
    pub fn code(self) -> &'static str {
        match self {
            ErrorCode::Parse => "PGRST100",
            ErrorCode::InvalidBody => "PGRST102",
            ErrorCode::RangeNotSatisfiable => "PGRST103",
            ErrorCode::InvalidSchema => "PGRST106",
            ErrorCode::NotAcceptable => "PGRST107",
            ErrorCode::NotEmbedded => "PGRST108",
            ErrorCode::SingularityError => "PGRST116",
            ErrorCode::RelatedOrder => "PGRST118",
            ErrorCode::InvalidEmbedFilter => "PGRST120",
            ErrorCode::InvalidPreferences => "PGRST122",
            ErrorCode::MaxAffected => "PGRST124",
            ErrorCode::NotImplemented => "PGRST127",
            ErrorCode::NoRelationship => "PGRST200",
            ErrorCode::AmbiguousRelationship => "PGRST201",
            ErrorCode::UnknownWriteColumn => "PGRST204",
            ErrorCode::UnknownTable => "PGRST205",
            ErrorCode::UnknownColumn => "42703",
            ErrorCode::InvalidValue => "22P02",
            ErrorCode::UndefinedFunction => "42883",
            ErrorCode::Forbidden => "42501",
            ErrorCode::UniqueViolation => "23505",
            ErrorCode::ForeignKeyViolation => "23503",
            ErrorCode::NotNullViolation => "23502",
            ErrorCode::CheckViolation => "23514",
            ErrorCode::Database => "XX000",
            ErrorCode::RaiseException => "P0001",
            ErrorCode::UnknownFunction => "PGRST202",
        }
    }

    /// The HTTP status (42501 depends on the caller: see [`RestError::status_for`]).
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::RangeNotSatisfiable => 416,
            ErrorCode::InvalidSchema | ErrorCode::NotAcceptable | ErrorCode::SingularityError => {
                406
            }
            ErrorCode::AmbiguousRelationship => 300,
            ErrorCode::UnknownTable | ErrorCode::UndefinedFunction | ErrorCode::UnknownFunction => {
                404
            }
            ErrorCode::Forbidden => 403,
            ErrorCode::UniqueViolation | ErrorCode::ForeignKeyViolation => 409,
            _ => 400,
        }
    }
}

/// An error answer: code, message, and the optional details and hint of PostgREST.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} {message}", code.code())]
pub struct RestError {
    /// Which error.
    pub code: ErrorCode,
    /// The one-line message.
    pub message: String,
    /// What exactly was wrong, when known.
    pub details: Option<String>,
    /// What to do about it, when known.
    pub hint: Option<String>,
}

impl RestError {
    /// An error with a message and no details or hint.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> RestError {
        RestError {
            code,
            message: message.into(),
            details: None,
            hint: None,
        }
    }

    /// The same error with details.
    pub fn details(mut self, details: impl Into<String>) -> RestError {
        self.details = Some(details.into());
        self
    }

    /// The same error with a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> RestError {
        self.hint = Some(hint.into());
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The HTTP status for this caller: a policy refusal is 401 to an anonymous caller
    /// and 403 to a signed-in one, as PostgREST answers.
    pub fn status_for(&self, authenticated: bool) -> u16 {
        match self.code {
            ErrorCode::Forbidden if !authenticated => 401,
            _ => self.status(),
        }
    }

    /// The JSON body: always the four keys, `null` when absent (supabase-py requires them).
    pub fn body(&self) -> Value {
        json!({
            "code": self.code.code(),
            "details": self.details,
            "hint": self.hint,
            "message": self.message,
        })
    }

    /// PGRST100 for a parameter that does not parse.
    pub(crate) fn parse(param: &str, value: &str, details: impl Into<String>) -> RestError {
        RestError::new(
            ErrorCode::Parse,
            format!("failed to parse {param} parameter ({value})"),
        )
        .details(details)
    }

    /// A database error from executing a plan, as PostgREST would answer it: the
    /// PostgreSQL SQLSTATE, or SQLite's extended result code (2067/1555 unique, 787
    /// foreign key, 1299 not null, 275 check), gives the same code on both engines.
    /// `message` is the engine's text (constraint violations only name the constraint).
    pub fn from_database(code: &str, message: &str) -> RestError {
        let kind = match code {
            "23505" | "2067" | "1555" => ErrorCode::UniqueViolation,
            "23503" | "787" => ErrorCode::ForeignKeyViolation,
            "23502" | "1299" => ErrorCode::NotNullViolation,
            "23514" | "275" => ErrorCode::CheckViolation,
            "22P02" => ErrorCode::InvalidValue,
            _ => return RestError::new(ErrorCode::Database, "database error"),
        };
        RestError::new(kind, message)
    }

    /// PGRST127 for something valid we do not do.
    pub(crate) fn not_implemented(what: impl Into<String>) -> RestError {
        RestError::new(ErrorCode::NotImplemented, "Feature not implemented").details(what)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn body_always_has_the_four_keys() {
        let e = RestError::new(ErrorCode::UnknownTable, "x");
        let body = e.body();
        for key in ["code", "details", "hint", "message"] {
            assert!(body.get(key).is_some(), "{key}");
        }
        assert_eq!(body["code"], "PGRST205");
        assert_eq!(e.status(), 404);
    }

    #[test]
    fn database_errors_answer_alike_on_both_engines() {
        let pg = RestError::from_database("23505", "duplicate key");
        let lite = RestError::from_database("2067", "UNIQUE constraint failed");
        assert_eq!((pg.code, pg.status()), (lite.code, 409));
        assert_eq!(RestError::from_database("787", "x").body()["code"], "23503");
        let other = RestError::from_database("XX001", "secret internals");
        assert_eq!(
            (other.status(), other.message.as_str()),
            (400, "database error")
        );
    }

    #[test]
    fn policy_refusal_is_401_for_anonymous_callers() {
        let e = RestError::new(ErrorCode::Forbidden, "x");
        assert_eq!(e.status_for(false), 401);
        assert_eq!(e.status_for(true), 403);
    }
}
