//! The HTTP server. Handlers extract, parse into domain types, call the store and map
//! to wire types; they know no SQL.
#![forbid(unsafe_code)]

pub mod access_log;
pub mod auth;
pub mod cache;
pub mod caller;
pub mod conn;
pub mod deliveries;
pub mod error;
pub mod flights;
pub mod graph;
pub mod inbox_writer;
pub mod mcp;
pub mod media;
pub mod metrics;
pub mod outgoing;
pub mod refusals;
pub mod routes;
pub mod workers;

use axum::{Extension, Router};
use inbox_writer::InboxWriter;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;
use wakit_store::Store;
use workers::supervisor::supervise;

/// Largest request body accepted (bytes).
pub const MAX_BODY: usize = 1024 * 1024;

/// Default time a request body may take to arrive, whole (seconds).
pub const DEFAULT_BODY_TIMEOUT_SECS: u64 = 10;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Meta webhook settings.
    pub webhook: WebhookConfig,
    /// The Graph API side (client, token key, dispatch settings). Without it nothing is
    /// sent to Meta (the dispatcher does not run).
    pub meta: Option<MetaConfig>,
    /// REST API settings.
    pub api: ApiConfig,
}

/// How wakit talks to Meta's Graph API.
#[derive(Clone)]
pub struct MetaConfig {
    /// The client, bound to `WAKIT_GRAPH_URL`.
    pub graph: wakit_meta::GraphClient,
    /// Opens the numbers' sealed access tokens.
    pub secrets: wakit_store::secrets::SecretBox,
    /// Dispatcher settings.
    pub dispatch: workers::dispatch::DispatchConfig,
}

/// Meta webhook settings (`WAKIT_APP_SECRET`, `WAKIT_VERIFY_TOKEN`).
#[derive(Clone, Default)]
pub struct WebhookConfig {
    /// The Meta app secret that signs webhook bodies. Without it, POSTs are refused.
    pub app_secret: Option<Vec<u8>>,
    /// The token Meta's verification handshake must present.
    pub verify_token: Option<String>,
}

/// The whole HTTP application; Meta webhook bodies are stored through `inbox`. No body
/// is read before its request is authenticated (API key) or, for the webhook, before
/// the server can check a signature at all; each is read with [`MAX_BODY`] and
/// [`ApiConfig::body_timeout`] as limits (see `routes::body`).
pub fn app(state: AppState, inbox: InboxWriter) -> Router {
    Router::new()
        .nest(wakit_api::API_PREFIX, routes::api_router())
        .nest(
            routes::auth::AUTH_PREFIX,
            routes::auth::router(&state).layer(routes::cors::supabase()),
        )
        .merge(routes::webhook::router().layer(Extension(inbox)))
        .merge(routes::rest::router().layer(routes::cors::supabase()))
        .merge(mcp::router(&state))
        .merge(dashboard(&state))
        .fallback(error::not_found)
        .layer(axum::middleware::map_response(routes::json_errors))
        .layer(axum::middleware::from_fn(access_log::log))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The dashboard at `/`: a client of `/auth/v1` (called in-process by its session
/// cookie endpoints, with the anon key as any client sends it) and of the other routes.
fn dashboard(state: &AppState) -> Router<AppState> {
    let anon_key = state.api.auth.secret.api_key(false).unwrap_or_else(|e| {
        tracing::error!(
            error = e.message(),
            "cannot sign the anon key; dashboard sign-in fails"
        );
        String::new()
    });
    wakit_dashboard::router(wakit_dashboard::DashboardConfig {
        anon_key,
        auth: routes::auth::router(state).with_state(state.clone()),
    })
}

/// REST API settings.
#[derive(Clone)]
pub struct ApiConfig {
    /// How long `POST /messages` waits for Meta's answer before it says `pending` (202).
    pub send_wait: Duration,
    /// Requests per second each API key may make (with a burst of twice that); `None` =
    /// unlimited.
    pub rate_limit: Option<u32>,
    /// The per-key limiter (shared by every request of this process).
    pub limiter: Arc<workers::pacing::Pacer<wakit_core::ApiKeyId>>,
    /// Authenticated keys and the orgs' numbers and timezones, for [`cache::TTL`].
    pub cache: Arc<cache::ApiCache>,
    /// The background workers' states (`GET /ready` names the ones that are down).
    pub workers: Arc<workers::supervisor::Health>,
    /// How long a request body (API or webhook) may take to arrive, whole; later → 408.
    pub body_timeout: Duration,
    /// Failed authentications per IP, and sampled logging of refusals.
    pub refusals: Arc<refusals::Refusals>,
    /// Shared runs of the database probe and of Meta calls (single-flight).
    pub probes: Arc<flights::Probes>,
    /// Age after which a number's template cache is refreshed from Meta on the next read.
    pub template_ttl: Duration,
    /// Sign-in (`/auth/v1`): the JWT secret, token lifetime, whether sign-up is open.
    pub auth: routes::auth::AuthConfig,
    /// The MCP endpoint's allowed hosts (`WAKIT_MCP_ALLOWED_HOSTS`).
    pub mcp: mcp::McpConfig,
    /// The event stream (`GET /events`).
    pub events: routes::events::EventsConfig,
    /// Media storage, upload limit and URL signing (the dispatcher's downloads use it too).
    pub media: media::MediaConfig,
    /// Outbound webhooks (their management routes and the delivery worker).
    pub webhooks: deliveries::OutboundConfig,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            send_wait: Duration::from_secs(5),
            rate_limit: Some(DEFAULT_API_RATE),
            limiter: Arc::default(),
            cache: Arc::default(),
            workers: Arc::default(),
            body_timeout: Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECS),
            refusals: Arc::default(),
            probes: Arc::default(),
            template_ttl: Duration::from_secs(15 * 60),
            auth: routes::auth::AuthConfig::default(),
            mcp: mcp::McpConfig::default(),
            events: routes::events::EventsConfig::default(),
            media: media::MediaConfig::default(),
            webhooks: deliveries::OutboundConfig::default(),
        }
    }
}

/// How often a process looks for leases of processes that are gone.
const LEASE_CHECK: Duration = Duration::from_secs(5);

/// Default requests per second per API key.
pub const DEFAULT_API_RATE: u32 = 100;

/// How `serve` runs.
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    /// How long in-flight requests and the workers' current batch may take after shutdown.
    pub drain: Duration,
    /// Whether this process also runs the background workers.
    pub workers: bool,
    /// How long a worker owns a claimed job; a crashed replica's jobs return to the
    /// queue after this. Sends stay at most once whatever it is (attempt markers).
    pub job_lease: Duration,
    /// Caps on open connections and their timeouts.
    pub connections: conn::ConnLimits,
    /// What the retention worker deletes, and how often it runs.
    pub retention: workers::retention::RetentionConfig,
    /// The AI agent runtime (model timeout and retries, turn lease).
    pub agents: workers::agents::AgentRuntimeConfig,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            drain: Duration::from_secs(10),
            workers: true,
            job_lease: Duration::from_secs(30),
            connections: conn::ConnLimits::default(),
            retention: workers::retention::RetentionConfig::default(),
            agents: workers::agents::AgentRuntimeConfig::default(),
        }
    }
}

/// Starts the background workers: webhook processing, retention, outbound webhook
/// deliveries when a secret key is set, and the dispatcher when Meta is configured.
/// They stop at their next batch boundary once `shutdown` fires. First, the leases of
/// processes that are provably gone (a crash just before this restart) are resumed, so
/// their work goes on now rather than when the leases run out.
async fn spawn_workers(
    state: &AppState,
    options: &ServeOptions,
    shutdown: &CancellationToken,
) -> tokio_util::task::TaskTracker {
    match state.store.resume_orphaned_leases(chrono::Utc::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(jobs = n, "resumed the jobs of a process that stopped"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot resume a stopped process's jobs; they resume when their leases expire")
        }
    }
    let tracker = tokio_util::task::TaskTracker::new();
    // Replicas die while others live on: look for a gone process's leases now and then,
    // not only at start, so its work resumes on the survivors within seconds.
    let (store, cancel) = (state.store.clone(), shutdown.clone());
    tracker.spawn(async move {
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(LEASE_CHECK) => {}
            }
            match store.resume_orphaned_leases(chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(jobs = n, "resumed the jobs of a process that stopped"),
                Err(e) => tracing::debug!(error = %e, "lease check failed"),
            }
        }
    });
    let health = state.api.workers.clone();
    let pruner = workers::retention::Pruner::new(state.store.clone(), options.retention)
        .with_media(state.api.media.storage.clone());
    let cancel = shutdown.clone();
    supervise(
        &tracker,
        health.clone(),
        "retention".into(),
        shutdown.clone(),
        move || pruner.clone().run(cancel.clone()),
    );
    let processor =
        workers::webhooks::WebhookProcessor::new(state.store.clone()).with_lease(options.job_lease);
    for n in 1..=processor.parallelism() {
        let (processor, cancel) = (processor.clone(), shutdown.clone());
        supervise(
            &tracker,
            health.clone(),
            format!("webhooks-{n}"),
            shutdown.clone(),
            move || processor.clone().run(cancel.clone()),
        );
    }
    if let Some(outbound) = deliveries::worker::Outbound::new(state.clone()) {
        let cancel = shutdown.clone();
        supervise(
            &tracker,
            health.clone(),
            "deliveries".into(),
            shutdown.clone(),
            move || outbound.clone().run(cancel.clone()),
        );
    }
    if let Some(meta) = &state.meta {
        let dispatcher = workers::dispatch::Dispatcher::new(
            state.store.clone(),
            meta.graph.clone(),
            meta.secrets.clone(),
            workers::dispatch::DispatchConfig {
                lease: options.job_lease,
                media: state.api.media.clone(),
                ..meta.dispatch.clone()
            },
        );
        let cancel = shutdown.clone();
        supervise(
            &tracker,
            health.clone(),
            "dispatcher".into(),
            shutdown.clone(),
            move || dispatcher.clone().run(cancel.clone()),
        );
        // AI agents answer through the send path, so only where messages are sent.
        let runtime = workers::agents::Runtime::new(state.clone(), options.agents);
        let cancel = shutdown.clone();
        supervise(
            &tracker,
            health,
            "agents".into(),
            shutdown.clone(),
            move || runtime.clone().run(cancel.clone()),
        );
    }
    tracker
}

/// Runs the workers alone (no HTTP) until `shutdown` fires, then lets them finish their
/// current batch (bounded by `options.drain`).
pub async fn work(
    state: AppState,
    shutdown: CancellationToken,
    options: ServeOptions,
) -> std::io::Result<()> {
    let tracker = spawn_workers(&state, &options, &shutdown).await;
    tracker.close();
    shutdown.cancelled().await;
    if tokio::time::timeout(options.drain, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("workers did not finish within {:?}; closing", options.drain);
    }
    Ok(())
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
    let mut state = state;
    // Event streams never end by themselves: they end with the server.
    state.api.events.closing = shutdown.child_token();
    let tracker = if options.workers {
        spawn_workers(&state, &options, &shutdown).await
    } else {
        tokio_util::task::TaskTracker::new()
    };
    tracker.close();
    let (inbox, writer) = InboxWriter::spawn(
        state.store.clone(),
        state.api.workers.clone(),
        inbox_writer::MAX_GROUP,
        inbox_writer::QUEUE,
    );
    let refusals = Arc::clone(&state.api.refusals);
    let server = tokio::spawn(conn::serve(
        listener,
        app(state, inbox),
        options.connections,
        refusals,
        shutdown.clone(),
    ));
    shutdown.cancelled().await;
    let finished = tokio::time::timeout(drain, async {
        let served = server.await;
        // The server has answered its last request and dropped every writer handle, so
        // the writer has committed what was queued and is stopping.
        writer.finished().await;
        tracker.wait().await;
        served
    })
    .await;
    match finished {
        Ok(Ok(())) => Ok(()),
        Ok(Err(join)) => Err(std::io::Error::other(join)),
        Err(_) => {
            tracing::warn!("in-flight work did not finish within {drain:?}; closing");
            Ok(())
        }
    }
}
