//! REST API read benchmark: the real server (`wakit_server::serve`) in-process on
//! 127.0.0.1:0 over a database loaded with the storage benchmark's corpus (1M messages
//! by default), `--concurrency` keep-alive clients calling `GET /conversations` and
//! `GET /conversation?contact_phone=...` and the data API's embed read ([`REST_EMBED`]),
//! with an API key created through the store,
//! each load bounded by `--seconds` and `--requests`. The HTTP floor (a trivial route)
//! is measured in the same run; then `wakit conversations --json` against curl doing
//! the same request.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use wakit_server::cache::{ApiCache, TTL};
use wakit_server::{ApiConfig, AppState, ServeOptions};
use wakit_store::secrets::generate_api_key;
use wakit_store::{NewApiKey, Store};

use crate::cli_curl::{self, CliRuns};
use crate::corpus::{Corpus, Shape};
use crate::floor::Floor;
use crate::load::{Load, fire};
use crate::scratch::{Databases, Scratch};
use crate::writes::Writer;

/// The data API's read of the issue: the 20 newest conversations with their contact
/// address and its contact embedded, as supabase-js asks for it.
const REST_EMBED: &str = "/rest/v1/conversations?select=*,contact_address:contacts_addresses(*,contact:contacts(*))&order=updated_at.desc&limit=20";

/// Options.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: Databases,
    #[command(flatten)]
    shape: Shape,
    /// Concurrent HTTP clients (keep-alive connections).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// How long each measured load runs, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Most requests of each measured load.
    #[arg(long, default_value_t = 5_000_000)]
    requests: usize,
    /// Unmeasured load before each measured one, in seconds.
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    /// The API's caches (keys, orgs' numbers and timezones, kept conversation answers):
    /// on, off (every request looks its key, the org's numbers and timezone up and reads
    /// its answer from the database, as before the caches) or both (off first), to see
    /// what they save.
    #[arg(long, default_value = "on")]
    cache: String,
    /// Inbound messages committed per second into the measured number's conversations
    /// while the endpoints are measured (0: a read-only load). Every commit moves the
    /// store's change epoch on, so the API's kept answers are read again after it.
    #[arg(long, default_value_t = 0)]
    writes_per_sec: u32,
    /// Distinct contacts `GET /conversation` cycles through.
    #[arg(long, default_value_t = 1000)]
    distinct_contacts: usize,
    #[command(flatten)]
    cli: CliRuns,
}

/// Runs the benchmark and prints its tables.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let backends = args.db.backends()?;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("# API benchmark: {}, two numbers", args.shape.describe());
    println!(
        "# {} concurrent keep-alive clients, {} s per load (at most {} requests) after {} s warm-up; {cores} cores; server and clients in one process",
        args.concurrency, args.seconds, args.requests, args.warmup
    );
    println!(
        "# the real server (wakit_server::serve, workers on), API caches {} (TTL {:?}); {} inbound messages/s committed during each endpoint's load; per-key rate limiter on at u32::MAX/s (never refuses); floor = same load on a trivial axum route; CPU µs/req = this process's CPU time (server and clients) per request, which other load on the machine does not inflate",
        args.cache, TTL, args.writes_per_sec
    );
    let (mut rows, mut cli_rows) = (Vec::new(), Vec::new());
    for backend in backends {
        let db = args.db.create(backend).await?;
        println!("# {backend} durability: {}", db.durability().await?);
        let result = bench_one(&args, &db).await;
        args.db.finish(db).await?;
        let (endpoints, cli) = result?;
        rows.extend(endpoints.into_iter().map(|r| format!("| {backend} {r}")));
        cli_rows.push(format!("| {backend} {cli}"));
    }
    println!();
    println!(
        "| backend | endpoint | requests | req/s | p50 / p99 ms | CPU µs/req | writes/s meanwhile | floor req/s | floor p50 / p99 ms | floor CPU µs/req | req/s / floor | non-200 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    println!();
    println!("{}", cli_curl::HEADER);
    for row in cli_rows {
        println!("{row}");
    }
    Ok(())
}

/// One backend: load, then the floor, and for each cache mode the two endpoints (and
/// the CLI, with the caches on). Returns the endpoint rows and the CLI row (after the
/// backend column).
async fn bench_one(args: &Args, db: &Scratch) -> anyhow::Result<(Vec<String>, String)> {
    let mut corpus = Corpus::create(db.store.clone(), &args.shape).await?;
    corpus.load_until(args.shape.messages).await?;
    db.analyze().await?;
    println!(
        "# loaded {} messages in {:.1} s ({:.0} msg/s)",
        corpus.loaded,
        corpus.load_time.as_secs_f64(),
        corpus.load_rate()
    );
    let key = api_key(&*db.store, &corpus).await?;
    let contacts = Arc::new(corpus.contacts_on(0, args.distinct_contacts.max(1)));
    anyhow::ensure!(!contacts.is_empty(), "no conversation on the first number");

    let mut floor = {
        let server = Floor::start().await?;
        let url = format!("http://{}/functions/v1/api/conversations", server.addr);
        let load = measured(args, Arc::new(move |_| url.clone()), &key).await?;
        server.stop().await?;
        load
    };
    let floor_row = format!(
        "{:.0} | {:.2} / {:.2} | {:.0}",
        floor.ok_per_sec(),
        floor.latency.pct_ms(50.0),
        floor.latency.pct_ms(99.0),
        floor.cpu_us_per_req()
    );
    let (mut rows, mut cli) = (Vec::new(), "| skipped (--cache off) | | | |".to_string());
    for cached in cache_modes(&args.cache)? {
        let server = Server::start(db, cached).await?;
        let digits = corpus.accounts[0].phone.digits().to_string();
        let list_url = format!("{}/conversations?account_phone={digits}", server.base);
        let writing = || {
            let account = corpus.accounts[0].id;
            let writer = Writer::start(
                db.store.clone(),
                corpus.org,
                account,
                contacts.clone(),
                args.writes_per_sec,
            );
            (writer, Instant::now())
        };
        let (writer, started) = writing();
        let list = {
            let url = list_url.clone();
            measured(args, Arc::new(move |_| url.clone()), &key).await
        };
        let list_writes = writer.stop().await? as f64 / started.elapsed().as_secs_f64();
        let (base, one_contacts) = (server.base.clone(), contacts.clone());
        let (writer, started) = writing();
        let one = measured(
            args,
            Arc::new(move |i| {
                let contact = &one_contacts[i % one_contacts.len()];
                format!("{base}/conversation?account_phone={digits}&contact_phone={contact}")
            }),
            &key,
        )
        .await;
        let one_writes = writer.stop().await? as f64 / started.elapsed().as_secs_f64();
        let (writer, started) = writing();
        let rest = {
            let url = format!("{}{REST_EMBED}", server.root);
            measured(args, Arc::new(move |_| url.clone()), &key).await
        };
        let rest_writes = writer.stop().await? as f64 / started.elapsed().as_secs_f64();
        if cached {
            cli = cli_curl::compare(&args.cli, &server.root, &key, &corpus.accounts, &list_url)
                .await?;
        }
        server.stop().await?;
        let mode = if cached { "" } else { " (no cache)" };
        let measured = [
            ("GET /conversations", list?, list_writes),
            ("GET /conversation", one?, one_writes),
            ("GET /rest/v1 embed", rest?, rest_writes),
        ];
        for (name, load, writes) in measured {
            let mut load = load;
            rows.push(format!(
                "| {name}{mode} | {} | {:.0} | {:.2} / {:.2} | {:.0} | {writes:.0} | {floor_row} | {:.2} | {} |",
                load.ok + load.refused,
                load.ok_per_sec(),
                load.latency.pct_ms(50.0),
                load.latency.pct_ms(99.0),
                load.cpu_us_per_req(),
                load.ok_per_sec() / floor.ok_per_sec(),
                load.refused,
            ));
        }
    }
    Ok((rows, cli))
}

/// The cache modes `--cache` names: true = the API's caches on.
fn cache_modes(arg: &str) -> anyhow::Result<Vec<bool>> {
    match arg {
        "on" => Ok(vec![true]),
        "off" => Ok(vec![false]),
        "both" => Ok(vec![false, true]),
        other => anyhow::bail!("unknown cache mode {other} (on, off or both)"),
    }
}

/// The real server, in-process on 127.0.0.1:0.
struct Server {
    /// `http://127.0.0.1:PORT` (the CLI's `base_url`).
    root: String,
    /// The API's base URL.
    base: String,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Serves `db` with the API's caches on or off (TTL zero: every request looks its
    /// key, the org's numbers and timezone up, as before the caches).
    async fn start(db: &Scratch, cached: bool) -> anyhow::Result<Server> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let root = format!("http://{}", listener.local_addr()?);
        let ttl = if cached { TTL } else { Duration::ZERO };
        let state = AppState {
            api: ApiConfig {
                rate_limit: Some(u32::MAX),
                cache: Arc::new(ApiCache::new(ttl)),
                ..ApiConfig::default()
            },
            store: db.store.clone(),
            webhook: Default::default(),
            meta: None,
        };
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(wakit_server::serve(
            listener,
            state,
            shutdown.clone(),
            ServeOptions::default(),
        ));
        Ok(Server {
            base: format!("{root}{}", wakit_api::API_PREFIX),
            root,
            shutdown,
            task,
        })
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.task.await??;
        Ok(())
    }
}

/// A member key of the measured org, created through the store; returns the plain key.
async fn api_key(store: &dyn Store, corpus: &Corpus) -> anyhow::Result<String> {
    let key = generate_api_key();
    let new = NewApiKey {
        name: "bench".into(),
        role: wakit_core::Role::Member,
        hash: key.hash.clone(),
        prefix: key.prefix.clone(),
    };
    store.create_api_key(corpus.org, new).await?;
    Ok(key.plain)
}

/// A warm-up load, then the measured one: GET `url(i)` with the key.
async fn measured(
    args: &Args,
    url: Arc<dyn Fn(usize) -> String + Send + Sync>,
    key: &str,
) -> anyhow::Result<Load> {
    let auth = format!("Bearer {key}");
    let get = move |http: &reqwest::Client, i: usize| {
        Some(http.get(url(i)).header("Authorization", auth.as_str()))
    };
    let get = Arc::new(get);
    if args.warmup > 0 {
        let get = get.clone();
        let warmup = Duration::from_secs(args.warmup);
        fire(args.concurrency, args.requests, warmup, move |h, i| {
            get(h, i)
        })
        .await?;
    }
    let limit = Duration::from_secs(args.seconds);
    fire(args.concurrency, args.requests, limit, move |h, i| {
        get(h, i)
    })
    .await
}
