//! Creating an API key through `/rest/v1/api_keys` (owners): wakit generates the key,
//! stores only its SHA-256 and prefix, and answers the new row with the key itself in
//! `key` — the only time it is shown, so the row comes back whatever `Prefer: return`
//! says. The key column is never readable afterwards (the table shows `prefix`).

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use wakit_core::Role as KeyRole;
use wakit_rest::{Auth, ErrorCode, OrgRole, RestError};
use wakit_store::NewApiKey;
use wakit_store::secrets::generate_api_key;

use super::rest_error;
use super::row::{created_rows, org_of, plan_rows, raise, text};
use crate::AppState;
use crate::error::ApiError;

/// Columns a caller sets; wakit sets the rest (the key, its hash and prefix).
const WRITABLE: [&str; 3] = ["organization_id", "name", "role"];

/// Creates a key per row of `body` and answers the rows with their keys.
pub(super) async fn insert(
    state: &AppState,
    auth: &Auth,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let authenticated = auth.is_authenticated();
    let planned = match plan_rows(body, "api_keys", &WRITABLE, auth, key_of) {
        Ok(planned) => planned,
        Err(e) => return rest_error(&e, authenticated),
    };
    let mut created = Vec::with_capacity(planned.len());
    for (org, name, role) in planned {
        let key = generate_api_key();
        let new = NewApiKey {
            name,
            role,
            hash: key.hash,
            prefix: key.prefix,
        };
        match state.store.create_api_key(org, new).await {
            Ok(r) => created.push(json!({
                "id": r.id.0, "organization_id": r.org_id.0, "name": r.name,
                "role": r.role.to_string(), "prefix": r.prefix, "revoked_at": r.revoked_at,
                "created_at": r.created_at, "updated_at": r.created_at, "key": key.plain,
            })),
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    created_rows(headers, created, authenticated)
}

/// The organization, name and role of one row; owners only.
fn key_of(
    auth: &Auth,
    row: &Map<String, Value>,
) -> Result<(wakit_core::OrgId, String, KeyRole), RestError> {
    let org = org_of(auth, row, "api_keys", OrgRole::Owner)?;
    let name = text(row, "name")?.map(str::trim).unwrap_or_default();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(raise("name is required (at most 100 characters)"));
    }
    let role = match text(row, "role")? {
        None => KeyRole::Member,
        Some(r) => r.parse().map_err(|_| {
            RestError::new(
                ErrorCode::InvalidValue,
                format!("invalid input value for enum role: \"{r}\""),
            )
        })?,
    };
    Ok((org, name.to_string(), role))
}
