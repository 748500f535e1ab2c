//! `GET /conversations` and `GET /conversation` (alias `GET /messages`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wakit_api::{
    ContactBrief, ConversationItem, ConversationResponse, ConversationsResponse, LastMessage,
    MessageItem,
};
use wakit_core::{OrgId, ServiceWindow};
use wakit_store::{Account, ContactRef, MessageRecord};

use super::labels::{label, rfc3339};
use super::params::{Params, account_ref, customer, select_account};
use crate::AppState;
use crate::auth::ApiKeyAuth;
use crate::cache::AnswerKey;
use crate::error::ApiError;

/// Default and largest `limit` of `GET /conversations`.
const CONVERSATIONS: (u32, u32) = (10, 200);
/// Default and largest `limit` of `GET /conversation`.
const MESSAGES: (u32, u32) = (50, 1000);

/// The conversation routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(conversation))
        .routes(routes!(messages, super::send::send))
}

/// The org's timezone.
pub async fn org_zone(state: &AppState, org: OrgId) -> Result<Tz, ApiError> {
    Ok(state.api.cache.org(state, org).await?.zone)
}

pub(super) fn contact_brief(c: &ContactRef) -> ContactBrief {
    ContactBrief {
        name: c.name.clone(),
        phone: c.phone.as_str().to_string(),
        user_id: c.user_id.clone(),
        username: c.username.clone(),
    }
}

/// The v1 part, with a `text` even for parts that have none (`[template hello_world]`),
/// so every response carries at least `kind` and `text`.
fn content(m: &MessageRecord) -> Value {
    let mut v = serde_json::to_value(&m.content).unwrap_or(Value::Null);
    if let Some(obj) = v.as_object_mut()
        && !obj.contains_key("text")
    {
        obj.insert("text".into(), Value::String(m.content.preview()));
    }
    v
}

/// Active conversations of a number, newest message first, with previews.
#[utoipa::path(get, path = "/conversations", operation_id = "listConversations", tag = "conversations", security(("api_key" = [])),
    params(wakit_api::ConversationsQuery), responses(
        (status = 200, description = "Conversations", body = ConversationsResponse),
        super::openapi::ReadErrors))]
async fn list(
    State(state): State<AppState>,
    ApiKeyAuth(auth): ApiKeyAuth,
    params: Params,
) -> Result<Response, ApiError> {
    Ok(json_body(list_json(&state, auth.org_id, &params).await?))
}

/// The body of `GET /conversations` (`limit`, `account_phone`), shared with the MCP tools.
pub(crate) async fn list_json(
    state: &AppState,
    org: OrgId,
    params: &Params,
) -> Result<Bytes, ApiError> {
    let limit = params.limit(CONVERSATIONS.0, CONVERSATIONS.1)?;
    let account = select_account(state, org, params.get("account_phone")).await?;
    let zone = org_zone(state, org).await?;
    let now = Utc::now();
    let key = answer_key(org, &account, None, limit, zone, now);
    kept_or_built(state, key, now, async {
        let summaries = state
            .store
            .list_conversations(org, account.id, limit)
            .await?;
        let conversations = summaries
            .into_iter()
            .map(|s| ConversationItem {
                id: s.id.to_string(),
                contact: contact_brief(&s.contact),
                unread: s.unread,
                last_message: s.last_message.map(|m| LastMessage {
                    id: m.id.to_string(),
                    direction: m.direction.as_str().to_string(),
                    content: content(&m),
                    timestamp: label(m.timestamp, now, zone),
                    at: rfc3339(m.timestamp),
                    status: m.status.as_str().to_string(),
                }),
            })
            .collect();
        let answer = ConversationsResponse {
            account: account_ref(&account),
            conversations,
        };
        Ok((answer, None))
    })
    .await
}

/// The last `limit` messages with a contact, oldest first, and the service window.
#[utoipa::path(get, path = "/conversation", operation_id = "getConversation", tag = "conversations", security(("api_key" = [])),
    params(wakit_api::ConversationQuery), responses(
        (status = 200, description = "The conversation", body = ConversationResponse),
        super::openapi::ReadErrors))]
async fn conversation(
    State(state): State<AppState>,
    ApiKeyAuth(auth): ApiKeyAuth,
    params: Params,
) -> Result<Response, ApiError> {
    Ok(json_body(
        conversation_json(&state, auth.org_id, &params).await?,
    ))
}

/// The body of `GET /conversation` (`contact_phone` or `group_id`, `limit`,
/// `account_phone`), shared with the MCP tools.
pub(crate) async fn conversation_json(
    state: &AppState,
    org: OrgId,
    params: &Params,
) -> Result<Bytes, ApiError> {
    let limit = params.limit(MESSAGES.0, MESSAGES.1)?;
    let contact = match (params.get("contact_phone"), params.get("group_id")) {
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
    let account = select_account(state, org, params.get("account_phone")).await?;
    let zone = org_zone(state, org).await?;
    let now = Utc::now();
    let key = answer_key(org, &account, Some(contact.key()), limit, zone, now);
    kept_or_built(state, key, now, async {
        let Some(read) = state
            .store
            .read_conversation(org, account.id, &contact, limit)
            .await?
        else {
            return Err(ApiError::not_found(format!(
                "Conversation with contact {} not found",
                contact.as_str()
            )));
        };
        let conv = read.conversation;
        let window = ServiceWindow::at(read.newest_incoming, now);
        let messages = read
            .page
            .messages
            .iter()
            .map(|m| MessageItem {
                id: m.id.to_string(),
                direction: m.direction.as_str().to_string(),
                content: content(m),
                time: label(m.timestamp, now, zone),
                at: rfc3339(m.timestamp),
                status: m.status.as_str().to_string(),
                wamid: m.external_id.clone(),
                errors: m.error.as_ref().map(errors_list),
            })
            .collect();
        let open_until = window.is_open().then(|| window.expires_at()).flatten();
        let answer = ConversationResponse {
            account: account_ref(&account),
            contact: contact_brief(&conv.contact),
            service_window: window.label().to_string(),
            service_window_expires_at: open_until.map(rfc3339),
            conversation_id: conv.id.to_string(),
            messages,
        };
        // An open window's answer stops being true when the window closes.
        Ok((answer, open_until))
    })
    .await
}

/// The key of a conversation read's kept answer.
fn answer_key(
    org: OrgId,
    account: &Account,
    contact: Option<String>,
    limit: u32,
    zone: Tz,
    now: DateTime<Utc>,
) -> AnswerKey {
    AnswerKey {
        org,
        account: account.id,
        contact,
        limit,
        zone,
        today: now.with_timezone(&zone).date_naive(),
    }
}

/// The answer kept for `key` when the store's change epoch allows reusing it; else the
/// one `build` makes (with when it stops being true), kept for the next request.
async fn kept_or_built<T: Serialize>(
    state: &AppState,
    key: AnswerKey,
    now: DateTime<Utc>,
    build: impl Future<Output = Result<(T, Option<DateTime<Utc>>), ApiError>>,
) -> Result<Bytes, ApiError> {
    let epoch = state.store.change_epoch().await?;
    if let Some(body) = epoch.and_then(|e| state.api.cache.answer(&key, e, now)) {
        return Ok(body);
    }
    let (answer, until) = build.await?;
    let body = Bytes::from(serde_json::to_vec(&answer).map_err(ApiError::internal)?);
    if let Some(e) = epoch {
        state.api.cache.keep(key, e, until, body.clone());
    }
    Ok(body)
}

/// A JSON body already serialized.
fn json_body(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Alias of `GET /conversation`.
#[utoipa::path(get, path = "/messages", operation_id = "listMessages", tag = "conversations", security(("api_key" = [])),
    params(wakit_api::ConversationQuery), responses(
        (status = 200, description = "The conversation", body = ConversationResponse),
        super::openapi::ReadErrors))]
async fn messages(
    state: State<AppState>,
    auth: ApiKeyAuth,
    params: Params,
) -> Result<Response, ApiError> {
    conversation(state, auth, params).await
}

/// A stored error as a list (Meta sends `errors: [...]`).
fn errors_list(e: &Value) -> Vec<Value> {
    match e {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}
