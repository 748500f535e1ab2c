//! Outbound webhooks benchmark: the real server (`wakit_server::serve`, workers on) on
//! 127.0.0.1:0 over a fresh database, one org with `--endpoints` webhook endpoints on a
//! local receiver (with `--hanging`, one of them never answers). Reports the idle
//! latency from a Meta webhook POST to the first endpoint receiving its delivery, then
//! the delivery rate of a burst of `--messages` inbound messages to the healthy
//! endpoints, and what the hanging endpoint received meanwhile.

use axum::extract::{Path, State};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use wakit_server::deliveries::OutboundConfig;
use wakit_server::{ApiConfig, AppState, ServeOptions, WebhookConfig};
use wakit_store::NewWebhook;
use wakit_store::secrets::SecretBox;

use crate::scratch::{Databases, Scratch};
use crate::stats::Samples;
use crate::webhook::{connect_number, post_all, signed_bodies};

const APP_SECRET: &[u8] = b"bench-app-secret";
const PATH: &str = "/functions/v1/whatsapp-webhook";

/// Options.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: Databases,
    /// Endpoints of the org (all on `messages` inserts).
    #[arg(long, default_value_t = 100)]
    endpoints: usize,
    /// Inbound messages of the burst (each delivered to every endpoint).
    #[arg(long, default_value_t = 200)]
    messages: usize,
    /// Messages sent one at a time, each waited for, for the idle latency.
    #[arg(long, default_value_t = 50)]
    latency_samples: usize,
    /// Contacts the burst comes from (each a conversation).
    #[arg(long, default_value_t = 200)]
    contacts: usize,
    /// Concurrent clients POSTing the burst.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Bound on each phase, seconds.
    #[arg(long, default_value_t = 300)]
    max_seconds: u64,
}

/// What the receiver got: per path, the arrival times.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<HashMap<String, Vec<Instant>>>>);

impl Received {
    fn count(&self, f: impl Fn(&str) -> bool) -> usize {
        let map = self.0.lock().map(|m| m.clone()).unwrap_or_default();
        map.iter().filter(|(p, _)| f(p)).map(|(_, v)| v.len()).sum()
    }

    fn nth(&self, path: &str, n: usize) -> Option<Instant> {
        self.0.lock().ok()?.get(path)?.get(n).copied()
    }
}

async fn receive(State(r): State<Received>, Path(path): Path<String>) -> &'static str {
    let at = Instant::now();
    if let Ok(mut m) = r.0.lock() {
        m.entry(path.clone()).or_default().push(at);
    }
    if path.starts_with("hang") {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    "ok"
}

/// Runs the benchmark and prints a table.
pub async fn run(args: Args) -> anyhow::Result<()> {
    println!(
        "# outbound webhooks: {} endpoints on one org, {} messages in the burst ({} contacts, {} clients), {} idle latency samples; server, receiver and clients in one process",
        args.endpoints, args.messages, args.contacts, args.concurrency, args.latency_samples
    );
    let mut rows = Vec::new();
    for backend in args.db.backends()? {
        for hanging in [false, true] {
            let scratch = args.db.create(backend).await?;
            let row = bench_one(&args, &scratch, hanging).await;
            args.db.finish(scratch).await?;
            rows.push(format!(
                "| {backend} | {} | {}",
                if hanging { "1" } else { "0" },
                row?
            ));
        }
    }
    println!(
        "| backend | hanging endpoints | idle POST → delivery p50 / p99 ms | deliveries | deliveries/s | to the hanging one |"
    );
    println!("|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}

async fn bench_one(args: &Args, scratch: &Scratch, hanging: bool) -> anyhow::Result<String> {
    let store = scratch.store.clone();
    let (org, _) = connect_number(&*store).await?;
    let received = Received::default();
    let app = axum::Router::new()
        .route("/{*path}", axum::routing::post(receive))
        .with_state(received.clone());
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", receiver.local_addr()?);
    let receiving = tokio::spawn(async move { axum::serve(receiver, app).await });
    let secrets = SecretBox::new([2u8; 32]);
    for i in 0..args.endpoints {
        let id = uuid::Uuid::new_v4();
        let path = if hanging && i == 0 {
            "hang".into()
        } else {
            format!("e{i}")
        };
        let new = NewWebhook {
            id,
            account_id: None,
            table_name: "messages".into(),
            operations: vec!["insert".into()],
            url: format!("{base}/{path}"),
            token: None,
            secret: secrets.seal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &id.to_string()),
        };
        store.create_webhook(org, new, u32::MAX).await?;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}{PATH}", listener.local_addr()?);
    let state = AppState {
        api: ApiConfig {
            webhooks: OutboundConfig {
                secrets: Some(secrets),
                allow_private: true,
                ..OutboundConfig::default()
            },
            ..ApiConfig::default()
        },
        store,
        webhook: WebhookConfig {
            app_secret: Some(APP_SECRET.to_vec()),
            verify_token: None,
        },
        meta: None,
    };
    let shutdown = CancellationToken::new();
    let options = ServeOptions {
        drain: Duration::from_secs(5),
        ..ServeOptions::default()
    };
    let server = tokio::spawn(wakit_server::serve(
        listener,
        state,
        shutdown.clone(),
        options,
    ));
    let limit = Duration::from_secs(args.max_seconds);
    let mut bodies = signed_bodies(
        args.latency_samples + args.messages,
        1,
        args.contacts,
        APP_SECRET,
    );
    let burst = Arc::new(bodies.split_off(args.latency_samples));

    // Idle: one message at a time; the time until the first endpoint has it.
    let http = reqwest::Client::new();
    let probe = if hanging { "e1" } else { "e0" };
    let mut latency = Samples::default();
    for (n, (body, signature)) in bodies.iter().enumerate() {
        let start = Instant::now();
        http.post(&url)
            .header("Content-Type", "application/json")
            .header("X-Hub-Signature-256", signature)
            .body(body.clone())
            .send()
            .await?;
        let at = loop {
            if let Some(at) = received.nth(probe, n) {
                break at;
            }
            anyhow::ensure!(start.elapsed() < limit, "no delivery within the limit");
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        latency.push(at.saturating_duration_since(start));
    }

    // The burst: every healthy endpoint gets every message.
    let healthy = |p: &str| !p.starts_with("hang");
    let before = received.count(healthy);
    let expected = (args.endpoints - usize::from(hanging)) * burst.len();
    let start = Instant::now();
    post_all(&[url], burst, args.concurrency, limit).await?;
    let done = loop {
        let got = received.count(healthy) - before;
        if got >= expected {
            break Some(start.elapsed());
        }
        if start.elapsed() > limit {
            println!("# {got} of {expected} deliveries after the limit");
            break None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let to_hanging = received.count(|p| p.starts_with("hang"));
    shutdown.cancel();
    server.await??;
    receiving.abort();
    let rate = match done {
        Some(t) => format!("{:.0}", expected as f64 / t.as_secs_f64()),
        None => format!("not done in {}s", args.max_seconds),
    };
    Ok(format!(
        "{:.1} / {:.1} | {expected} | {rate} | {} |",
        latency.pct_ms(50.0),
        latency.pct_ms(99.0),
        if hanging {
            to_hanging.to_string()
        } else {
            "-".into()
        }
    ))
}
