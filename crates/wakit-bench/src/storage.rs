//! Storage benchmark: loads one org with `--messages` messages over `--conversations`
//! conversations and `--contacts` contacts (two numbers, so each contact has two
//! conversations), plus a second org of noise, then times the API's reads at the
//! checkpoint and at the end. Reads go through the Store trait, as the server's do.

use anyhow::Context;
use chrono::{Duration as ChronoDuration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wakit_core::{ConversationId, MessageContent, OrgId, Phone};
use wakit_store::secrets::SecretBox;
use wakit_store::{
    Account, ContactQuery, InboundMessage, NewAccount, NewOutgoing, Priority, Store,
};

use crate::data;
use crate::stats::Samples;

/// Options.
#[derive(clap::Args)]
pub struct Args {
    /// sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    backend: String,
    /// Messages in the measured org at the end.
    #[arg(long, default_value_t = 1_000_000)]
    messages: usize,
    /// Message count of the first measurement.
    #[arg(long, default_value_t = 10_000)]
    checkpoint: usize,
    /// Conversations in the measured org.
    #[arg(long, default_value_t = 100_000)]
    conversations: usize,
    /// Contacts in the measured org.
    #[arg(long, default_value_t = 50_000)]
    contacts: usize,
    /// Messages of the noise org (interleaved).
    #[arg(long, default_value_t = 100_000)]
    noise: usize,
    /// Timed calls per read operation.
    #[arg(long, default_value_t = 2_000)]
    samples: usize,
    /// Messages per ingest transaction while loading.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// One outgoing message every N messages.
    #[arg(long, default_value_t = 20)]
    outgoing_every: usize,
    /// Keep the Postgres scratch database (its name is printed) for inspection.
    #[arg(long)]
    keep: bool,
    /// Server for the Postgres run (a scratch database is created and dropped on it).
    #[arg(
        long,
        env = "WAKIT_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres_url: String,
}

struct World {
    store: Arc<dyn Store>,
    org: OrgId,
    accounts: Vec<Account>,
    noise_org: OrgId,
    noise_account: Account,
    conversations: Vec<Option<ConversationId>>,
    loaded: usize,
    load_time: Duration,
    rng: StdRng,
}

/// Runs the benchmark and prints a table.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let backends = crate::db::backends(&args.backend);
    println!(
        "# storage benchmark: {} messages / {} conversations / {} contacts (+{} noise messages in a second org)",
        args.messages, args.conversations, args.contacts, args.noise
    );
    println!(
        "# reads: {} timed calls each; load batch {} messages per transaction; SQLite synchronous=FULL (WAL)",
        args.samples, args.batch
    );
    println!(
        "| backend | messages | load msg/s | list convs p50/p99 ms | conversation page p50/p99 ms | search name p50/p99 ms | search number p50/p99 ms |"
    );
    println!("|---|---|---|---|---|---|---|");
    for backend in backends {
        let db = crate::db::BenchDb::fresh(backend, &args.postgres_url).await?;
        let result = bench_one(&args, backend, db.store.clone(), db.pg_pool.clone()).await;
        db.finish(args.keep).await?;
        result?;
    }
    Ok(())
}

async fn bench_one(
    args: &Args,
    backend: &str,
    store: Arc<dyn Store>,
    pg_pool: Option<sqlx::PgPool>,
) -> anyhow::Result<()> {
    let sealer = SecretBox::new([1u8; 32]);
    let org = store.create_org("Bench", "UTC").await?.id;
    let mut accounts = Vec::new();
    for i in 0..2 {
        let pnid = format!("bench-{i}");
        let acct = NewAccount {
            phone: Phone::parse(&format!("52155000000{i}"))?,
            name: format!("Bench {i}"),
            phone_number_id: pnid.clone(),
            waba_id: "waba".into(),
            access_token: sealer.seal("token", &pnid),
        };
        accounts.push(store.add_account(org, acct).await?);
    }
    let noise_org = store.create_org("Noise", "UTC").await?.id;
    let noise_account = store
        .add_account(
            noise_org,
            NewAccount {
                phone: Phone::parse("15550000000")?,
                name: "Noise".into(),
                phone_number_id: "noise".into(),
                waba_id: "waba".into(),
                access_token: sealer.seal("token", "noise"),
            },
        )
        .await?;
    let mut w = World {
        store,
        org,
        accounts,
        noise_org,
        noise_account,
        conversations: vec![None; args.conversations],
        loaded: 0,
        load_time: Duration::ZERO,
        rng: StdRng::seed_from_u64(42),
    };
    for target in [args.checkpoint, args.messages] {
        load_until(args, &mut w, target).await?;
        if let Some(pool) = &pg_pool {
            // Steady state: autovacuum keeps statistics fresh; a bulk load outruns it.
            sqlx::query("ANALYZE").execute(pool).await?;
        }
        let rate = w.loaded as f64 / w.load_time.as_secs_f64();
        let mut reads = measure(args, &mut w).await?;
        println!(
            "| {backend} | {} | {:.0} | {:.3} / {:.3} | {:.3} / {:.3} | {:.3} / {:.3} | {:.3} / {:.3} |",
            w.loaded,
            rate,
            reads[0].pct_ms(50.0),
            reads[0].pct_ms(99.0),
            reads[1].pct_ms(50.0),
            reads[1].pct_ms(99.0),
            reads[2].pct_ms(50.0),
            reads[2].pct_ms(99.0),
            reads[3].pct_ms(50.0),
            reads[3].pct_ms(99.0),
        );
    }
    Ok(())
}

/// Loads messages (and the noise org's share) until the measured org has `target`.
async fn load_until(args: &Args, w: &mut World, target: usize) -> anyhow::Result<()> {
    let base = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .context("time")?;
    let noise_every = (args.messages / args.noise.max(1)).max(1);
    let started = Instant::now();
    while w.loaded < target {
        let n = args.batch.min(target - w.loaded);
        let mut batch = Vec::with_capacity(n + n / noise_every + 1);
        let mut outgoing = Vec::new();
        let mut slots: Vec<Option<usize>> = Vec::with_capacity(n);
        for _ in 0..n {
            let k = w.loaded;
            w.loaded += 1;
            let c = w.rng.gen_range(0..args.conversations);
            let (acct, contact) = (c % 2, (c / 2) % args.contacts);
            let at = base + ChronoDuration::milliseconds(k as i64 * 50);
            if k % args.outgoing_every == args.outgoing_every - 1 && w.conversations[c].is_some() {
                outgoing.push(NewOutgoing {
                    account_id: w.accounts[acct].id,
                    to: Phone::parse(&data::phone(0, contact))?,
                    content: MessageContent::text(data::body(&mut w.rng)),
                    scheduled_at: Some(at),
                    agent_id: None,
                    priority: Priority::Normal,
                    idempotency: None,
                });
                continue;
            }
            slots.push(Some(c));
            batch.push((
                w.org,
                InboundMessage {
                    account_id: w.accounts[acct].id,
                    from: Phone::parse(&data::phone(0, contact))?,
                    profile_name: Some(data::name(contact)),
                    wamid: format!("wamid.bench.{k}"),
                    timestamp: at,
                    content: MessageContent::text(data::body(&mut w.rng)),
                },
            ));
            if k.is_multiple_of(noise_every) {
                slots.push(None);
                let nc = w.rng.gen_range(0..args.contacts);
                batch.push((
                    w.noise_org,
                    InboundMessage {
                        account_id: w.noise_account.id,
                        from: Phone::parse(&data::phone(1, nc))?,
                        profile_name: Some(data::name(nc + 7)),
                        wamid: format!("wamid.noise.{k}"),
                        timestamp: at,
                        content: MessageContent::text(data::body(&mut w.rng)),
                    },
                ));
            }
        }
        let results = w.store.ingest_inbound_batch(batch).await?;
        // Results come back in input order; remember each measured conversation's id.
        for (r, slot) in results.iter().zip(&slots) {
            if let Some(c) = slot {
                w.conversations[*c].get_or_insert(r.conversation_id);
            }
        }
        for o in outgoing {
            w.store.enqueue_outgoing(w.org, o).await?;
        }
    }
    w.load_time += started.elapsed();
    Ok(())
}

async fn measure(args: &Args, w: &mut World) -> anyhow::Result<[Samples; 4]> {
    let mut out: [Samples; 4] = Default::default();
    let known: Vec<ConversationId> = w.conversations.iter().flatten().copied().collect();
    let names = [
        "maría",
        "garcía",
        "lopez 1",
        "josé mar",
        "ramírez",
        "ana",
        "núñez 4",
    ];
    for i in 0..args.samples {
        let t = Instant::now();
        w.store
            .list_conversations(w.org, w.accounts[i % 2].id, 10)
            .await?;
        out[0].push(t.elapsed());

        if !known.is_empty() {
            let c = known[w.rng.gen_range(0..known.len())];
            let t = Instant::now();
            w.store.page_messages(w.org, c, 50, None).await?;
            out[1].push(t.elapsed());
        }

        let q = ContactQuery {
            name: Some(names[i % names.len()].to_string()),
            number: None,
            limit: 10,
        };
        let t = Instant::now();
        w.store.search_contacts(w.org, q).await?;
        out[2].push(t.elapsed());

        let digits = format!("{:05}", w.rng.gen_range(0..args.contacts.min(99_999)));
        let q = ContactQuery {
            name: None,
            number: Some(digits),
            limit: 10,
        };
        let t = Instant::now();
        w.store.search_contacts(w.org, q).await?;
        out[3].push(t.elapsed());
    }
    Ok(out)
}
