//! The checks every send passes, whichever door it came in by (`POST /messages`, an
//! insert into `/rest/v1/messages`, an MCP tool, an AI agent): the recipient, the number,
//! the service window over the contact's whole history, the template's name, language,
//! status and parameters — all before anything is stored. Then the message is stored
//! durably with its send job (and its `Idempotency-Key`), and the dispatcher sends it.

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use wakit_api::{IDEMPOTENCY_HEADER, SendRequest};

use wakit_core::template::ParamSpec;
use wakit_core::{AgentId, CustomerRef, MessageContent, MessageId, OrgId, ServiceWindow};
use wakit_store::{
    Account, ConflictKey, IDEMPOTENCY_TTL_HOURS, Idempotency, IdempotentSend, NewOutgoing,
    Priority, StoreError,
};

mod media;
mod parts;
mod template_limits;

pub use parts::from_part;

use crate::AppState;
use crate::error::ApiError;
use crate::routes::params::{customer, select_account};
use crate::routes::templates::number_templates;

/// Longest text Meta accepts.
pub const MAX_TEXT_CHARS: usize = 4096;

/// A send as the API describes it, with who authored it.
pub struct Submit<'a> {
    /// What to send and to whom.
    pub request: &'a SendRequest,
    /// The request's key and fingerprint, when it has one.
    pub idempotency: Option<Idempotency>,
    /// The authoring agent, if any.
    pub agent_id: Option<AgentId>,
    /// Queue class.
    pub priority: Priority,
}

/// Checks a send and stores it with its job; a retry under a used key answers the first
/// request's message (never a second send). Returns the message's id.
pub async fn submit(state: &AppState, org: OrgId, send: Submit<'_>) -> Result<MessageId, ApiError> {
    if let Some(idem) = &send.idempotency
        && let Some(first) = find_first(state, org, idem).await?
    {
        return replayed(idem, first);
    }
    let req = send.request;
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
    let account = select_account(state, org, req.account_phone.as_deref()).await?;
    let content = content(state, &account, &to, req).await?;
    let outgoing = NewOutgoing {
        account_id: account.id,
        to,
        content,
        scheduled_at: None,
        agent_id: send.agent_id,
        priority: send.priority,
        idempotency: send.idempotency.clone(),
    };
    match state.store.enqueue_outgoing(org, outgoing).await {
        Ok(enqueued) => {
            if send.agent_id.is_none() {
                // A person or a program answered: the agents step back.
                let conversation = enqueued.message.conversation_id;
                crate::workers::agents::pause_after_send(state, org, conversation).await;
            }
            Ok(enqueued.message.id)
        }
        Err(StoreError::Conflict(ConflictKey::IdempotencyKey)) => {
            // The same key raced in from another request: answer as its retry.
            let idem = send.idempotency.as_ref().ok_or_else(|| {
                ApiError::from(StoreError::other("idempotency conflict without a key"))
            })?;
            let first = find_first(state, org, idem).await?;
            let first = first
                .ok_or_else(|| ApiError::from(StoreError::other("idempotency key vanished")))?;
            replayed(idem, first)
        }
        Err(e) => Err(e.into()),
    }
}

async fn find_first(
    state: &AppState,
    org: OrgId,
    idem: &Idempotency,
) -> Result<Option<IdempotentSend>, ApiError> {
    let since = Utc::now() - Duration::hours(IDEMPOTENCY_TTL_HOURS);
    Ok(state.store.find_idempotent(org, &idem.key, since).await?)
}

/// A retry under a used key: the first request's message, or 422 when the key came
/// with a different request.
fn replayed(idem: &Idempotency, first: IdempotentSend) -> Result<MessageId, ApiError> {
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
    Ok(first.message_id)
}

/// The message's content, checked: exactly one of text, template or document.
async fn content(
    state: &AppState,
    account: &Account,
    to: &CustomerRef,
    req: &SendRequest,
) -> Result<MessageContent, ApiError> {
    let files = media::requested(req);
    match (&req.text, &req.template, &files[..]) {
        (Some(text), None, []) => text_content(state, account, to, text).await,
        (None, Some(template), []) => template_content(state, account, template).await,
        (None, None, [(kind, file)]) => {
            let content = media::content(state, account.org_id, *kind, file).await?;
            window_open(state, account, to).await?;
            Ok(content)
        }
        (None, None, []) => Err(ApiError::bad_request(
            "One of text, template, image, video, audio, document or sticker is required",
        )),
        _ => Err(ApiError::bad_request(
            "Give only one of text, template, image, video, audio, document or sticker",
        )),
    }
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
    if let Some(why) = template_limits::check(&found.components, &components) {
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
