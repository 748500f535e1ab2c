//! `POST /messages`: checks everything it can before anything is stored (the service
//! window over the contact's whole history, the template's name, language, status and
//! parameters), stores the message durably with its send job (and the request's
//! `Idempotency-Key`), then waits briefly for the dispatcher's outcome:
//! 200 `sent` with the wamid, Meta's error, or 202 `pending` while it is still trying.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use wakit_api::{IDEMPOTENCY_HEADER, SendRequest, SendResponse};
use wakit_core::{MessageId, OrgId};
use wakit_store::{Idempotency, Priority};

use super::body::JsonBody;
use super::outcome::{answer, await_outcome, outcome};
use crate::AppState;
use crate::auth::ApiKeyAuth;
use crate::error::ApiError;
use crate::outgoing::{Submit, submit};

/// Longest idempotency key.
const MAX_KEY_LEN: usize = 255;

/// Sends a text (open window), a template or a document; answers once Meta accepted
/// it, refused it, or after a short wait while it is still being sent.
#[utoipa::path(post, path = "/messages", operation_id = "sendMessage", tag = "messages", security(("api_key" = [])),
    request_body = SendRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key returns the first answer and never sends twice (24 h)")),
    responses(
        (status = 200, description = "Meta accepted the message", body = wakit_api::SendResponse),
        (status = 202, description = "Stored; still being sent (see GET /conversation)", body = wakit_api::SendResponse),
        (status = 400, description = "Invalid request, service_window_closed, or meta_rejected (Meta's code in `meta`)", body = wakit_api::ErrorBody),
        (status = 401, description = "Missing or invalid API key", body = wakit_api::ErrorBody),
        (status = 404, description = "Unknown account_phone or template (name/language)", body = wakit_api::ErrorBody),
        (status = 408, description = "The body did not arrive whole within the body timeout", body = wakit_api::ErrorBody),
        (status = 413, description = "Body too large", body = wakit_api::ErrorBody),
        (status = 415, description = "Not JSON", body = wakit_api::ErrorBody),
        (status = 422, description = "Idempotency-Key reused with a different request", body = wakit_api::ErrorBody),
        (status = 429, description = "Rate limit of the API key, or too many failed authentications from the client's IP (Retry-After)", body = wakit_api::ErrorBody),
        (status = 502, description = "Meta failing or refusing the number's token", body = wakit_api::ErrorBody),
        (status = 503, description = "Database unavailable", body = wakit_api::ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    ApiKeyAuth(auth): ApiKeyAuth,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let key = headers
        .get(IDEMPOTENCY_HEADER)
        .map(|raw| raw.to_str().unwrap_or_default());
    let id = stored(&state, auth.org_id, body, key).await?;
    let message = await_outcome(&state, auth.org_id, id).await?;
    answer(&message)
}

/// `POST /messages` up to its answer, shared with the MCP tools: the body checked and
/// stored under its idempotency key (when given), then the dispatcher's outcome.
pub(crate) async fn send_message(
    state: &AppState,
    org: OrgId,
    body: Map<String, Value>,
    key: Option<&str>,
) -> Result<SendResponse, ApiError> {
    let id = stored(state, org, body, key).await?;
    outcome(&await_outcome(state, org, id).await?)
}

/// The send checked and stored with its job; the message's id.
async fn stored(
    state: &AppState,
    org: OrgId,
    body: Map<String, Value>,
    key: Option<&str>,
) -> Result<MessageId, ApiError> {
    let idempotency = idempotency(key, &body)?;
    let request: SendRequest = serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::bad_request(format!("Invalid request: {e}")))?;
    let send = Submit {
        request: &request,
        idempotency,
        agent_id: None,
        priority: Priority::Interactive,
    };
    submit(state, org, send).await
}

/// The key and a fingerprint of the request, when a key was given.
fn idempotency(
    key: Option<&str>,
    body: &Map<String, Value>,
) -> Result<Option<Idempotency>, ApiError> {
    let Some(key) = key.map(str::trim) else {
        return Ok(None);
    };
    if key.is_empty() || key.len() > MAX_KEY_LEN || key.chars().any(|c| c.is_control()) {
        return Err(ApiError::bad_request(format!(
            "{IDEMPOTENCY_HEADER} must be 1 to {MAX_KEY_LEN} printable characters"
        )));
    }
    // serde_json's map is ordered by key, so the same request always hashes the same.
    let canonical = serde_json::to_vec(body).unwrap_or_default();
    Ok(Some(Idempotency {
        key: key.to_string(),
        request_hash: hex::encode(Sha256::digest(&canonical)),
    }))
}
