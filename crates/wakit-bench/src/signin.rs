//! Password sign-in benchmark: `POST /auth/v1/token?grant_type=password` against the
//! real server (in-process on 127.0.0.1:0) from `--concurrency` keep-alive clients,
//! bounded by `--seconds` and `--requests`, on each backend. Every sign-in verifies an
//! argon2id hash (the `argon2` crate's defaults: m = 19 MiB, t = 2, p = 1 — OWASP's
//! minimum for argon2id), starts a session and signs an access token; the verification
//! dominates, deliberately. Also prints one hash's wall time.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use wakit_server::routes::auth::{AuthConfig, password};
use wakit_server::{ApiConfig, AppState, ServeOptions};
use wakit_store::NewUser;

use crate::load::fire;
use crate::scratch::Databases;

const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "a bench password";

/// Options.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: Databases,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// How long the measured load runs, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Most sign-ins.
    #[arg(long, default_value_t = 100_000)]
    requests: usize,
}

/// Runs the benchmark and prints its table.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let started = Instant::now();
    let hash = password::hash(PASSWORD.to_string())
        .await
        .map_err(|e| anyhow::anyhow!("hash: {}", e.code()))?;
    println!(
        "# sign-in benchmark: argon2id m=19 MiB t=2 p=1 (one hash: {:.1} ms); {} clients, {} s; {cores} cores; server and clients in one process",
        started.elapsed().as_secs_f64() * 1e3,
        args.concurrency,
        args.seconds
    );
    println!("| backend | sign-ins | per s | p50 / p99 ms | CPU µs/sign-in | non-200 |");
    println!("|---|---|---|---|---|---|");
    for backend in args.db.backends()? {
        let db = args.db.create(backend).await?;
        db.store
            .create_user(NewUser {
                email: EMAIL.into(),
                password_hash: hash.clone(),
                user_metadata: serde_json::json!({}),
            })
            .await?;
        let auth = AuthConfig::default();
        let anon = auth
            .secret
            .api_key(false)
            .map_err(|e| anyhow::anyhow!("{}", e.code()))?;
        let state = AppState {
            api: ApiConfig {
                auth,
                rate_limit: Some(u32::MAX),
                ..ApiConfig::default()
            },
            store: db.store.clone(),
            webhook: Default::default(),
            meta: None,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!(
            "http://{}/auth/v1/token?grant_type=password",
            listener.local_addr()?
        );
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(wakit_server::serve(
            listener,
            state,
            shutdown.clone(),
            ServeOptions::default(),
        ));
        let body = serde_json::json!({"email": EMAIL, "password": PASSWORD});
        let post = Arc::new(move |http: &reqwest::Client, _| {
            Some(
                http.post(url.as_str())
                    .header("apikey", anon.as_str())
                    .json(&body),
            )
        });
        let limit = Duration::from_secs(args.seconds);
        let mut load = fire(args.concurrency, args.requests, limit, move |h, i| {
            post(h, i)
        })
        .await?;
        shutdown.cancel();
        task.await??;
        args.db.finish(db).await?;
        println!(
            "| {backend} | {} | {:.0} | {:.1} / {:.1} | {:.0} | {} |",
            load.ok + load.refused,
            load.ok_per_sec(),
            load.latency.pct_ms(50.0),
            load.latency.pct_ms(99.0),
            load.cpu_us_per_req(),
            load.refused
        );
    }
    Ok(())
}
