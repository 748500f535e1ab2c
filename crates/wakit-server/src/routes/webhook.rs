//! `/functions/v1/whatsapp-webhook`: Meta's verification handshake (GET) and event
//! delivery (POST). A POST is answered 200 only after its exact bytes are durable in
//! the inbox together with the job that will process them; a bad or missing signature
//! is 401 and nothing is stored.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;

use crate::AppState;
use crate::error::ApiError;

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
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let Some(secret) = state.webhook.app_secret.as_deref() else {
        tracing::error!("Meta webhook POST refused: WAKIT_APP_SECRET is not set");
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The webhook is not configured (WAKIT_APP_SECRET).",
        ));
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
        return Err(ApiError::unauthorized(
            "Invalid or missing X-Hub-Signature-256",
        ));
    }
    state
        .store
        .inbox_put(&body, signature, chrono::Utc::now())
        .await?;
    Ok(StatusCode::OK)
}
