//! Inbound Meta webhook benchmark: the real server (`wakit_server::serve`, workers on)
//! on 127.0.0.1:0 over a fresh database, `--concurrency` keep-alive clients POSTing
//! signed bodies, each message with its own wamid. Reports the accept rate (every 200
//! means durable), request latency, the rate at which messages end stored (read through
//! the store), and an HTTP floor: the same load against a trivial axum route that reads
//! the body and answers 200, in the same run, so the accept rate reads as a ratio.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use wakit_core::{AccountId, OrgId, Phone};
use wakit_server::{AppState, ServeOptions, WebhookConfig};
use wakit_store::secrets::SecretBox;
use wakit_store::{NewAccount, Store};

use crate::data;
use crate::floor::Floor;
use crate::load::{Load, fire};
use crate::scratch::{Databases, Scratch};

const APP_SECRET: &[u8] = b"bench-app-secret";
const PNID: &str = "106540352242922";
const PATH: &str = "/functions/v1/whatsapp-webhook";

/// Options.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: Databases,
    /// Concurrent HTTP clients (keep-alive connections).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Messages sent per mode.
    #[arg(long, default_value_t = 30_000)]
    messages: usize,
    /// single (one message per body), batched (`--per-body` per body) or both.
    #[arg(long, default_value = "both")]
    mode: String,
    /// Messages per body in the batched mode.
    #[arg(long, default_value_t = 50)]
    per_body: usize,
    /// Contacts the messages come from (each a conversation).
    #[arg(long, default_value_t = 500)]
    contacts: usize,
    /// Measure accepting alone: the server's workers are off, nothing is processed (how
    /// a burst is absorbed while processing is behind).
    #[arg(long)]
    no_workers: bool,
    /// Bound on each phase (sending, then waiting for processing), in seconds.
    #[arg(long, default_value_t = 120)]
    max_seconds: u64,
    /// Server replicas on one Postgres database, each with its own pool and workers;
    /// the clients spread their POSTs over them (e.g. `--replicas 1,2,3`).
    #[arg(long, value_delimiter = ',', default_value = "1")]
    replicas: Vec<usize>,
}

/// Runs the benchmark and prints a table.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let backends = args.db.backends()?;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "# webhook benchmark: {} messages per mode, {} concurrent keep-alive clients, {} contacts, {cores} cores; server and clients in one process",
        args.messages, args.concurrency, args.contacts
    );
    println!(
        "# accepted = answered 200 (durable before the 200); processed = stored as messages, read through the store; floor = same load on a trivial axum route"
    );
    let (mut rows, mut described) = (Vec::new(), Vec::new());
    for backend in backends {
        for &replicas in &args.replicas {
            if replicas > 1 && backend != "postgres" {
                continue;
            }
            for per_body in modes(&args)? {
                let scratch = args.db.create(backend).await?;
                if !described.contains(&backend) {
                    described.push(backend);
                    println!("# {backend} durability: {}", scratch.durability().await?);
                }
                let result = bench_one(&args, &scratch, per_body, replicas.max(1)).await;
                let deadlocks = args.db.finish(scratch).await?;
                let deadlocks = deadlocks.map_or("-".to_string(), |n| n.to_string());
                rows.push(format!(
                    "| {backend} | {} {} {deadlocks} |",
                    replicas.max(1),
                    result?
                ));
            }
        }
    }
    println!(
        "| backend | replicas | mode | bodies | accepted msg/s | accepted req/s | p50 / p99 ms | processed msg/s | floor req/s | floor p50 / p99 ms | accepted / floor | non-200 | deadlocks |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}

fn modes(args: &Args) -> anyhow::Result<Vec<usize>> {
    let batched = args.per_body.max(1);
    match args.mode.as_str() {
        "single" => Ok(vec![1]),
        "batched" => Ok(vec![batched]),
        "both" => Ok(vec![1, batched]),
        other => anyhow::bail!("unknown mode {other} (single, batched or both)"),
    }
}

/// One mode on one fresh database; returns the table row after the backend column.
async fn bench_one(
    args: &Args,
    scratch: &Scratch,
    per_body: usize,
    replicas: usize,
) -> anyhow::Result<String> {
    let store = scratch.store.clone();
    let (org, account) = connect_number(&*store).await?;
    let bodies = Arc::new(make_bodies(args, per_body));
    let limit = Duration::from_secs(args.max_seconds);

    // The floor first, on its own server, so the two loads never overlap.
    let floor = {
        let server = Floor::start().await?;
        let url = format!("http://{}{PATH}", server.addr);
        let load = post_all(&[url], bodies.clone(), args.concurrency, limit).await?;
        server.stop().await?;
        load
    };

    let shutdown = CancellationToken::new();
    let (mut urls, mut servers) = (Vec::new(), Vec::new());
    for r in 0..replicas {
        let store = if r == 0 {
            store.clone()
        } else {
            scratch.replica_store().await?
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        urls.push(format!("http://{}{PATH}", listener.local_addr()?));
        let state = AppState {
            api: Default::default(),
            store,
            webhook: WebhookConfig {
                app_secret: Some(APP_SECRET.to_vec()),
                verify_token: None,
            },
            meta: None,
        };
        let options = ServeOptions {
            drain: Duration::from_secs(30),
            workers: !args.no_workers,
            ..ServeOptions::default()
        };
        servers.push(tokio::spawn(wakit_server::serve(
            listener,
            state,
            shutdown.clone(),
            options,
        )));
    }
    let started = Instant::now();
    let mut load = post_all(&urls, bodies.clone(), args.concurrency, limit).await?;
    // Polled only once sending is over (nothing can be finished earlier), so the poll
    // does not compete with the load it measures.
    let processed_at = if args.no_workers {
        None
    } else {
        wait_processed(&*store, org, account, load.ok * per_body, limit)
            .await?
            .map(|()| started.elapsed())
    };
    shutdown.cancel();
    for server in servers {
        server.await??;
    }

    let accepted_req = load.ok_per_sec();
    let floor_req = floor.ok_per_sec();
    let mut floor_latency = floor.latency;
    let processed = match processed_at {
        Some(t) => format!("{:.0}", (load.ok * per_body) as f64 / t.as_secs_f64()),
        None if args.no_workers => "workers off".to_string(),
        None => format!("not done in {}s", args.max_seconds),
    };
    let mode = if per_body == 1 {
        "1 msg/body".to_string()
    } else {
        format!("{per_body} msgs/body")
    };
    Ok(format!(
        "| {mode} | {} | {:.0} | {:.0} | {:.2} / {:.2} | {processed} | {floor_req:.0} | {:.2} / {:.2} | {:.2} | {} |",
        bodies.len(),
        accepted_req * per_body as f64,
        accepted_req,
        load.latency.pct_ms(50.0),
        load.latency.pct_ms(99.0),
        floor_latency.pct_ms(50.0),
        floor_latency.pct_ms(99.0),
        accepted_req / floor_req,
        bodies.len() - load.ok,
    ))
}

/// An org with the number the bodies are addressed to.
pub(crate) async fn connect_number(store: &dyn Store) -> anyhow::Result<(OrgId, AccountId)> {
    let org = store.create_org("Bench", "UTC").await?.id;
    let account = NewAccount {
        phone: Phone::parse("15550783881")?,
        name: "Bench".into(),
        phone_number_id: PNID.into(),
        waba_id: "102290129340398".into(),
        access_token: SecretBox::new([1u8; 32]).seal("token", PNID),
    };
    Ok((org, store.add_account(org, account).await?.id))
}

/// Signed bodies (§3.3 envelope, §3.4 text messages), built before timing starts.
fn make_bodies(args: &Args, per_body: usize) -> Vec<(Vec<u8>, String)> {
    signed_bodies(args.messages, per_body, args.contacts, APP_SECRET)
}

/// `messages` text messages from `contacts` senders, `per_body` to a body, each signed
/// with `secret`; wamid `wamid.bench.{per_body}.{n}` for message `n`.
pub(crate) fn signed_bodies(
    messages: usize,
    per_body: usize,
    contacts: usize,
    secret: &[u8],
) -> Vec<(Vec<u8>, String)> {
    let count = messages.div_ceil(per_body);
    let contacts = contacts.max(1);
    (0..count)
        .map(|b| {
            let inbound: Vec<Inbound> = (0..per_body)
                .map(|k| {
                    let n = b * per_body + k;
                    Inbound {
                        contact: n % contacts,
                        wamid: format!("wamid.bench.{per_body}.{n}"),
                        text: format!("hola, pedido {n}"),
                        timestamp: 1_763_900_000 + b,
                    }
                })
                .collect();
            signed_body(&inbound, secret)
        })
        .collect()
}

/// One inbound text message of a body.
pub(crate) struct Inbound {
    /// The sender (`data::phone(0, contact)`).
    pub contact: usize,
    /// Its wamid.
    pub wamid: String,
    /// Its text.
    pub text: String,
    /// Its unix timestamp.
    pub timestamp: usize,
}

/// A body (§3.3 envelope, §3.4 text messages) with `messages`, and its signature with
/// `secret`.
pub(crate) fn signed_body(messages: &[Inbound], secret: &[u8]) -> (Vec<u8>, String) {
    let mut seen = std::collections::BTreeSet::new();
    let contacts_json: Vec<_> = messages
        .iter()
        .filter(|m| seen.insert(m.contact))
        .map(|m| {
            serde_json::json!({"profile": {"name": data::name(m.contact)}, "wa_id": data::phone(0, m.contact)})
        })
        .collect();
    let messages: Vec<_> = messages
        .iter()
        .map(|m| {
            serde_json::json!({
                "from": data::phone(0, m.contact),
                "id": m.wamid,
                "timestamp": m.timestamp.to_string(),
                "type": "text",
                "text": {"body": m.text},
            })
        })
        .collect();
    let body = serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PNID},
            "contacts": contacts_json,
            "messages": messages,
        }}]}]
    });
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let signature = wakit_meta::signature::sign(secret, &bytes);
    (bytes, signature)
}

/// POSTs every body once from `concurrency` keep-alive clients, spread over `urls` in
/// turn; bounded by `limit`.
pub(crate) async fn post_all(
    urls: &[String],
    bodies: Arc<Vec<(Vec<u8>, String)>>,
    concurrency: usize,
    limit: Duration,
) -> anyhow::Result<Load> {
    let urls = urls.to_vec();
    fire(concurrency, bodies.len(), limit, move |http, i| {
        let (body, signature) = bodies.get(i)?;
        Some(
            http.post(&urls[i % urls.len()])
                .header("Content-Type", "application/json")
                .header("X-Hub-Signature-256", signature)
                .body(body.clone()),
        )
    })
    .await
}

/// Waits until `expected` messages are stored (the unread counts of the number's
/// conversations add up to them: every message is incoming). None if `limit` passed.
async fn wait_processed(
    store: &dyn Store,
    org: OrgId,
    account: AccountId,
    expected: usize,
    limit: Duration,
) -> anyhow::Result<Option<()>> {
    let deadline = Instant::now() + limit;
    loop {
        let stored: usize = store
            .list_conversations(org, account, 100_000)
            .await?
            .iter()
            .map(|c| c.unread as usize)
            .sum();
        if stored >= expected {
            if stored > expected {
                println!("# WARNING: {stored} messages stored for {expected} sent");
            }
            return Ok(Some(()));
        }
        if Instant::now() > deadline {
            println!("# processing: {stored} of {expected} after the limit");
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
