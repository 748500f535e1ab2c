//! Dispatch throughput: the real server's dispatcher sending a queue of messages to the
//! sandbox for one number configured at `--mps` (Meta's top tier is 1000/s).

use chrono::Utc;
use clap::Args as ClapArgs;
use std::time::{Duration, Instant};
use wakit_core::{MessageContent, Phone};
use wakit_server::workers::dispatch::DispatchConfig;
use wakit_server::{AppState, MetaConfig, ServeOptions, WebhookConfig};
use wakit_sim::{Inbound, NumberSpec, Quirks, Sim, SimConfig};
use wakit_store::secrets::SecretBox;
use wakit_store::{NewAccount, NewOutgoing, Priority};

use crate::scratch::{Databases, Scratch};
use crate::stats::Samples;

/// Options of `wakit-bench dispatch`.
#[derive(ClapArgs)]
pub struct Args {
    #[command(flatten)]
    db: Databases,
    /// Messages queued before the dispatcher starts.
    #[arg(long, default_value = "10000")]
    messages: usize,
    /// The number's rate, in wakit and in the sandbox (messages/s).
    #[arg(long, default_value = "1000")]
    mps: u32,
    /// Hold the sandbox's status webhooks (measures the dispatcher alone).
    #[arg(long)]
    no_webhooks: bool,
    /// Give up after this many seconds.
    #[arg(long, default_value = "300")]
    timeout: u64,
}

const SECRET: &str = "bench-app-secret";

pub async fn run(args: Args) -> anyhow::Result<()> {
    println!(
        "# dispatch benchmark: {} queued text messages, one number at {} msg/s (wakit pacing = sandbox limit); \
         sandbox quirks off; SQLite synchronous=FULL",
        args.messages, args.mps
    );
    println!(
        "| backend | messages | sent | wall s | sent msg/s | queue→Meta p50 / p99 ms | 130429 | failed |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for backend in args.db.backends()? {
        let db = args.db.create(backend).await?;
        let result = bench_one(&args, backend, &db).await;
        args.db.finish(db).await?;
        result?;
    }
    Ok(())
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
    let (pnid, waba, token) = ("106540352242922", "102290129340398", "EAAG-bench");
    sim.add_number(
        NumberSpec::new("5215588392274")
            .id(pnid)
            .token(token)
            .waba(waba),
    )?;
    sim.set_throughput(pnid, args.mps)?;
    let secrets = SecretBox::new([9u8; 32]);
    let org = store.create_org("Bench", "UTC").await?;
    let account = store
        .add_account(
            org.id,
            NewAccount {
                phone: Phone::parse("5215588392274")?,
                name: "Bench".into(),
                phone_number_id: pnid.into(),
                waba_id: waba.into(),
                access_token: secrets.seal(token, pnid),
            },
        )
        .await?;
    store
        .set_account_max_mps(org.id, account.id, Some(args.mps))
        .await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    if !args.no_webhooks {
        sim.set_webhook_url(format!("http://{addr}/functions/v1/whatsapp-webhook"));
    }
    // Customers who wrote in, so the 24 h window is open for every recipient.
    let customers: Vec<String> = (0..50).map(|i| format!("52155512{i:05}")).collect();
    for c in &customers {
        sim.customer_writes(pnid, c, None, Inbound::text("hola"))?;
    }
    for i in 0..args.messages {
        let out = NewOutgoing {
            account_id: account.id,
            to: Phone::parse(&customers[i % customers.len()])?.into(),
            content: MessageContent::text(format!("Promo {i}: 20% off this week")),
            scheduled_at: None,
            agent_id: None,
            priority: Priority::Bulk,
            idempotency: None,
        };
        store.enqueue_outgoing(org.id, out).await?;
    }

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
            dispatch: DispatchConfig::default(),
        }),
    };
    let server = tokio::spawn(wakit_server::serve(
        listener,
        state,
        shutdown.clone(),
        ServeOptions::default(),
    ));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.timeout);
    loop {
        let stats = sim.stats();
        let failed: u64 = stats
            .rejected
            .iter()
            .filter(|(c, _)| **c != 130429)
            .map(|(_, n)| n)
            .sum();
        if stats.accepted as usize + failed as usize >= args.messages || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wall = start.elapsed();
    let sent = sim.sent_messages();
    let mut lat = Samples::default();
    let queued_at = Utc::now() - chrono::Duration::from_std(wall)?; // dispatcher start
    for s in &sent {
        if let Ok(d) = (s.at - queued_at).to_std() {
            lat.push(d);
        }
    }
    let stats = sim.stats();
    let first = sent.iter().map(|s| s.at).min();
    let last = sent.iter().map(|s| s.at).max();
    let span = match (first, last) {
        (Some(a), Some(b)) => (b - a).to_std().unwrap_or_default().as_secs_f64(),
        _ => 0.0,
    };
    let rate = if span > 0.0 {
        sent.len() as f64 / span
    } else {
        f64::NAN
    };
    let failed: u64 = stats
        .rejected
        .iter()
        .filter(|(c, _)| **c != 130429)
        .map(|(_, n)| n)
        .sum();
    println!(
        "| {backend} | {} | {} | {:.2} | {:.0} | {:.0} / {:.0} | {} | {} |",
        args.messages,
        sent.len(),
        wall.as_secs_f64(),
        rate,
        lat.pct_ms(50.0),
        lat.pct_ms(99.0),
        stats.rejected_with(130429),
        failed,
    );
    shutdown.cancel();
    let _ = server.await;
    sim.shutdown().await;
    Ok(())
}
