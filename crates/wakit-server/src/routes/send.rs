//! `POST /messages`: checks everything it can before anything is stored (the service
//! window over the contact's whole history, the template's name, language, status and
//! parameters), stores the message durably with its send job (and the request's
//! `Idempotency-Key`), then waits briefly for the dispatcher's outcome:
//! 200 `sent` with the wamid, Meta's error, or 202 `pending` while it is still trying.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;
use sha2::{Digest, Sha256};
use wakit_api::{IDEMPOTENCY_HEADER, SendRequest};
use wakit_store::{Idempotency, Priority};

use super::body::JsonBody;
use super::outcome::{answer, await_outcome};
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
    let org = auth.org_id;
    let idempotency = idempotency(&headers, &body)?;
    let request: SendRequest = serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::bad_request(format!("Invalid request: {e}")))?;
    let send = Submit {
        request: &request,
        idempotency,
        agent_id: None,
        priority: Priority::Interactive,
    };
    let id = submit(&state, org, send).await?;
    let message = await_outcome(&state, org, id).await?;
    answer(&message)
}

/// The key and a fingerprint of the request, when the header is there.
fn idempotency(
    headers: &HeaderMap,
    body: &serde_json::Map<String, Value>,
) -> Result<Option<Idempotency>, ApiError> {
    let Some(raw) = headers.get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = raw.to_str().map(str::trim).unwrap_or_default();
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
