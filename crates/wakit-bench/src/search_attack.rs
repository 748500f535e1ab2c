//! Contact-search attack on a real `wakit serve` process (the release binary), as the
//! security review ran it: org A (`--contacts` contacts) sends `--attackers` loops of
//! 60,000-character names, 60,000-digit numbers, a `%00` and real substring searches
//! with its own key, while org B (one contact) reads `GET /accounts` as a bystander.
//! Prints the bystander's latency before and during the attack, what the attacker got
//! (by status), the server's resident memory, and org B's search timing for a number
//! org A has many of against one nobody has (the cross-tenant signal). Figures only.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use wakit_core::{OrgId, Role};
use wakit_store::secrets::generate_api_key;
use wakit_store::{NewApiKey, Store};

use crate::corpus::{Corpus, Shape};
use crate::scratch::Databases;
use crate::slowloris::{Server, bystander, report, status_kib};
use crate::stats::Samples;

/// Options.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: Databases,
    /// Contacts of the attacking org.
    #[arg(long, default_value_t = 4500)]
    contacts: usize,
    /// Concurrent attacking loops.
    #[arg(long, default_value_t = 8)]
    attackers: usize,
    /// How long the attack (and the bystander's measurement during it) lasts.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// The `wakit` binary [default: `wakit` beside this benchmark's binary].
    #[arg(long)]
    wakit: Option<std::path::PathBuf>,
}

/// Runs the benchmark on each backend asked for.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let wakit = crate::cli_curl::wakit_binary(args.wakit.as_ref())?;
    for backend in args.db.backends()? {
        let db = args.db.create(backend).await?;
        let shape = Shape {
            messages: args.contacts,
            conversations: args.contacts,
            contacts: args.contacts,
            noise: 1,
            batch: 500,
            outgoing_every: 1_000_000,
        };
        let mut corpus = Corpus::create(db.store.clone(), &shape).await?;
        corpus.load_until(args.contacts).await?;
        let attacker = key(&*db.store, corpus.org).await?;
        let victim = key(&*db.store, corpus.noise_org()).await?;
        println!(
            "# search attack ({backend}): org A with {} contacts, {} attacking loops for {} s; org B (one contact) reads GET /accounts",
            args.contacts, args.attackers, args.seconds
        );
        attack(&wakit, &db.url, &args, &attacker, &victim).await?;
        args.db.finish(db).await?;
    }
    Ok(())
}

async fn key(store: &dyn Store, org: OrgId) -> anyhow::Result<String> {
    let key = generate_api_key();
    let new = NewApiKey {
        name: "bench".into(),
        role: Role::Member,
        hash: key.hash.clone(),
        prefix: key.prefix.clone(),
    };
    store.create_api_key(org, new).await?;
    Ok(key.plain)
}

async fn attack(
    wakit: &std::path::Path,
    url: &str,
    args: &Args,
    attacker: &str,
    victim: &str,
) -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let listen = crate::restart::free_listen()?;
    let server = Server(
        Command::new(wakit)
            .args(["serve", "--no-workers", "--listen", &listen])
            .env("WAKIT_DATABASE_URL", url)
            .env("WAKIT_DATA_DIR", data.path())
            // PostgreSQL needs it given (replicas share it); any 32 bytes do here.
            .env("WAKIT_SECRET_KEY", "02".repeat(32))
            .env("WAKIT_EXIT_WITH_PARENT", "1")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let pid = server.0.id();
    let root = format!("http://{listen}/functions/v1/api");
    crate::restart::answering(&reqwest::Client::new(), &listen, Duration::from_secs(30)).await?;
    let accounts = format!("{root}/accounts");

    let signal = cross_tenant_signal(&root, victim).await?;
    let before = bystander(&accounts, Some(victim), Duration::from_secs(3)).await?;
    let rss_before = status_kib(pid, "VmRSS:");
    let stop = CancellationToken::new();
    let statuses = Arc::new(Mutex::new(BTreeMap::<u16, usize>::new()));
    let mut loops = tokio::task::JoinSet::new();
    for i in 0..args.attackers {
        let (stop, statuses) = (stop.clone(), statuses.clone());
        let (root, key) = (root.clone(), attacker.to_string());
        loops.spawn(async move { attacker_loop(i, &root, &key, stop, statuses).await });
    }
    let sampler = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut peak = 0;
            while !stop.is_cancelled() {
                peak = peak.max(status_kib(pid, "VmRSS:").unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            peak
        })
    };
    let during = bystander(&accounts, Some(victim), Duration::from_secs(args.seconds)).await?;
    stop.cancel();
    let peak = sampler.await.unwrap_or(0);
    while loops.join_next().await.is_some() {}
    let hwm = status_kib(pid, "VmHWM:");

    report("(org B, GET /accounts) before the attack", before);
    report("(org B, GET /accounts) during the attack", during);
    let got = statuses.lock().map(|s| s.clone()).unwrap_or_default();
    let got: Vec<String> = got.iter().map(|(s, n)| format!("{n} × {s}")).collect();
    println!("| attacker's answers | {} |", got.join(", "));
    let mib = |k: Option<u64>| k.map_or("?".to_string(), |k| format!("{:.1}", k as f64 / 1024.0));
    println!(
        "| server RSS before | {} MiB |\n| server RSS peak sampled during | {} MiB |\n| server VmHWM (peak RSS) | {} MiB |",
        mib(rss_before),
        mib(Some(peak)),
        mib(hwm)
    );
    println!("{signal}");
    drop(server);
    Ok(())
}

/// The attacker's requests, in turn: oversized name and number, a NUL, and searches
/// that match many of its own contacts.
fn attack_query(i: usize) -> String {
    match i % 5 {
        0 => format!("name={}", "a".repeat(60_000)),
        1 => format!("number={}", "521".repeat(20_000)),
        2 => "name=%00".into(),
        3 => "name=ar".into(),
        _ => "number=5215".into(),
    }
}

async fn attacker_loop(
    n: usize,
    root: &str,
    key: &str,
    stop: CancellationToken,
    statuses: Arc<Mutex<BTreeMap<u16, usize>>>,
) {
    let http = reqwest::Client::new();
    // Bounded: at most a million requests per loop.
    for i in n..n + 1_000_000 {
        if stop.is_cancelled() {
            return;
        }
        let url = format!("{root}/contacts?{}", attack_query(i));
        let status = match http.get(url).bearer_auth(key).send().await {
            Ok(r) => r.status().as_u16(),
            Err(_) => 0,
        };
        if let Ok(mut s) = statuses.lock() {
            *s.entry(status).or_default() += 1;
        }
    }
}

/// Org B's search for a number org A has thousands of, against one nobody has: p50 of
/// 200 each, interleaved, paced under the key's rate limit, before any attack.
async fn cross_tenant_signal(root: &str, key: &str) -> anyhow::Result<String> {
    let http = reqwest::Client::new();
    let (mut common, mut none) = (Samples::default(), Samples::default());
    for i in 0..400 {
        let (number, samples) = if i % 2 == 0 {
            ("52155", &mut common)
        } else {
            ("99999", &mut none)
        };
        let started = Instant::now();
        let r = http
            .get(format!("{root}/contacts?number={number}"))
            .bearer_auth(key)
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "org B's search: {}", r.status());
        r.bytes().await?;
        samples.push(started.elapsed());
        // Under the key's rate limit (100/s by default).
        tokio::time::sleep(Duration::from_millis(12)).await;
    }
    Ok(format!(
        "| org B search `number=52155` (org A has thousands) p50 | {:.3} ms |\n| org B search `number=99999` (nobody has) p50 | {:.3} ms |",
        common.pct_ms(50.0),
        none.pct_ms(50.0)
    ))
}
