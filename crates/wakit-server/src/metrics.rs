//! Prometheus metrics, served on their own listener (`WAKIT_METRICS_LISTEN`) at
//! `GET /metrics`. Counters are recorded where things happen (sends accepted per number,
//! Meta error codes); gauges that describe the database (queue depth, webhook ingest lag,
//! the connection pool) are read at scrape time, so every replica reports the shared
//! queue the same way.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use metrics::{counter, gauge};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder (once); `None` if another recorder was installed.
pub fn handle() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(h) => Some(h),
            Err(e) => {
                tracing::warn!(error = %e, "metrics recorder not installed");
                None
            }
        })
        .clone()
}

/// Meta accepted a message from `number` (phone-number id).
pub fn sent(number: &str) {
    counter!("wakit_sends_total", "number" => number.to_string()).increment(1);
}

/// The rate `number` is paced to (messages/s), next to its sends.
pub fn send_limit(number: &str, mps: u32) {
    gauge!("wakit_send_limit_mps", "number" => number.to_string()).set(f64::from(mps));
}

/// Meta answered a call with an error `code` (`none` for transport failures).
pub fn meta_error(code: Option<i64>) {
    let code = code.map_or_else(|| "none".to_string(), |c| c.to_string());
    counter!("wakit_meta_errors_total", "code" => code).increment(1);
}

/// A webhook item wakit does not handle (yet) was kept in the inbox as `ignored`:
/// `field` is its webhook field (`errors` for an error without a phone-number id).
pub fn webhook_ignored(field: &str) {
    counter!("wakit_webhook_ignored_total", "field" => field.to_string()).increment(1);
}

/// The retention worker deleted `n` old rows of `table` (a [`wakit_store::RetentionTarget`]
/// name).
pub fn pruned(table: &'static str, n: u64) {
    counter!("wakit_retention_deleted_total", "table" => table).increment(n);
}

/// An inbound file of `bytes` was downloaded from Meta and stored.
pub fn media_stored(bytes: u64) {
    counter!("wakit_media_stored_total").increment(1);
    counter!("wakit_media_stored_bytes_total").increment(bytes);
}

/// The metrics router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}

/// Connections the metrics listener keeps open at once (scrapers are few).
const MAX_SCRAPERS: usize = 64;

/// Serves `/metrics` on `listener` until `shutdown`, with the API's timeouts and a
/// small connection cap.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    handle();
    let limits = crate::conn::ConnLimits {
        max_connections: MAX_SCRAPERS,
        ..crate::conn::ConnLimits::default()
    };
    let refusals = state.api.refusals.clone();
    crate::conn::serve(listener, router(state), limits, refusals, shutdown).await;
    Ok(())
}

async fn scrape(State(state): State<AppState>) -> (StatusCode, String) {
    let Some(handle) = handle() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable\n".into(),
        );
    };
    let store = &state.store;
    match store.job_counts().await {
        Ok(counts) => {
            for (kind, st, n) in counts {
                gauge!("wakit_jobs", "kind" => kind, "state" => st).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: job counts unavailable"),
    }
    match store.inbox_oldest_pending().await {
        Ok(oldest) => {
            let lag = oldest.map_or(0.0, |t| {
                (chrono::Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0
            });
            gauge!("wakit_webhook_ingest_lag_seconds").set(lag);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: ingest lag unavailable"),
    }
    let pool = store.pool_status();
    gauge!("wakit_db_pool_connections", "state" => "open").set(f64::from(pool.size));
    gauge!("wakit_db_pool_connections", "state" => "idle").set(f64::from(pool.idle));
    gauge!("wakit_db_pool_connections", "state" => "max").set(f64::from(pool.max));
    (StatusCode::OK, handle.render())
}
