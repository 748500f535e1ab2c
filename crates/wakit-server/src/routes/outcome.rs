//! What `POST /messages` answers: it waits briefly (`ApiConfig::send_wait`) for the
//! dispatcher — which may run in another replica, so it reads the database — then says
//! `sent` (200, with the wamid), Meta's refusal, or `pending` (202).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::time::{Duration, Instant};
use wakit_api::{MetaErrorBody, SendResponse};
use wakit_core::{MessageId, MessageStatus, OrgId};
use wakit_store::MessageRecord;

use crate::AppState;
use crate::error::ApiError;

/// First and longest pause between reads of the message.
const POLL: (Duration, Duration) = (Duration::from_millis(5), Duration::from_millis(100));

/// Reads the message until it left `pending` or the wait is over.
pub async fn await_outcome(
    state: &AppState,
    org: OrgId,
    id: MessageId,
) -> Result<MessageRecord, ApiError> {
    let deadline = Instant::now() + state.api.send_wait;
    let mut pause = POLL.0;
    loop {
        let message = state.store.get_message(org, id).await?;
        let settled = message.external_id.is_some() || message.status != MessageStatus::Pending;
        let left = deadline.saturating_duration_since(Instant::now());
        if settled || left.is_zero() {
            return Ok(message);
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(POLL.1);
    }
}

/// The answer for a message in its current state.
pub fn answer(message: &MessageRecord) -> Result<Response, ApiError> {
    let body = outcome(message)?;
    let status = match body.wamid {
        Some(_) => StatusCode::OK,
        None => StatusCode::ACCEPTED,
    };
    Ok((status, Json(body)).into_response())
}

/// A message's state as the send's answer: `sent` with the wamid, Meta's refusal as an
/// error, or `pending`.
pub fn outcome(message: &MessageRecord) -> Result<SendResponse, ApiError> {
    let id = message.id.to_string();
    if let Some(wamid) = &message.external_id {
        return Ok(SendResponse {
            status: "sent".into(),
            id,
            wamid: Some(wamid.clone()),
        });
    }
    if message.status == MessageStatus::Failed {
        return Err(refused(message.error.as_ref(), id));
    }
    Ok(SendResponse {
        status: "pending".into(),
        id,
        wamid: None,
    })
}

/// Meta's "BSUID recipients not supported for this message".
const BSUID_NOT_SUPPORTED: i64 = 131062;

/// A failed send as an error: Meta's refusal of the request is 400 `meta_rejected`;
/// Meta refusing the number's token, or a failure on Meta's side or wakit's way to it,
/// is 502 `upstream_error`. Both carry the message id and Meta's code and message.
fn refused(error: Option<&Value>, id: String) -> ApiError {
    let first = match error {
        Some(Value::Array(items)) => items.first(),
        other => other,
    };
    let field = |k: &str| first.and_then(|e| e.get(k));
    let message = field("message")
        .or_else(|| field("title"))
        .and_then(Value::as_str)
        .unwrap_or("Meta did not accept the message")
        .to_string();
    let code = field("code").and_then(Value::as_i64);
    let permanent = code.map(wakit_meta::classify) == Some(wakit_meta::ErrorClass::Permanent);
    let (status, machine) = match code {
        Some(BSUID_NOT_SUPPORTED) => (StatusCode::BAD_REQUEST, "bsuid_not_supported"),
        _ if permanent => (StatusCode::BAD_REQUEST, "meta_rejected"),
        _ => (StatusCode::BAD_GATEWAY, "upstream_error"),
    };
    let sentence = match code {
        Some(BSUID_NOT_SUPPORTED) => format!(
            "This message cannot be sent to a customer known only by their WhatsApp user ID \
             (Meta requires a phone number for it, e.g. authentication templates): {message} \
             (Meta error {BSUID_NOT_SUPPORTED})"
        ),
        Some(c) => format!("{message} (Meta error {c})"),
        None => message.clone(),
    };
    ApiError::new(status, machine, sentence).with(|b| {
        b.id = Some(id);
        b.meta = code.map(|code| MetaErrorBody { code, message });
    })
}
