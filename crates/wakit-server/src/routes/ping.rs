//! `GET /ping`: no auth; says whether the database answers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wakit_api::PingResponse;

use crate::AppState;

/// The ping route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ping))
}

/// Whether the server and its database answer (no API key needed).
#[utoipa::path(get, path = "/ping", tag = "meta", responses(
        (status = 200, description = "Server and database up", body = PingResponse),
        (status = 503, description = "Database unavailable", body = PingResponse)))]
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
