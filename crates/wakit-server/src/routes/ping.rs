//! `GET /ping` (uptime: is the server up, does the database answer) and `GET /ready`
//! (readiness for a load balancer: 503 while the database does not answer within
//! [`DB_TIMEOUT`]). Neither needs a key; both report the connection pool. Both answer
//! from one shared database probe at most [`PROBE_EVERY`] old (single-flight), so a
//! flood of pings costs one query a second, not one each.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wakit_api::{PingResponse, PoolInfo};

use crate::AppState;

/// How long the database may take to answer a health check.
pub const DB_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a database probe's result is reused.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);

/// The ping and readiness routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ping))
        .routes(routes!(ready))
}

/// Whether the server and its database answer (no API key needed).
#[utoipa::path(get, path = "/ping", operation_id = "ping", tag = "meta", responses(
        (status = 200, description = "Server and database up", body = PingResponse),
        (status = 503, description = "Database unavailable", body = PingResponse)))]
async fn ping(State(state): State<AppState>) -> (StatusCode, Json<PingResponse>) {
    check(&state, "ok", "degraded").await
}

/// Readiness: 200 while this replica can serve (its database answers within 2 s and
/// none of its workers is down after a panic; `workers_down` names those that are).
#[utoipa::path(get, path = "/ready", operation_id = "ready", tag = "meta", responses(
        (status = 200, description = "Ready", body = PingResponse),
        (status = 503, description = "Not ready: the database does not answer, or a worker is down (`workers_down`)", body = PingResponse)))]
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<PingResponse>) {
    let (mut status, Json(mut body)) = check(&state, "ready", "unavailable").await;
    let down = state.api.workers.down();
    if !down.is_empty() {
        status = StatusCode::SERVICE_UNAVAILABLE;
        body.status = "unavailable".into();
        body.workers_down = Some(down);
    }
    (status, Json(body))
}

async fn check(state: &AppState, up: &str, down: &str) -> (StatusCode, Json<PingResponse>) {
    let store = state.store.clone();
    let probe = || async move {
        let answered = tokio::time::timeout(DB_TIMEOUT, store.ping()).await;
        matches!(answered, Ok(Ok(())))
    };
    let db_ok = state.api.probes.db.run((), |_| PROBE_EVERY, probe).await;
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let pool = state.store.pool_status();
    let body = PingResponse {
        status: if db_ok { up } else { down }.to_string(),
        timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        db: if db_ok { "connected" } else { "error" }.to_string(),
        backend: Some(state.store.backend().to_string()),
        pool: Some(PoolInfo {
            size: pool.size,
            idle: pool.idle,
            max: pool.max,
        }),
        workers_down: None,
    };
    (status, Json(body))
}
