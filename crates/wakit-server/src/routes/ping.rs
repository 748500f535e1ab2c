//! `GET /ping`: no auth; says whether the database answers.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use wakit_api::PingResponse;

use crate::AppState;

/// The ping route.
pub fn router() -> Router<AppState> {
    Router::new().route("/ping", get(ping))
}

async fn ping(State(state): State<AppState>) -> (StatusCode, Json<PingResponse>) {
    let db_ok = state.store.ping().await.is_ok();
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = PingResponse {
        status: if db_ok { "ok" } else { "degraded" }.to_string(),
        timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        db: if db_ok { "connected" } else { "error" }.to_string(),
        backend: Some(state.store.backend().to_string()),
    };
    (status, Json(body))
}
