//! Creating a webhook endpoint through `/rest/v1/webhooks` (admins and owners), as the
//! hosted dashboard does: the same endpoint `POST /functions/v1/api/webhooks` creates —
//! its URL checked against internal addresses, its token sealed, a new `whsec_` secret
//! (answered once, in `secret`), deliveries from the event log's end on, within the
//! org's cap. Reads, updates and deletes go through the generic path.

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use wakit_core::AccountId;
use wakit_rest::{Auth, OrgRole, RestError};

use super::rest_error;
use super::row::{created_rows, org_of, plan_rows, raise, text, uuid};
use crate::AppState;
use crate::routes::outbound::{Endpoint, create_endpoint};

/// Columns a caller sets; wakit sets the rest (id, secret, cursor, times).
const WRITABLE: [&str; 6] = [
    "organization_id",
    "organization_address",
    "table_name",
    "operations",
    "url",
    "token",
];

/// Creates an endpoint per row of `body` and answers the rows with their secrets.
pub(super) async fn insert(
    state: &AppState,
    auth: &Auth,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let authenticated = auth.is_authenticated();
    let planned = match plan_rows(body, "webhooks", &WRITABLE, auth, endpoint_of) {
        Ok(planned) => planned,
        Err(e) => return rest_error(&e, authenticated),
    };
    let mut created = Vec::with_capacity(planned.len());
    for (org, endpoint) in planned {
        if let Some(account) = endpoint.account_id
            && state.store.get_account(org, account).await.is_err()
        {
            let e = raise("organization_address is not a number of this organization");
            return rest_error(&e, authenticated);
        }
        match create_endpoint(state, org, endpoint).await {
            Ok((w, secret)) => created.push(json!({
                "id": w.id, "organization_id": org.0, "organization_address": w.account_id.map(|a| a.0),
                "table_name": w.table_name, "operations": w.operations, "url": w.url,
                "created_at": w.created_at, "updated_at": w.created_at, "secret": secret,
            })),
            Err(e) => return e.into_response(),
        }
    }
    created_rows(headers, created, authenticated)
}

/// The organization and the endpoint one row describes; admins and owners only.
fn endpoint_of(
    auth: &Auth,
    row: &Map<String, Value>,
) -> Result<(wakit_core::OrgId, Endpoint), RestError> {
    let org = org_of(auth, row, "webhooks", OrgRole::Admin)?;
    let operations = match row.get("operations") {
        None | Some(Value::Null) => vec!["insert".to_string()],
        Some(Value::Array(ops)) => ops
            .iter()
            .map(|op| op.as_str().map(String::from))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| raise("operations must be an array of insert and update"))?,
        Some(_) => return Err(raise("operations must be an array of insert and update")),
    };
    let endpoint = Endpoint {
        account_id: uuid(row, "organization_address")?.map(AccountId),
        table_name: text(row, "table_name")?.unwrap_or_default().to_string(),
        operations,
        url: text(row, "url")?
            .ok_or_else(|| raise("url is required"))?
            .to_string(),
        token: text(row, "token")?.map(String::from),
    };
    Ok((org, endpoint))
}
