//! Visibility latency: the real server (`wakit_server::serve`, workers on) on
//! 127.0.0.1:0 over a fresh database. From a Meta webhook POST to the message being
//! visible through the API (a client polling `GET /conversation` every
//! [`POLL`]) and on the event stream (one open `GET /events` connection).
//!
//! - idle: `--samples` probe messages one after another, each waited for;
//! - loaded: `--mps` messages a second for `--seconds` from paced clients (each message
//!   POSTed at its slot), with a probe every `--probe-ms` polled through the API; every
//!   message's arrival on the stream is timed from its POST.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use wakit_server::{ApiConfig, AppState, ServeOptions, WebhookConfig};
use wakit_store::secrets::generate_api_key;
use wakit_store::{NewApiKey, Store};

use crate::data;
use crate::scratch::{Databases, Scratch};
use crate::stats::Samples;
use crate::webhook::{Inbound, connect_number, signed_body};

const APP_SECRET: &[u8] = b"bench-app-secret";
/// Between two `GET /conversation` of a probe.
const POLL: Duration = Duration::from_micros(500);
/// Between two idle samples.
const IDLE_GAP: Duration = Duration::from_millis(20);

/// Options.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: Databases,
    /// Probe messages sent one at a time at idle.
    #[arg(long, default_value_t = 100)]
    samples: usize,
    /// Messages a second of the loaded phase (0: no loaded phase).
    #[arg(long, default_value_t = 1000)]
    mps: usize,
    /// Length of the loaded phase, seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Between two probes of the loaded phase, milliseconds.
    #[arg(long, default_value_t = 50)]
    probe_ms: u64,
    /// Contacts the loaded phase's messages come from (each a conversation).
    #[arg(long, default_value_t = 500)]
    contacts: usize,
    /// Concurrent clients POSTing the loaded phase.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Bound on waiting for one message, and on draining after the loaded phase, seconds.
    #[arg(long, default_value_t = 30)]
    max_seconds: u64,
}

/// Runs the benchmark and prints a table.
pub async fn run(args: Args) -> anyhow::Result<()> {
    println!(
        "# visibility: Meta webhook POST → message in GET /conversation (polled every {} µs) and on GET /events; idle {} probes; loaded {} msg/s for {} s ({} clients, {} contacts) with a probe every {} ms; server and clients in one process",
        POLL.as_micros(),
        args.samples,
        args.mps,
        args.seconds,
        args.concurrency,
        args.contacts,
        args.probe_ms
    );
    let mut rows = Vec::new();
    for backend in args.db.backends()? {
        let scratch = args.db.create(backend).await?;
        let result = bench_one(&args, &scratch).await;
        args.db.finish(scratch).await?;
        rows.extend(result?.into_iter().map(|r| format!("| {backend} | {r}")));
    }
    println!(
        "| backend | phase | messages sent | POST answered p50 / p99 ms | → GET /conversation p50 / p99 ms (probes) | → event stream p50 / p99 ms (messages) | not seen |"
    );
    println!("|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}

/// The server and its clients' shared parts.
struct Rig {
    http: reqwest::Client,
    webhook: String,
    conversation: String,
    key: String,
    /// POST start per wamid.
    sent: Mutex<HashMap<String, Instant>>,
    /// Arrival on the stream per wamid.
    streamed: Mutex<HashMap<String, Instant>>,
    limit: Duration,
}

/// What a phase measured.
#[derive(Default)]
struct Phase {
    answered: Samples,
    api: Samples,
    probes: usize,
}

async fn bench_one(args: &Args, scratch: &Scratch) -> anyhow::Result<Vec<String>> {
    let store = scratch.store.clone();
    let (org, _) = connect_number(&*store).await?;
    let key = member_key(&*store, org).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let root = format!("http://{}", listener.local_addr()?);
    let state = AppState {
        api: ApiConfig {
            rate_limit: Some(u32::MAX),
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
    let server = tokio::spawn(wakit_server::serve(
        listener,
        state,
        shutdown.clone(),
        ServeOptions {
            drain: Duration::from_secs(5),
            ..ServeOptions::default()
        },
    ));
    let api = format!("{root}{}", wakit_api::API_PREFIX);
    let rig = Arc::new(Rig {
        http: reqwest::Client::new(),
        webhook: format!("{root}/functions/v1/whatsapp-webhook"),
        conversation: format!(
            "{api}/conversation?account_phone=15550783881&contact_phone={}",
            data::phone(0, args.contacts)
        ),
        key,
        sent: Mutex::default(),
        streamed: Mutex::default(),
        limit: Duration::from_secs(args.max_seconds),
    });
    let (open, opened) = tokio::sync::oneshot::channel();
    let url = format!("{api}/events?types=messages.insert");
    let stream = tokio::spawn(follow(rig.clone(), url, open));
    // The stream's first line (where it starts) came: what is POSTed now is on it.
    opened.await?;

    let mut idle = Phase::default();
    for i in 0..args.samples {
        probe(&rig, args.contacts, &format!("idle.{i}"), &mut idle).await?;
        tokio::time::sleep(IDLE_GAP).await;
    }
    let mut rows = vec![row(&rig, "idle", idle, |w| w.contains(".idle."))];
    if args.mps > 0 {
        let loaded = load(args, &rig).await?;
        drain(&rig).await;
        rows.push(row(&rig, &format!("{} msg/s", args.mps), loaded, |w| {
            !w.contains(".idle.")
        }));
    }
    stream.abort();
    shutdown.cancel();
    server.await??;
    Ok(rows)
}

/// A member key of `org`, created through the store; the plain key.
async fn member_key(store: &dyn Store, org: wakit_core::OrgId) -> anyhow::Result<String> {
    let key = generate_api_key();
    let new = NewApiKey {
        name: "bench".into(),
        role: wakit_core::Role::Member,
        hash: key.hash.clone(),
        prefix: key.prefix.clone(),
    };
    store.create_api_key(org, new).await?;
    Ok(key.plain)
}

/// POSTs one message; records when it started and how long the answer took.
async fn post(rig: &Rig, m: Inbound, answered: Option<&mut Samples>) -> anyhow::Result<Instant> {
    let (body, signature) = signed_body(std::slice::from_ref(&m), APP_SECRET);
    let start = Instant::now();
    if let Ok(mut sent) = rig.sent.lock() {
        sent.insert(m.wamid.clone(), start);
    }
    let resp = rig
        .http
        .post(&rig.webhook)
        .header("Content-Type", "application/json")
        .header("X-Hub-Signature-256", signature)
        .body(body)
        .send()
        .await?;
    anyhow::ensure!(
        resp.status() == 200,
        "webhook POST answered {}",
        resp.status()
    );
    if let Some(samples) = answered {
        samples.push(start.elapsed());
    }
    Ok(start)
}

/// Sends a probe from the probe contact (`contacts`, outside the load's) and polls
/// `GET /conversation` until its text shows.
async fn probe(rig: &Rig, contact: usize, tag: &str, phase: &mut Phase) -> anyhow::Result<()> {
    let text = format!("probe <{tag}>");
    let m = Inbound {
        contact,
        wamid: format!("wamid.visible.{tag}"),
        text: text.clone(),
        timestamp: 1_763_900_000,
    };
    let start = post(rig, m, Some(&mut phase.answered)).await?;
    loop {
        let resp = rig
            .http
            .get(&rig.conversation)
            .bearer_auth(&rig.key)
            .send()
            .await?;
        if resp.status() == 200 && resp.text().await?.contains(&text) {
            phase.api.push(start.elapsed());
            phase.probes += 1;
            return Ok(());
        }
        anyhow::ensure!(
            start.elapsed() < rig.limit,
            "probe {tag} not visible in time"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// The loaded phase: paced clients and, meanwhile, probes.
async fn load(args: &Args, rig: &Arc<Rig>) -> anyhow::Result<Phase> {
    let total = args.mps * args.seconds as usize;
    let gap = Duration::from_secs(1).div_f64(args.mps as f64);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (rig, next, contacts) = (rig.clone(), next.clone(), args.contacts.max(1));
        clients.push(tokio::spawn(async move {
            let mut answered = Samples::default();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total || start.elapsed() > rig.limit * 2 {
                    return Ok::<_, anyhow::Error>(answered);
                }
                tokio::time::sleep_until((start + gap.mul_f64(n as f64)).into()).await;
                let m = Inbound {
                    contact: n % contacts,
                    wamid: format!("wamid.visible.msg.{n}"),
                    text: format!("hola, pedido {n}"),
                    timestamp: 1_763_900_000 + n,
                };
                post(&rig, m, Some(&mut answered)).await?;
            }
        }));
    }
    let mut phase = Phase::default();
    let every = Duration::from_millis(args.probe_ms.max(1));
    let mut k = 0;
    while next.load(Ordering::Relaxed) < total {
        let due = start + every.mul_f64(k as f64);
        tokio::time::sleep_until(due.into()).await;
        probe(rig, args.contacts, &format!("load.{k}"), &mut phase).await?;
        k += 1;
    }
    for client in clients {
        phase.answered.extend(client.await??);
    }
    Ok(phase)
}

/// Waits until every message sent is on the stream, at most the limit.
async fn drain(rig: &Rig) {
    let start = Instant::now();
    while start.elapsed() < rig.limit {
        let sent = rig.sent.lock().map(|m| m.len()).unwrap_or(0);
        let streamed = rig.streamed.lock().map(|m| m.len()).unwrap_or(0);
        if streamed >= sent {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Follows the event stream, timing each message insert's arrival.
/// `open` fires with the stream's first chunk.
async fn follow(
    rig: Arc<Rig>,
    url: String,
    open: tokio::sync::oneshot::Sender<()>,
) -> anyhow::Result<()> {
    let mut resp = rig.http.get(url).bearer_auth(&rig.key).send().await?;
    anyhow::ensure!(
        resp.status() == 200,
        "GET /events answered {}",
        resp.status()
    );
    let mut buf = String::new();
    let mut open = Some(open);
    while let Some(chunk) = resp.chunk().await? {
        let at = Instant::now();
        if let Some(open) = open.take() {
            let _ = open.send(());
        }
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find('\n') {
            let line: String = buf.drain(..=end).collect();
            let Some(data) = line.strip_prefix("data:") else {
                continue;
            };
            let event: serde_json::Value = serde_json::from_str(data.trim())?;
            if let (Some(wamid), Ok(mut streamed)) =
                (event["data"]["external_id"].as_str(), rig.streamed.lock())
            {
                streamed.entry(wamid.to_string()).or_insert(at);
            }
        }
    }
    Ok(())
}

/// The table row of a phase (after the backend column); `mine` picks its wamids.
fn row(rig: &Rig, name: &str, mut phase: Phase, mine: impl Fn(&str) -> bool) -> String {
    let sent = rig.sent.lock().map(|m| m.clone()).unwrap_or_default();
    let streamed = rig.streamed.lock().map(|m| m.clone()).unwrap_or_default();
    let mut stream = Samples::default();
    let (mut count, mut missing) = (0, 0);
    for (wamid, at) in sent.iter().filter(|(w, _)| mine(w)) {
        count += 1;
        match streamed.get(wamid) {
            Some(got) => stream.push(got.saturating_duration_since(*at)),
            None => missing += 1,
        }
    }
    let seen = count - missing;
    format!(
        "{name} | {count} | {:.1} / {:.1} | {:.1} / {:.1} ({}) | {:.1} / {:.1} ({seen}) | {missing} |",
        phase.answered.pct_ms(50.0),
        phase.answered.pct_ms(99.0),
        phase.api.pct_ms(50.0),
        phase.api.pct_ms(99.0),
        phase.probes,
        stream.pct_ms(50.0),
        stream.pct_ms(99.0),
    )
}
