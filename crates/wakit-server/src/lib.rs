//! The HTTP server. Handlers extract, parse into domain types, call the store and map
//! to wire types; they know no SQL.
#![forbid(unsafe_code)]

pub mod auth;
pub mod error;
pub mod inbox_writer;
pub mod routes;
pub mod workers;

use axum::{Extension, Router};
use inbox_writer::InboxWriter;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use wakit_store::Store;

/// Largest request body accepted (bytes).
pub const MAX_BODY: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Meta webhook settings.
    pub webhook: WebhookConfig,
}

/// Meta webhook settings (`WAKIT_APP_SECRET`, `WAKIT_VERIFY_TOKEN`).
#[derive(Clone, Default)]
pub struct WebhookConfig {
    /// The Meta app secret that signs webhook bodies. Without it, POSTs are refused.
    pub app_secret: Option<Vec<u8>>,
    /// The token Meta's verification handshake must present.
    pub verify_token: Option<String>,
}

/// The whole HTTP application; Meta webhook bodies are stored through `inbox`.
pub fn app(state: AppState, inbox: InboxWriter) -> Router {
    Router::new()
        .nest(wakit_api::API_PREFIX, routes::api_router())
        .merge(routes::webhook::router().layer(Extension(inbox)))
        .fallback(error::not_found)
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// How `serve` runs.
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    /// How long in-flight requests and the workers' current batch may take after shutdown.
    pub drain: Duration,
    /// Whether this process also runs the background workers.
    pub workers: bool,
}

/// Serves `app` on `listener` and runs the workers until `shutdown` fires, then
/// finishes in-flight requests and the workers' current batch (bounded by `drain`).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
    options: ServeOptions,
) -> std::io::Result<()> {
    let drain = options.drain;
    let processor = workers::webhooks::WebhookProcessor::new(state.store.clone());
    let mut workers = tokio::task::JoinSet::new();
    if options.workers {
        for _ in 0..processor.parallelism() {
            workers.spawn(processor.clone().run(shutdown.clone()));
        }
    }
    let (inbox, writer) = InboxWriter::spawn(
        state.store.clone(),
        inbox_writer::MAX_GROUP,
        inbox_writer::QUEUE,
    );
    let signal = shutdown.clone();
    let server = axum::serve(listener, app(state, inbox))
        .with_graceful_shutdown(async move { signal.cancelled().await });
    let server = tokio::spawn(async move { server.await });
    shutdown.cancelled().await;
    let finished = tokio::time::timeout(drain, async {
        let served = server.await;
        // The server has answered its last request and dropped every writer handle, so
        // the writer has committed what was queued and is stopping.
        let _ = writer.await;
        while workers.join_next().await.is_some() {}
        served
    })
    .await;
    match finished {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(std::io::Error::other(join)),
        Err(_) => {
            tracing::warn!("in-flight work did not finish within {drain:?}; closing");
            Ok(())
        }
    }
}
