//! What the data API's own inserts (`messages`, `api_keys`) share: the body's rows, the
//! organization a row is written in, and PostgreSQL-worded refusals.

use serde_json::{Map, Value};
use uuid::Uuid;
use wakit_core::OrgId;
use wakit_rest::{Auth, ErrorCode, OrgRole, RestError, Role};

/// Most rows one insert may write.
const MAX_ROWS: usize = 100;

/// The rows of an insert's body (an object or an array of at most [`MAX_ROWS`]), each
/// setting only `writable` columns of `table`.
pub(super) fn rows(
    body: &[u8],
    table: &str,
    writable: &[&str],
) -> Result<Vec<Map<String, Value>>, RestError> {
    let invalid = || RestError::new(ErrorCode::InvalidBody, "Empty or invalid json");
    let rows = match serde_json::from_slice::<Value>(body).map_err(|_| invalid())? {
        Value::Object(row) => vec![row],
        Value::Array(items) if !items.is_empty() && items.len() <= MAX_ROWS => items
            .into_iter()
            .map(|v| match v {
                Value::Object(row) => Ok(row),
                _ => Err(invalid()),
            })
            .collect::<Result<_, _>>()?,
        Value::Array(items) if items.len() > MAX_ROWS => {
            return Err(raise(format!(
                "At most {MAX_ROWS} rows can be inserted into {table} at once"
            )));
        }
        _ => return Err(invalid()),
    };
    for row in &rows {
        if let Some(col) = row.keys().find(|k| !writable.contains(&k.as_str())) {
            return Err(raise(format!(
                "{table}.{col} is set by wakit; leave it out of the inserted row"
            )));
        }
    }
    Ok(rows)
}

/// The organization a row is written in: the caller must have `role` in it.
pub(super) fn org_of(
    auth: &Auth,
    row: &Map<String, Value>,
    table: &str,
    role: OrgRole,
) -> Result<OrgId, RestError> {
    let named = uuid(row, "organization_id")?;
    if auth.role == Role::Anon {
        return Err(policy(table));
    }
    if auth.role == Role::ServiceRole {
        return named.map(OrgId).ok_or_else(|| {
            RestError::new(
                ErrorCode::NotNullViolation,
                format!("null value in column \"organization_id\" of relation \"{table}\" violates not-null constraint"),
            )
        });
    }
    let orgs = auth.orgs_with(role);
    match named {
        Some(org) if orgs.contains(&org) => Ok(OrgId(org)),
        Some(_) => Err(policy(table)),
        None if orgs.len() == 1 => Ok(OrgId(orgs[0])),
        None if orgs.is_empty() => Err(policy(table)),
        None => Err(raise(
            "organization_id is required: you are a member of several organizations",
        )),
    }
}

pub(super) fn raise(message: impl Into<String>) -> RestError {
    RestError::new(ErrorCode::RaiseException, message)
}

/// 42501 as PostgreSQL words a refused row.
pub(super) fn policy(table: &str) -> RestError {
    RestError::new(
        ErrorCode::Forbidden,
        format!("new row violates row-level security policy for table \"{table}\""),
    )
}

pub(super) fn text<'a>(
    row: &'a Map<String, Value>,
    col: &str,
) -> Result<Option<&'a str>, RestError> {
    match row.get(col) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(RestError::new(
            ErrorCode::InvalidValue,
            format!("invalid input syntax for type text: \"{other}\""),
        )),
    }
}

pub(super) fn uuid(row: &Map<String, Value>, col: &str) -> Result<Option<Uuid>, RestError> {
    text(row, col)?
        .map(|s| {
            s.parse().map_err(|_| {
                RestError::new(
                    ErrorCode::InvalidValue,
                    format!("invalid input syntax for type uuid: \"{s}\""),
                )
            })
        })
        .transpose()
}

/// What each row of an insert's `body` plans (`each`), for a table whose inserts wakit
/// handles itself; the first refusal stops the insert.
pub(super) fn plan_rows<T>(
    body: &[u8],
    table: &str,
    writable: &[&str],
    auth: &Auth,
    each: impl Fn(&Auth, &Map<String, Value>) -> Result<T, RestError>,
) -> Result<Vec<T>, RestError> {
    rows(body, table, writable)?
        .iter()
        .map(|row| each(auth, row))
        .collect()
}

/// The rows an insert created, answered 201 as PostgREST does: an array, or the one
/// object when the client asked for `application/vnd.pgrst.object` (`.single()`).
pub(super) fn created_rows(
    headers: &axum::http::HeaderMap,
    mut created: Vec<Value>,
    authenticated: bool,
) -> axum::response::Response {
    use axum::Json;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let single = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/vnd.pgrst.object"));
    match (single, created.len()) {
        (true, 1) => (StatusCode::CREATED, Json(created.remove(0))).into_response(),
        (true, n) => {
            let e = RestError::new(
                ErrorCode::SingularityError,
                "Cannot coerce the result to a single JSON object",
            )
            .details(format!("The result contains {n} rows"));
            super::rest_error(&e, authenticated)
        }
        (false, _) => (StatusCode::CREATED, Json(Value::Array(created))).into_response(),
    }
}
