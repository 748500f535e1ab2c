//! AI agent benchmark: the real server (workers on, the agent runtime among them) over a
//! fresh database, one active AI agent on the sandbox model answering after
//! `--model-latency-ms`, and simulated customers writing in through the sandbox's signed
//! webhooks. Two phases per backend:
//! - **latency**: `--samples` customers one after another (each waits for its answer):
//!   per turn, the time from the customer's message to the answer reaching the sandbox,
//!   less the debounce and the model's latency = wakit's own added time (webhook intake,
//!   the turn's job, history, the send through the dispatcher);
//! - **throughput**: `--conversations` customers writing at once: conversations answered
//!   per second, first message to last answer.
//!
//! Timestamps are the sandbox's (`sent_messages().at`) and the harness's clock in the
//! same process.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clap::Args as ClapArgs;
use wakit_core::{AgentConfig, AgentId, Phone};
use wakit_server::workers::agents::AgentRuntimeConfig;
use wakit_server::{AppState, MetaConfig, ServeOptions, WebhookConfig};
use wakit_sim::{Inbound, NumberSpec, Quirks, Sim, SimConfig, SimHandle};
use wakit_store::secrets::SecretBox;
use wakit_store::{AgentSettings, NewAccount, NewAiAgent};

use crate::scratch::{Databases, Scratch};
use crate::stats::Samples;

/// Options of `wakit-bench agents`.
#[derive(ClapArgs)]
pub struct Args {
    #[command(flatten)]
    db: Databases,
    /// The sandbox model's latency per answer, in milliseconds.
    #[arg(long, default_value_t = 50)]
    model_latency_ms: u64,
    /// The org's `response_delay_seconds` (the debounce before a turn).
    #[arg(long, default_value_t = 0)]
    delay_seconds: u32,
    /// Turns measured one at a time (the latency phase).
    #[arg(long, default_value_t = 50)]
    samples: usize,
    /// Customers writing at once (the throughput phase).
    #[arg(long, default_value_t = 500)]
    conversations: usize,
    /// The agent runtime's poll interval when idle, in milliseconds (the server's
    /// default is 100).
    #[arg(long, default_value_t = 100)]
    poll_ms: u64,
    /// The agent runtime's turns in flight at once (the server's default is 64).
    #[arg(long, default_value_t = 64)]
    max_in_flight: usize,
    /// The number's send rate, in wakit and in the sandbox (messages/s; Meta's default
    /// is 80, its top tier 1000). Answers go out at this pace, so it bounds the
    /// conversations answered per second.
    #[arg(long, default_value_t = 80)]
    mps: u32,
    /// Give up waiting for answers after this many seconds (per phase).
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

const SECRET: &str = "bench-app-secret";
const PNID: &str = "106540352242922";
const MODEL_KEY: &str = "sk-bench-model";

pub async fn run(args: Args) -> anyhow::Result<()> {
    println!(
        "# agents benchmark: sandbox model at {} ms, debounce {} s, agent poll {} ms, {} turns in flight, number at {} msg/s; \
         latency phase {} turns one at a time, throughput phase {} customers at once",
        args.model_latency_ms,
        args.delay_seconds,
        args.poll_ms,
        args.max_in_flight,
        args.mps,
        args.samples,
        args.conversations
    );
    println!(
        "# added = message written → answer at the sandbox, less debounce and model latency; \
         before = written → model call, less debounce; after = model call → answer, less model latency"
    );
    println!(
        "| backend | added p50 / p99 / max ms | before the model call p50 / p99 | after it p50 / p99 | answered | conversations | wall s | conversations/s | model calls |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for backend in args.db.backends()? {
        let db = args.db.create(backend).await?;
        let result = bench_one(&args, backend, &db).await;
        args.db.finish(db).await?;
        result?;
    }
    Ok(())
}

/// The sandbox's answer time to each customer (first text sent to them).
fn answered_at(sim: &SimHandle) -> std::collections::HashMap<String, DateTime<Utc>> {
    let mut out = std::collections::HashMap::new();
    for m in sim.sent_messages() {
        if m.kind == "text" {
            out.entry(m.to).or_insert(m.at);
        }
    }
    out
}

/// Waits (bounded) until every one of `customers` got an answer; how many did.
async fn wait_answers(sim: &SimHandle, customers: &[String], limit: Duration) -> usize {
    let start = Instant::now();
    loop {
        let answered = answered_at(sim);
        let n = customers
            .iter()
            .filter(|c| answered.contains_key(*c))
            .count();
        if n == customers.len() || start.elapsed() > limit {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn bench_one(args: &Args, backend: &str, db: &Scratch) -> anyhow::Result<()> {
    let store = db.store.clone();
    let sim = Sim::start(SimConfig {
        app_secret: SECRET.into(),
        quirks: Quirks::none(),
        customers_read: false,
        ..SimConfig::default()
    })
    .await?;
    let (waba, token) = ("102290129340398", "EAAG-bench");
    sim.add_number(
        NumberSpec::new("5215588392274")
            .id(PNID)
            .token(token)
            .waba(waba),
    )?;
    sim.set_model(
        Duration::from_millis(args.model_latency_ms),
        Some(MODEL_KEY.into()),
    )?;
    let secrets = SecretBox::new([9u8; 32]);
    let org = store.create_org("Bench", "UTC").await?;
    sim.set_throughput(PNID, args.mps)?;
    let account = store
        .add_account(
            org.id,
            NewAccount {
                phone: Phone::parse("5215588392274")?,
                name: "Bench".into(),
                phone_number_id: PNID.into(),
                waba_id: waba.into(),
                access_token: secrets.seal(token, PNID),
            },
        )
        .await?;
    store
        .set_account_max_mps(org.id, account.id, Some(args.mps))
        .await?;
    let (config, _) = AgentConfig::from_json(serde_json::json!({
        "api_url": sim.model_url(), "model": "sim-model",
        "instructions": "You are the shop's assistant.",
    }))?;
    let id = AgentId::new();
    let agent = NewAiAgent {
        id,
        name: "Bench agent".into(),
        config,
        api_key: Some(secrets.seal(MODEL_KEY, &id.to_string())),
    };
    store.create_ai_agent(org.id, agent).await?;
    let settings = AgentSettings {
        response_delay_seconds: args.delay_seconds,
        ..AgentSettings::default()
    };
    store.set_agent_settings(org.id, &settings).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    sim.set_webhook_url(format!("http://{addr}/functions/v1/whatsapp-webhook"));
    let shutdown = tokio_util::sync::CancellationToken::new();
    let state = AppState {
        api: Default::default(),
        store: store.clone(),
        webhook: WebhookConfig {
            app_secret: Some(SECRET.as_bytes().to_vec()),
            verify_token: None,
        },
        meta: Some(MetaConfig {
            graph: wakit_meta::GraphClient::new(sim.base_url())?,
            secrets,
            dispatch: Default::default(),
        }),
    };
    let options = ServeOptions {
        agents: AgentRuntimeConfig {
            poll: Duration::from_millis(args.poll_ms),
            max_in_flight: args.max_in_flight,
            ..AgentRuntimeConfig::default()
        },
        ..ServeOptions::default()
    };
    let server = tokio::spawn(wakit_server::serve(
        listener,
        state,
        shutdown.clone(),
        options,
    ));
    let result = phases(args, backend, &sim).await;
    shutdown.cancel();
    let _ = server.await;
    sim.shutdown().await;
    result
}

fn p50_p99(mut s: Samples) -> String {
    format!("{:.1} / {:.1}", s.pct_ms(50.0), s.pct_ms(99.0))
}

/// Adds `to - from - fixed` to `samples`.
fn split(samples: &mut Samples, from: DateTime<Utc>, to: DateTime<Utc>, fixed: Duration) {
    let total = (to - from).to_std().unwrap_or_default();
    samples.push(total.saturating_sub(fixed));
}

async fn phases(args: &Args, backend: &str, sim: &SimHandle) -> anyhow::Result<()> {
    let limit = Duration::from_secs(args.timeout);
    let fixed = Duration::from_secs(args.delay_seconds.into())
        + Duration::from_millis(args.model_latency_ms);

    // Latency: one turn at a time; the turn's model call (the only one: the default
    // script answers at once) splits it into before (intake, job, history) and after
    // (the send through the dispatcher).
    let (mut added, mut before, mut after) =
        (Samples::default(), Samples::default(), Samples::default());
    let mut answered = 0;
    for i in 0..args.samples {
        let customer = format!("5215510{i:06}");
        let calls = sim.model_requests().len();
        let written = Utc::now();
        sim.customer_writes(PNID, &customer, Some("Maria"), Inbound::text("hola"))?;
        if wait_answers(sim, std::slice::from_ref(&customer), limit).await == 0 {
            continue;
        }
        answered += 1;
        let Some(at) = answered_at(sim).get(&customer).copied() else {
            continue;
        };
        split(&mut added, written, at, fixed);
        if let Some(call) = sim.model_requests().get(calls) {
            let debounce = Duration::from_secs(args.delay_seconds.into());
            let model = Duration::from_millis(args.model_latency_ms);
            split(&mut before, written, call.at, debounce);
            split(&mut after, call.at, at, model);
        }
    }

    // Throughput: everyone at once.
    let customers: Vec<String> = (0..args.conversations)
        .map(|i| format!("5215520{i:06}"))
        .collect();
    let calls_before = sim.model_requests().len();
    let start = Instant::now();
    for c in &customers {
        sim.customer_writes(PNID, c, Some("Maria"), Inbound::text("hola"))?;
    }
    let done = wait_answers(sim, &customers, limit).await;
    let wall = start.elapsed().as_secs_f64();
    let calls = sim.model_requests().len() - calls_before;
    println!(
        "| {backend} | {:.1} / {:.1} / {:.1} | {} | {} | {answered}/{} | {done}/{} | {wall:.2} | {:.1} | {calls} |",
        added.pct_ms(50.0),
        added.pct_ms(99.0),
        added.pct_ms(100.0),
        p50_p99(before),
        p50_p99(after),
        args.samples,
        args.conversations,
        done as f64 / wall,
    );
    Ok(())
}
