//! `POST /messages`: checks everything it can before anything is stored (the service
//! window over the contact's whole history, the template's name, language, status and
//! parameters), stores the message durably with its send job (and the request's
//! `Idempotency-Key`), then waits briefly for the dispatcher's outcome:
//! 200 `sent` with the wamid, Meta's error, or 202 `pending` while it is still trying.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wakit_api::{DocumentRequest, IDEMPOTENCY_HEADER, SendRequest};
use wakit_core::content::{FileRef, Kind};
use wakit_core::template::ParamSpec;
use wakit_core::{CustomerRef, MessageContent, ServiceWindow};
use wakit_store::{
    Account, ConflictKey, IDEMPOTENCY_TTL_HOURS, Idempotency, NewOutgoing, Priority, StoreError,
};

use super::body::JsonBody;
use super::outcome::{answer, await_outcome};
use super::params::{customer, select_account};
use super::templates::number_templates;
use crate::AppState;
use crate::auth::ApiKeyAuth;
use crate::error::ApiError;

/// Longest text Meta accepts.
pub const MAX_TEXT_CHARS: usize = 4096;
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
    let req: SendRequest = serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::bad_request(format!("Invalid request: {e}")))?;
    if let Some(idem) = &idempotency {
        let since = Utc::now() - Duration::hours(IDEMPOTENCY_TTL_HOURS);
        if let Some(first) = state.store.find_idempotent(org, &idem.key, since).await? {
            return replay(&state, org, idem, first).await;
        }
    }
    let to = match (&req.contact_phone, &req.group_id) {
        (Some(raw), _) => customer("contact_phone", raw)?,
        (None, Some(group)) => {
            return Err(ApiError::not_found(format!("Group {group} not found")));
        }
        (None, None) => {
            return Err(ApiError::bad_request(
                "contact_phone or group_id is required",
            ));
        }
    };
    let account = select_account(&state, org, req.account_phone.as_deref()).await?;
    let content = match (&req.text, &req.template, &req.document) {
        (Some(text), None, None) => text_content(&state, &account, &to, text).await?,
        (None, Some(template), None) => template_content(&state, &account, template).await?,
        (None, None, Some(doc)) => {
            let content = document_content(doc)?;
            window_open(&state, &account, &to).await?;
            content
        }
        (None, None, None) => {
            return Err(ApiError::bad_request(
                "One of text, template or document is required",
            ));
        }
        _ => {
            return Err(ApiError::bad_request(
                "Give only one of text, template or document",
            ));
        }
    };
    let outgoing = NewOutgoing {
        account_id: account.id,
        to,
        content,
        scheduled_at: None,
        agent_id: None,
        priority: Priority::Interactive,
        idempotency: idempotency.clone(),
    };
    let id = match state.store.enqueue_outgoing(org, outgoing).await {
        Ok(enqueued) => enqueued.message.id,
        Err(StoreError::Conflict(ConflictKey::IdempotencyKey)) => {
            // The same key raced in from another request: answer as its retry.
            let idem = idempotency.as_ref().ok_or_else(|| {
                ApiError::from(StoreError::other("idempotency conflict without a key"))
            })?;
            let since = Utc::now() - Duration::hours(IDEMPOTENCY_TTL_HOURS);
            let first = state.store.find_idempotent(org, &idem.key, since).await?;
            let first = first
                .ok_or_else(|| ApiError::from(StoreError::other("idempotency key vanished")))?;
            return replay(&state, org, idem, first).await;
        }
        Err(e) => return Err(e.into()),
    };
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

/// A retry under a used key: the first request's message, never a second send.
async fn replay(
    state: &AppState,
    org: wakit_core::OrgId,
    idem: &Idempotency,
    first: wakit_store::IdempotentSend,
) -> Result<Response, ApiError> {
    if first.request_hash != idem.request_hash {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            format!(
                "{IDEMPOTENCY_HEADER} \"{}\" was already used with a different request",
                idem.key
            ),
        ));
    }
    let message = await_outcome(state, org, first.message_id).await?;
    answer(&message)
}

async fn text_content(
    state: &AppState,
    account: &Account,
    to: &CustomerRef,
    text: &str,
) -> Result<MessageContent, ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("text must not be empty"));
    }
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(ApiError::bad_request(format!(
            "text is longer than {MAX_TEXT_CHARS} characters ({chars})"
        )));
    }
    window_open(state, account, to).await?;
    Ok(MessageContent::text(text))
}

/// Free-form messages (text, documents) need the contact's 24 h window open, judged
/// from the contact's newest incoming message across the whole history.
async fn window_open(
    state: &AppState,
    account: &Account,
    to: &CustomerRef,
) -> Result<(), ApiError> {
    let newest = state
        .store
        .newest_incoming_at(account.org_id, account.id, to)
        .await?;
    let window = ServiceWindow::at(newest, Utc::now());
    match window.closed_reason() {
        None => Ok(()),
        Some(reason) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "service_window_closed",
            reason,
        )),
    }
}

async fn template_content(
    state: &AppState,
    account: &Account,
    template: &Value,
) -> Result<MessageContent, ApiError> {
    let bad = |m: &str| ApiError::bad_request(format!("template: {m}"));
    let name = template
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad("name is required"))?;
    let code = match template.get("language") {
        Some(Value::String(code)) => Some(code.as_str()),
        Some(lang) => lang.get("code").and_then(Value::as_str),
        None => None,
    }
    .map(str::trim)
    .filter(|c| !c.is_empty())
    .ok_or_else(|| bad("language.code is required"))?;
    let components = match template.get("components") {
        None | Some(Value::Null) => json!([]),
        Some(c @ Value::Array(_)) => c.clone(),
        Some(_) => return Err(bad("components must be a list")),
    };
    let known = number_templates(state, account).await?;
    let same_name: Vec<_> = known.iter().filter(|t| t.name == name).collect();
    if same_name.is_empty() {
        return Err(ApiError::not_found(format!(
            "Template {name} not found for {}",
            account.phone.digits()
        )));
    }
    let Some(found) = same_name.iter().find(|t| t.language == code) else {
        let langs: Vec<_> = same_name.iter().map(|t| t.language.as_str()).collect();
        return Err(ApiError::not_found(format!(
            "Template {name} has no language {code}; available: {}",
            langs.join(", ")
        )));
    };
    if found.status != "APPROVED" {
        return Err(ApiError::bad_request(format!(
            "Template {name} ({code}) is {}, not APPROVED",
            found.status
        )));
    }
    ParamSpec::from_definition(&found.components)
        .check(&components)
        .map_err(|e| ApiError::bad_request(format!("Template {name} ({code}): {e}")))?;
    if let Some(why) = super::template_limits::check(&found.components, &components) {
        return Err(ApiError::bad_request(format!(
            "Template {name} ({code}): {why}"
        )));
    }
    Ok(MessageContent::template(json!({
        "name": name,
        "language": { "code": code },
        "components": components,
    })))
}

fn document_content(doc: &DocumentRequest) -> Result<MessageContent, ApiError> {
    let link = doc.link.trim();
    if link.is_empty() {
        return Err(ApiError::bad_request("document.link is required"));
    }
    let host = link.strip_prefix("https://").unwrap_or_default();
    if host.is_empty() || host.starts_with('/') || link.chars().any(char::is_whitespace) {
        return Err(ApiError::bad_request(
            "document.link must be a public https:// URL",
        ));
    }
    let file = FileRef {
        mime_type: doc
            .mime_type
            .clone()
            .unwrap_or_else(|| "application/pdf".to_string()),
        uri: link.to_string(),
        name: doc.filename.clone(),
        size: 0,
    };
    MessageContent::file(Kind::Document, file, doc.caption.clone())
        .ok_or_else(|| ApiError::bad_request("document cannot be sent"))
}
