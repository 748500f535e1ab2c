//! `/functions/v1/whatsapp-webhook`: Meta's verification handshake (GET) and event
//! delivery (POST). A POST is answered 200 only after its exact bytes are durable in
//! the inbox together with the job that will process them (group-committed with other
//! POSTs by the [`InboxWriter`]); a bad or missing signature is 401 and nothing is
//! stored (and counts against the sender's IP, see [`crate::refusals`]); a body that
//! could not be stored is 503 with `Retry-After`. The body is read only when a secret
//! is configured and the IP is within its budget, bounded in size and time.

use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use std::collections::HashMap;
use wakit_store::NewInboxItem;

use super::body::{Oversized, read_bounded};
use crate::AppState;
use crate::error::ApiError;
use crate::inbox_writer::InboxWriter;
use crate::refusals::{Kind, client_ip};

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
    request: Request,
) -> Response {
    // An empty secret would accept bodies signed with an empty key: it counts as none.
    let Some(secret) = state
        .webhook
        .app_secret
        .as_deref()
        .filter(|s| !s.is_empty())
    else {
        tracing::error!("Meta webhook POST refused: WAKIT_APP_SECRET is not set");
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The webhook is not configured (WAKIT_APP_SECRET).",
        )
        .into_response();
    };
    let refusals = &state.api.refusals;
    let ip = client_ip(request.extensions());
    if let Err(refused) = refusals.check(ip) {
        return refused.into_response();
    }
    let (parts, body) = request.into_parts();
    let body = match read_bounded(body, &parts.headers, &state, Oversized::Close).await {
        Ok(body) => body,
        Err(refused) => return refused.into_response(),
    };
    let signature = parts
        .headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if !wakit_meta::signature::verify(secret, &body, signature) {
        refusals.failed(ip);
        refusals.note(
            Kind::BadSignature,
            &format_args!(
                "{} bytes, signature present: {}",
                body.len(),
                signature.is_some()
            ),
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
