//! `/functions/v1/whatsapp-webhook`: Meta's verification handshake (GET) and event
//! delivery (POST). A POST is answered 200 only after its exact bytes are durable in
//! the inbox together with the job that will process them (group-committed with other
//! POSTs by the [`InboxWriter`]); a bad or missing signature is 401 and nothing is
//! stored; a body that could not be stored is 503 with `Retry-After`.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use std::collections::HashMap;
use wakit_store::NewInboxItem;

use crate::AppState;
use crate::error::ApiError;
use crate::inbox_writer::InboxWriter;

/// Path of the Meta webhook.
pub const WEBHOOK_PATH: &str = "/functions/v1/whatsapp-webhook";

/// The webhook routes (mounted at the root).
pub fn router() -> Router<AppState> {
    Router::new().route(WEBHOOK_PATH, get(verify).post(receive))
}

async fn verify(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let expected = state.webhook.verify_token.as_deref().unwrap_or_default();
    let get = |k: &str| q.get(k).map(String::as_str);
    match wakit_meta::webhook::verify_challenge(
        get("hub.mode"),
        get("hub.verify_token"),
        get("hub.challenge"),
        expected,
    ) {
        Some(challenge) => (StatusCode::OK, challenge).into_response(),
        None => ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Verification failed, tokens do not match",
        )
        .into_response(),
    }
}

async fn receive(
    State(state): State<AppState>,
    Extension(inbox): Extension<InboxWriter>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(secret) = state.webhook.app_secret.as_deref() else {
        tracing::error!("Meta webhook POST refused: WAKIT_APP_SECRET is not set");
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The webhook is not configured (WAKIT_APP_SECRET).",
        )
        .into_response();
    };
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if !wakit_meta::signature::verify(secret, &body, signature) {
        tracing::warn!(
            bytes = body.len(),
            has_signature = signature.is_some(),
            "Meta webhook with a bad signature refused"
        );
        return ApiError::unauthorized("Invalid or missing X-Hub-Signature-256").into_response();
    }
    let item = NewInboxItem {
        body: body.to_vec(),
        signature: signature.map(str::to_owned),
        received_at: chrono::Utc::now(),
    };
    match inbox.submit(item).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(refused) => refused.into_response(),
    }
}
