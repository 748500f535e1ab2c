//! Restart recovery: the real `wakit serve` process (the release binary beside this
//! benchmark, or `--wakit`) takes a storm of signed one-message webhooks; once
//! `--kill-after` are acknowledged it is killed with SIGKILL and started again. Prints,
//! per run, how many messages were acknowledged (a 200 means durable), whether every one
//! of them is stored, and how long after the restart the last of them became visible.
//! The server keeps the default job lease (`--lease-seconds`, 30 s as shipped): a
//! message waiting for a dead process's lease shows up as a delay of about that much.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wakit_core::{AccountId, OrgId};
use wakit_store::Store;

use crate::scratch::{Databases, Scratch};
use crate::webhook::{connect_number, signed_bodies};

const SECRET: &str = "restart-bench-app-secret-0123456789";
/// Hex of the key `connect_number` seals the token with ([1u8; 32]).
const SECRET_KEY: &str = "0101010101010101010101010101010101010101010101010101010101010101";
const PATH: &str = "/functions/v1/whatsapp-webhook";

/// Options.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: Databases,
    /// Messages in the storm (one per body).
    #[arg(long, default_value_t = 30_000)]
    messages: usize,
    /// Acknowledged messages after which the server is killed.
    #[arg(long, default_value_t = 10_000)]
    kill_after: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Kill-and-restart runs per backend.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// The server's job lease (`WAKIT_JOB_LEASE_SECONDS`).
    #[arg(long, default_value_t = 30)]
    lease_seconds: u64,
    /// The `wakit` binary [default: `wakit` beside this benchmark's binary].
    #[arg(long)]
    wakit: Option<PathBuf>,
    /// Bound on waiting for the acknowledged messages after the restart, in seconds.
    #[arg(long, default_value_t = 120)]
    max_seconds: u64,
}

/// Runs the benchmark and prints a table.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let wakit = crate::cli_curl::wakit_binary(args.wakit.as_ref())?;
    println!(
        "# restart recovery: {} one-message webhooks from {} clients, SIGKILL after {} acknowledged, restart; job lease {} s; binary {}",
        args.messages,
        args.concurrency,
        args.kill_after,
        args.lease_seconds,
        wakit.display()
    );
    println!(
        "| backend | run | acknowledged | stored of them | extra stored (committed, answer lost) | restart → answering s | restart → every acknowledged visible s |"
    );
    println!("|---|---|---|---|---|---|---|");
    for backend in args.db.backends()? {
        for run in 1..=args.runs {
            let scratch = args.db.create(backend).await?;
            let row = one_run(&args, &wakit, &scratch).await;
            args.db.finish(scratch).await?;
            println!("| {backend} | {run} | {} |", row?);
        }
    }
    Ok(())
}

/// A `wakit serve` process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(wakit: &PathBuf, args: &Args, url: &str, listen: &str) -> anyhow::Result<Server> {
    let data = std::env::temp_dir().join(format!("wakit-restart-bench-{}", std::process::id()));
    let child = Command::new(wakit)
        .args(["serve", "--listen", listen])
        .env("WAKIT_DATABASE_URL", url)
        .env("WAKIT_DATA_DIR", data)
        .env("WAKIT_APP_SECRET", SECRET)
        .env("WAKIT_SECRET_KEY", SECRET_KEY)
        .env("WAKIT_GRAPH_URL", "http://127.0.0.1:9/v24.0")
        .env("WAKIT_JOB_LEASE_SECONDS", args.lease_seconds.to_string())
        .env("WAKIT_EXIT_WITH_PARENT", "1")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    Ok(Server(child))
}

/// A free `127.0.0.1:PORT` for a server process to listen on.
pub(crate) fn free_listen() -> anyhow::Result<String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    Ok(format!("127.0.0.1:{port}"))
}

/// Waits until the server on `listen` answers `/ping` (at most `limit`).
pub(crate) async fn answering(
    http: &reqwest::Client,
    listen: &str,
    limit: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    let ping = format!("http://{listen}/functions/v1/api/ping");
    while Instant::now() < deadline {
        if http
            .get(&ping)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    anyhow::bail!("wakit serve did not answer within {limit:?}")
}

/// Every stored message's wamid of the number.
async fn stored(
    store: &dyn Store,
    org: OrgId,
    account: AccountId,
) -> anyhow::Result<HashSet<String>> {
    let mut out = HashSet::new();
    for conv in store.list_conversations(org, account, 100_000).await? {
        let page = store.page_messages(org, conv.id, 1_000_000, None).await?;
        out.extend(page.messages.into_iter().filter_map(|m| m.external_id));
    }
    Ok(out)
}

async fn one_run(args: &Args, wakit: &PathBuf, scratch: &Scratch) -> anyhow::Result<String> {
    let store = scratch.store.clone();
    let (org, account) = connect_number(&*store).await?;
    let bodies = Arc::new(signed_bodies(args.messages, 1, 500, SECRET.as_bytes()));
    let listen = free_listen()?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let limit = Duration::from_secs(args.max_seconds);

    let mut server = serve(wakit, args, &scratch.url, &listen)?;
    answering(&http, &listen, limit).await?;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let (next, killed) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let url = format!("http://{listen}{PATH}");
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        let (http, url, bodies) = (http.clone(), url.clone(), bodies.clone());
        let (acked, next, killed) = (acked.clone(), next.clone(), killed.clone());
        clients.spawn(async move {
            while !killed.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((body, signature)) = bodies.get(i) else {
                    break;
                };
                let answer = http
                    .post(&url)
                    .header("Content-Type", "application/json")
                    .header("X-Hub-Signature-256", signature)
                    .body(body.clone())
                    .send()
                    .await;
                if answer.is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
                    && let Ok(mut a) = acked.lock()
                {
                    a.push(i);
                }
            }
        });
    }
    // Kill once enough are acknowledged (bounded by the storm's end).
    let deadline = Instant::now() + limit;
    while acked.lock().map(|a| a.len()).unwrap_or(0) < args.kill_after
        && next.load(Ordering::Relaxed) < bodies.len()
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let _ = server.0.kill();
    let _ = server.0.wait();
    killed.store(true, Ordering::Relaxed);
    while clients.join_next().await.is_some() {}
    let acked: HashSet<String> = acked
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .iter()
        .map(|i| format!("wamid.bench.1.{i}"))
        .collect();

    let restarted = Instant::now();
    let _server = serve(wakit, args, &scratch.url, &listen)?;
    answering(&http, &listen, limit).await?;
    let answering_after = restarted.elapsed();
    let visible_after = loop {
        let have = stored(&*store, org, account).await?;
        if acked.iter().all(|w| have.contains(w)) {
            break Some((restarted.elapsed(), have));
        }
        if restarted.elapsed() > limit {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (visible, have) = match visible_after {
        Some((t, have)) => (format!("{:.2}", t.as_secs_f64()), have),
        None => (
            format!("not within {} s", args.max_seconds),
            stored(&*store, org, account).await?,
        ),
    };
    let of_acked = acked.iter().filter(|w| have.contains(*w)).count();
    Ok(format!(
        "{} | {of_acked} | {} | {:.2} | {visible}",
        acked.len(),
        have.len() - of_acked,
        answering_after.as_secs_f64()
    ))
}
