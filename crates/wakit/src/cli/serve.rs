//! `wakit serve` (the HTTP server: API + Meta webhook, and the workers unless
//! `--no-workers`) and `wakit worker` (the workers alone), with one configuration and
//! graceful shutdown. Any mix of the two may run against one database.

use anyhow::Context;
use clap::Args;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use wakit_server::conn::{self, ConnLimits};
use wakit_server::mcp::McpConfig;
use wakit_server::media::{MediaConfig, MediaStorage, UrlSigner};
use wakit_server::refusals::{self, Refusals};
use wakit_server::routes::auth::AuthConfig;
use wakit_server::workers::dispatch::DispatchConfig;
use wakit_server::workers::retention::RetentionConfig;
use wakit_server::{ApiConfig, AppState, MetaConfig, ServeOptions, WebhookConfig};
use wakit_store::RetentionPolicy;

use super::db::DbArgs;

/// Options of `wakit serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "WAKIT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Serve only the API and the Meta webhook; the workers (webhook processing,
    /// sending) run in `wakit worker` processes.
    #[arg(long, env = "WAKIT_NO_WORKERS")]
    pub no_workers: bool,
    #[command(flatten)]
    pub connections: ConnArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Caps on open connections and their timeouts (`wakit serve`).
#[derive(Debug, Args)]
pub struct ConnArgs {
    /// Connections open at once; further ones wait (in the kernel's backlog) until one
    /// closes. Keep it under the process's file-descriptor limit (`ulimit -n`).
    #[arg(long, env = "WAKIT_MAX_CONNECTIONS", default_value_t = conn::DEFAULT_MAX_CONNECTIONS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_connections: usize,
    /// Connections open at once from one client IP; 0 = no per-IP cap. Behind a proxy or
    /// load balancer every client has its address: raise it or set 0 there.
    #[arg(long, env = "WAKIT_MAX_CONNECTIONS_PER_IP", default_value_t = conn::DEFAULT_MAX_CONNECTIONS_PER_IP)]
    pub max_connections_per_ip: usize,
    /// How long a request's headers may take to arrive, counted from the connection's
    /// start or the previous answer (so it is also how long a keep-alive connection may
    /// sit idle).
    #[arg(long, env = "WAKIT_HEADER_TIMEOUT_SECONDS", default_value_t = conn::DEFAULT_HEADER_TIMEOUT_SECS,
          value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_seconds: u64,
    /// How long a connection may wait on a read or a write with no byte moving (a stalled
    /// upload, a client that stops reading its answer) before it is closed.
    #[arg(long, env = "WAKIT_IDLE_TIMEOUT_SECONDS", default_value_t = conn::DEFAULT_IDLE_TIMEOUT_SECS,
          value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_seconds: u64,
}

impl ConnArgs {
    /// The connection limits these options describe.
    pub fn limits(&self) -> ConnLimits {
        ConnLimits {
            max_connections: self.max_connections,
            max_connections_per_ip: self.max_connections_per_ip,
            header_timeout: Duration::from_secs(self.header_timeout_seconds),
            idle_timeout: Duration::from_secs(self.idle_timeout_seconds),
        }
    }
}

/// Options of `wakit worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub run: RunArgs,
}

/// What `serve` and `worker` share.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Meta Graph API base URL (point it at the sandbox to run without Meta).
    #[arg(
        long,
        env = "WAKIT_GRAPH_URL",
        default_value = "https://graph.facebook.com/v24.0"
    )]
    pub graph_url: String,
    /// Meta app secret: verifies the X-Hub-Signature-256 of webhook POSTs. At least 16
    /// characters (Meta's are 32); empty counts as unset (webhook POSTs are refused).
    #[arg(long, env = "WAKIT_APP_SECRET", hide_env_values = true)]
    pub app_secret: Option<String>,
    /// Token Meta presents in the webhook verification handshake. At least 16
    /// characters; empty counts as unset (the handshake is refused).
    #[arg(long, env = "WAKIT_VERIFY_TOKEN", hide_env_values = true)]
    pub verify_token: Option<String>,
    /// How long in-flight requests and the workers' current batch may take after SIGTERM.
    #[arg(long, default_value = "10", value_name = "SECONDS")]
    pub drain_seconds: u64,
    /// How long a worker owns a claimed job before another may take it over (a crashed
    /// process's work resumes after this).
    #[arg(long, env = "WAKIT_JOB_LEASE_SECONDS", default_value = "30", value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub job_lease_seconds: u64,
    #[command(flatten)]
    pub dispatch: DispatchArgs,
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub outbound: super::outbound::OutboundArgs,
    /// Serve Prometheus metrics at http://ADDR/metrics (queue depth, ingest lag, sends
    /// and limits per number, Meta error codes, pool).
    #[arg(long, env = "WAKIT_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    #[command(flatten)]
    pub retention: RetentionArgs,
    #[command(flatten)]
    pub agents: super::agent_args::AgentArgs,
}

/// How long old rows are kept; the workers delete them every interval.
#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// How long change events are kept; a reader of the event feed further behind than
    /// this misses what was deleted.
    #[arg(long, env = "WAKIT_EVENT_RETENTION_HOURS", default_value = "72", value_name = "HOURS",
          value_parser = at_least_one("WAKIT_EVENT_RETENTION_HOURS", 24 * MAX_DAYS))]
    pub event_retention_hours: u32,
    /// How long finished jobs are kept.
    #[arg(long, env = "WAKIT_JOB_RETENTION_DAYS", default_value = "7", value_name = "DAYS",
          value_parser = at_least_one("WAKIT_JOB_RETENTION_DAYS", MAX_DAYS))]
    pub job_retention_days: u32,
    /// How long processed Meta webhook bodies are kept.
    #[arg(long, env = "WAKIT_INBOX_RETENTION_DAYS", default_value = "7", value_name = "DAYS",
          value_parser = at_least_one("WAKIT_INBOX_RETENTION_DAYS", MAX_DAYS))]
    pub inbox_retention_days: u32,
    /// How long dead jobs and webhook bodies whose processing failed are kept (for an
    /// operator to look into, or to retry).
    #[arg(long, env = "WAKIT_DEAD_RETENTION_DAYS", default_value = "30", value_name = "DAYS",
          value_parser = at_least_one("WAKIT_DEAD_RETENTION_DAYS", MAX_DAYS))]
    pub dead_retention_days: u32,
    /// Time between two deletions of old rows (the first comes at most 30 s after start).
    #[arg(long, env = "WAKIT_RETENTION_INTERVAL_SECONDS", default_value = "600", value_name = "SECONDS",
          value_parser = at_least_one("WAKIT_RETENTION_INTERVAL_SECONDS", 24 * 3600 * MAX_INTERVAL_DAYS))]
    pub retention_interval_seconds: u32,
    /// Media files (their bytes and rows) kept this many days; a message whose file is
    /// deleted keeps its part, marked expired. Unset: files are kept.
    #[arg(long, env = "WAKIT_MEDIA_RETENTION_DAYS", value_name = "DAYS",
          value_parser = at_least_one("WAKIT_MEDIA_RETENTION_DAYS", MAX_DAYS))]
    pub media_retention_days: Option<u32>,
}

/// Longest retention accepted, in days (a century: anything longer is "forever").
const MAX_DAYS: u32 = 36_500;
/// Longest retention interval accepted, in days.
const MAX_INTERVAL_DAYS: u32 = 30;

/// A parser of a whole number from 1 to `max`: 0 or a negative number would keep
/// nothing, so it stops the start with a message naming the setting.
fn at_least_one(
    name: &'static str,
    max: u32,
) -> impl Fn(&str) -> Result<u32, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        let n: i64 = s
            .trim()
            .parse()
            .map_err(|_| format!("{name} must be a whole number from 1 to {max}, not {s:?}"))?;
        if n < 1 {
            return Err(format!(
                "{name} must be at least 1, not {n} (nothing can be kept for no time)"
            ));
        }
        u32::try_from(n)
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("{name} must be at most {max}, not {n}"))
    }
}

impl RetentionArgs {
    /// The retention worker's configuration these options describe.
    pub fn config(&self) -> RetentionConfig {
        let days = |n: u32| chrono::Duration::days(i64::from(n));
        RetentionConfig {
            policy: RetentionPolicy {
                events: chrono::Duration::hours(i64::from(self.event_retention_hours)),
                finished_jobs: days(self.job_retention_days),
                processed_inbox: days(self.inbox_retention_days),
                dead_jobs: days(self.dead_retention_days),
                failed_inbox: days(self.dead_retention_days),
                ..RetentionPolicy::default()
            },
            interval: Duration::from_secs(u64::from(self.retention_interval_seconds)),
            media: self.media_retention_days.map(days),
            media_grace: wakit_server::workers::retention::MEDIA_GRACE,
        }
    }
}

/// Dispatcher settings.
#[derive(Debug, Args)]
pub struct DispatchArgs {
    /// Send rate for numbers without their own (`wakit admin account set-rate`), messages/s.
    #[arg(long, env = "WAKIT_DEFAULT_MPS", default_value = "80",
          value_parser = clap::value_parser!(u32).range(1..=wakit_store::MAX_MPS as i64))]
    pub default_mps: u32,
    /// How long a send Meta refuses with a retryable code is retried before it fails.
    #[arg(
        long,
        env = "WAKIT_SEND_RETRY_SECONDS",
        default_value = "600",
        value_name = "SECONDS"
    )]
    pub send_retry_seconds: u64,
    /// How long a send interrupted mid-request (crash, timeout) waits for Meta's status
    /// webhook before it is failed as "outcome unknown" (it is never sent twice).
    #[arg(
        long,
        env = "WAKIT_SEND_RECONCILE_SECONDS",
        default_value = "900",
        value_name = "SECONDS"
    )]
    pub send_reconcile_seconds: u64,
}

/// REST API options.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// Requests per second each API key may make (bursts of twice that); 0 = unlimited.
    /// Over the limit the API answers 429 with Retry-After.
    #[arg(long, env = "WAKIT_API_RATE_LIMIT", default_value_t = wakit_server::DEFAULT_API_RATE, value_name = "PER_SECOND")]
    pub api_rate_limit: u32,
    /// How long POST /messages waits for Meta's answer before answering 202 pending.
    #[arg(
        long,
        env = "WAKIT_SEND_WAIT_MS",
        default_value = "5000",
        value_name = "MS"
    )]
    pub send_wait_ms: u64,
    /// How long a request body (API or webhook) may take to arrive, whole; later → 408.
    #[arg(long, env = "WAKIT_BODY_TIMEOUT_SECONDS", default_value_t = wakit_server::DEFAULT_BODY_TIMEOUT_SECS,
          value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_seconds: u64,
    /// Failed authentications (invalid API key, bad webhook signature) per second per
    /// client IP, bursts of twice that; past it the IP's requests that need a lookup get
    /// 429 with Retry-After. 0 = unlimited.
    #[arg(long, env = "WAKIT_AUTH_FAILURES_PER_IP", default_value_t = refusals::DEFAULT_AUTH_FAILURES_PER_IP,
          value_name = "PER_SECOND")]
    pub auth_failures_per_ip: u32,
    /// Whether `POST /auth/v1/signup` creates users (`on`/`off`). Sign-up confirms the
    /// address at once (there is no e-mail delivery) and answers a session.
    #[arg(long, env = "WAKIT_AUTH_SIGNUP", default_value = "off", value_parser = parse_switch,
          action = clap::ArgAction::Set, value_name = "on|off")]
    pub auth_signup: bool,
    /// Lifetime of the access tokens `/auth/v1` issues.
    #[arg(long, env = "WAKIT_AUTH_ACCESS_TTL", default_value_t = wakit_server::routes::auth::DEFAULT_ACCESS_TTL_SECS,
          value_name = "SECONDS", value_parser = clap::value_parser!(i64).range(60..=7 * 24 * 3600))]
    pub auth_access_ttl: i64,
    /// The `Host` names (optionally `host:port`) the MCP endpoint `/functions/v1/mcp`
    /// answers, comma-separated; browsers' `Origin`s must name one of them too (DNS-rebinding
    /// protection). Add the public name the server is reached by; `*` turns the checks off.
    #[arg(
        long,
        env = "WAKIT_MCP_ALLOWED_HOSTS",
        default_value = "localhost,127.0.0.1,::1",
        value_name = "HOSTS"
    )]
    pub mcp_allowed_hosts: String,
    /// Where media files are kept: a local directory (default `$WAKIT_DATA_DIR/media`) or
    /// `s3://bucket/prefix` on any S3-compatible store (credentials, region and endpoint
    /// from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL,
    /// AWS_ALLOW_HTTP).
    #[arg(long, env = "WAKIT_MEDIA_URL", value_name = "URL")]
    pub media_url: Option<String>,
    /// Largest media file kept or accepted, bytes.
    #[arg(long, env = "WAKIT_MEDIA_MAX_BYTES", default_value_t = wakit_server::media::DEFAULT_MAX_BYTES,
          value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub media_max_bytes: u64,
}

/// `on`/`off` (also `true`/`false`, `1`/`0`).
pub(super) fn parse_switch(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" | "" => Ok(false),
        other => Err(format!("expected on or off, got {other:?}")),
    }
}

impl ApiArgs {
    /// The API configuration these options describe.
    pub fn config(&self) -> ApiConfig {
        ApiConfig {
            send_wait: Duration::from_millis(self.send_wait_ms),
            rate_limit: (self.api_rate_limit > 0).then_some(self.api_rate_limit),
            body_timeout: Duration::from_secs(self.body_timeout_seconds),
            refusals: Arc::new(Refusals::new(Some(self.auth_failures_per_ip))),
            auth: AuthConfig {
                signup: self.auth_signup,
                access_ttl_secs: self.auth_access_ttl,
                ..AuthConfig::default()
            },
            mcp: McpConfig::parse(&self.mcp_allowed_hosts),
            ..ApiConfig::default()
        }
    }
}

impl ApiArgs {
    /// The media storage these options name; signed URLs use a key derived from the
    /// secret key, so they hold across restarts and replicas.
    pub fn media(&self, secrets: &wakit_store::secrets::SecretBox) -> anyhow::Result<MediaConfig> {
        let storage = match &self.media_url {
            Some(url) if !url.trim().is_empty() => MediaStorage::from_url(url.trim()),
            _ => MediaStorage::local(&super::db::data_dir().join("media")),
        }
        .map_err(anyhow::Error::msg)?;
        tracing::info!(media = storage.location(), "media storage");
        Ok(MediaConfig {
            storage,
            max_bytes: self.media_max_bytes,
            signer: UrlSigner::new(secrets.derive("media-url")),
        })
    }
}

impl DispatchArgs {
    /// The dispatcher configuration these options describe.
    pub fn config(&self) -> DispatchConfig {
        DispatchConfig {
            default_mps: self.default_mps,
            retry_for: Duration::from_secs(self.send_retry_seconds),
            reconcile_after: Duration::from_secs(self.send_reconcile_seconds),
            ..DispatchConfig::default()
        }
    }
}

impl RunArgs {
    /// Opens the database and builds what handlers and workers share; starts the
    /// metrics listener when asked for (it stops with `shutdown`).
    async fn state(self, shutdown: &CancellationToken) -> anyhow::Result<(AppState, ServeOptions)> {
        let secrets = super::secret::load(&self.db)?;
        let jwt = super::jwt::load(&self.db)?;
        let store = self.db.open_or_create().await?;
        let graph = wakit_meta::GraphClient::new(self.graph_url.clone())
            .context("cannot build the Graph API client")?;
        tracing::info!(backend = store.backend(), graph_url = %self.graph_url, "wakit starting");
        let webhook = WebhookConfig {
            app_secret: checked_secret("WAKIT_APP_SECRET", self.app_secret)?
                .map(String::into_bytes),
            verify_token: checked_secret("WAKIT_VERIFY_TOKEN", self.verify_token)?,
        };
        let media = self.api.media(&secrets)?;
        let outbound = self.outbound.config(secrets.clone());
        let meta = Some(MetaConfig {
            graph,
            secrets,
            dispatch: self.dispatch.config(),
        });
        let options = ServeOptions {
            drain: Duration::from_secs(self.drain_seconds),
            workers: true,
            job_lease: Duration::from_secs(self.job_lease_seconds),
            retention: self.retention.config(),
            agents: self.agents.config(),
            ..ServeOptions::default()
        };
        let mut api = self.api.config();
        api.auth.secret = jwt;
        api.media = media;
        api.webhooks = outbound;
        let state = AppState {
            store,
            webhook,
            meta,
            api,
        };
        if let Some(addr) = &self.metrics_listen {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} for metrics"))?;
            tracing::info!(addr = %listener.local_addr()?, "metrics at /metrics");
            let task = wakit_server::metrics::serve(listener, state.clone(), shutdown.clone());
            tokio::spawn(async move {
                if let Err(e) = task.await {
                    tracing::error!(error = %e, "metrics listener stopped");
                }
            });
        }
        Ok((state, options))
    }
}

/// Shortest app secret or verify token accepted (characters).
pub const MIN_SECRET_CHARS: usize = 16;

/// A Meta secret from the settings: empty counts as unset (an empty HMAC key would
/// accept bodies signed with an empty key); shorter than [`MIN_SECRET_CHARS`] stops the
/// start.
fn checked_secret(name: &str, value: Option<String>) -> anyhow::Result<Option<String>> {
    match value {
        Some(v) if v.trim().is_empty() => {
            tracing::warn!("{name} is empty: treated as unset");
            Ok(None)
        }
        Some(v) if v.chars().count() < MIN_SECRET_CHARS => anyhow::bail!(
            "{name} is {} characters; at least {MIN_SECRET_CHARS} are required",
            v.chars().count()
        ),
        other => Ok(other),
    }
}

/// Runs the server until SIGINT/SIGTERM.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let (state, mut options) = args.run.state(&shutdown).await?;
    options.workers = !args.no_workers;
    options.connections = args.connections.limits();
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let backend = state.store.backend();
    tracing::info!(%addr, workers = options.workers, "wakit serving");
    println!("wakit listening on http://{addr} ({backend} database)");
    if state.webhook.app_secret.is_none() {
        tracing::warn!("WAKIT_APP_SECRET is not set: Meta webhook POSTs will be refused");
    }
    tokio::spawn(super::stop::cancel_when_requested(shutdown.clone()));
    wakit_server::serve(listener, state, shutdown, options).await?;
    tracing::info!("wakit stopped");
    Ok(())
}

/// Runs the workers alone until SIGINT/SIGTERM.
pub async fn run_worker(args: WorkerArgs) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let (state, options) = args.run.state(&shutdown).await?;
    println!("wakit worker running ({} database)", state.store.backend());
    tokio::spawn(super::stop::cancel_when_requested(shutdown.clone()));
    wakit_server::work(state, shutdown, options).await?;
    tracing::info!("wakit worker stopped");
    Ok(())
}

#[cfg(test)]
#[path = "serve_tests.rs"]
mod tests;
