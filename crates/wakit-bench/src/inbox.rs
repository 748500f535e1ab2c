//! The dashboard inbox's first paint: the real server in-process over a corpus of
//! `--conversations` conversations (10,000 by default), a person signed in through
//! `POST /dashboard/session`, then `--runs` times the requests the page makes before it
//! shows the list, in the page's order: the page and its modules (first visit, nothing
//! cached), the refresh that restores the session, the organizations and the person's
//! roles (four requests at once), the numbers, the event stream's start, the first 30
//! conversations (the list's query) and their last messages. Prints each step's and the
//! whole chain's p50 / p99. No browser: rendering adds its own time on top.

use std::time::Instant;
use tokio_util::sync::CancellationToken;
use wakit_server::routes::auth::{AuthConfig, password};
use wakit_server::{ApiConfig, AppState, ServeOptions};
use wakit_store::NewUser;

use crate::corpus::{Corpus, Shape};
use crate::scratch::{Databases, Scratch};
use crate::stats::Samples;

const EMAIL: &str = "agent@example.com";
const PASSWORD: &str = "an inbox bench password";
/// The list's select (assets/js/inbox/list.js `CONVERSATION_SELECT`).
const SELECT: &str = "id,account_id,contact_address,name,unread_count,last_message_at,last_message_id,contacts_addresses(profile_name,wa_id,contacts(name))";

/// Options.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: Databases,
    #[command(flatten)]
    shape: Shape,
    /// First paints measured (one after the other).
    #[arg(long, default_value_t = 50)]
    runs: usize,
}

/// The steps, in order.
const STEPS: [&str; 7] = [
    "page + modules",
    "session refresh",
    "orgs + roles",
    "numbers",
    "event stream start",
    "30 conversations",
    "last messages",
];

/// Runs the benchmark and prints its table.
pub async fn run(args: Args) -> anyhow::Result<()> {
    println!(
        "# dashboard inbox first paint: {}; {} runs one after the other; server and client in one process; no browser (requests only)",
        args.shape.describe(),
        args.runs
    );
    println!("| backend | step | p50 ms | p99 ms |");
    println!("|---|---|---|---|");
    for backend in args.db.backends()? {
        let db = args.db.create(backend).await?;
        let result = bench_one(&args, &db).await;
        args.db.finish(db).await?;
        for (name, mut samples) in result? {
            println!(
                "| {backend} | {name} | {:.1} | {:.1} |",
                samples.pct_ms(50.0),
                samples.pct_ms(99.0)
            );
        }
    }
    Ok(())
}

async fn bench_one(args: &Args, db: &Scratch) -> anyhow::Result<Vec<(String, Samples)>> {
    let mut corpus = Corpus::create(db.store.clone(), &args.shape).await?;
    corpus.load_until(args.shape.messages).await?;
    db.analyze().await?;
    let hash = password::hash(PASSWORD.to_string())
        .await
        .map_err(|e| anyhow::anyhow!("hash: {}", e.code()))?;
    let user = db
        .store
        .create_user(NewUser {
            email: EMAIL.into(),
            password_hash: hash,
            user_metadata: serde_json::json!({}),
        })
        .await?;
    db.store
        .add_member(corpus.org, user.id, wakit_core::Role::Admin)
        .await?;
    let state = AppState {
        api: ApiConfig {
            auth: AuthConfig::default(),
            rate_limit: Some(u32::MAX),
            ..ApiConfig::default()
        },
        store: db.store.clone(),
        webhook: Default::default(),
        meta: None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let root = format!("http://{}", listener.local_addr()?);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(wakit_server::serve(
        listener,
        state,
        shutdown.clone(),
        ServeOptions::default(),
    ));
    let http = reqwest::Client::new();
    let signed = http
        .post(format!("{root}/dashboard/session"))
        .json(&serde_json::json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .await?;
    anyhow::ensure!(signed.status() == 200, "sign-in: {}", signed.status());
    let mut cookie = cookies(signed.headers());
    let mut samples: Vec<Samples> = STEPS.iter().map(|_| Samples::default()).collect();
    let mut total = Samples::default();
    let org = corpus.org.0.to_string();
    for _ in 0..args.runs {
        let started = Instant::now();
        let mut step = Instant::now();
        let mut lap = |samples: &mut Vec<Samples>, i: usize| {
            samples[i].push(step.elapsed());
            step = Instant::now();
        };
        page(&http, &root).await?;
        lap(&mut samples, 0);
        let renewed = http
            .post(format!("{root}/dashboard/session/refresh"))
            .header("cookie", &cookie.0)
            .header("x-csrf-token", &cookie.1)
            .send()
            .await?;
        anyhow::ensure!(renewed.status() == 200, "refresh: {}", renewed.status());
        // The refresh token rotated; the CSRF token stays.
        cookie = cookies(renewed.headers());
        let session: serde_json::Value = renewed.json().await?;
        let token = session["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        lap(&mut samples, 1);
        let get = |url: String| http.get(url).bearer_auth(&token).send();
        let rpc = |role: &'static str| {
            http.post(format!("{root}/rest/v1/rpc/get_authorized_orgs"))
                .bearer_auth(&token)
                .json(&serde_json::json!({ "role": role }))
                .send()
        };
        let (orgs, a, b, c) = tokio::join!(
            get(format!(
                "{root}/rest/v1/organizations?select=id,name,timezone&order=name.asc"
            )),
            rpc("member"),
            rpc("admin"),
            rpc("owner")
        );
        for r in [orgs?, a?, b?, c?] {
            anyhow::ensure!(r.status() == 200, "orgs: {}", r.status());
            r.bytes().await?;
        }
        lap(&mut samples, 2);
        ok(get(format!(
            "{root}/rest/v1/organizations_addresses?select=id,phone_number,verified_name,status&organization_id=eq.{org}&order=created_at.asc"
        ))
        .await?)
        .await?;
        lap(&mut samples, 3);
        let mut stream = get(format!(
            "{root}/functions/v1/api/events?organization_id={org}"
        ))
        .await?;
        anyhow::ensure!(stream.status() == 200, "events: {}", stream.status());
        stream.chunk().await?;
        drop(stream);
        lap(&mut samples, 4);
        let list = ok(http
            .get(format!("{root}/rest/v1/conversations"))
            .bearer_auth(&token)
            .query(&[
                ("select", SELECT),
                ("organization_id", &format!("eq.{org}")),
                ("status", "eq.active"),
                ("order", "last_message_at.desc.nullslast,id.desc"),
                ("limit", "30"),
                ("offset", "0"),
            ])
            .send()
            .await?)
        .await?;
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&list)?;
        anyhow::ensure!(
            rows.len() == 30,
            "the first page has {} conversations",
            rows.len()
        );
        lap(&mut samples, 5);
        let ids: Vec<&str> = rows
            .iter()
            .filter_map(|r| r["last_message_id"].as_str())
            .collect();
        ok(get(format!(
            "{root}/rest/v1/messages?select=id,content,direction,status,timestamp&id=in.({})&organization_id=eq.{org}",
            ids.join(",")
        ))
        .await?)
        .await?;
        lap(&mut samples, 6);
        total.push(started.elapsed());
    }
    shutdown.cancel();
    task.await??;
    let mut out: Vec<(String, Samples)> =
        STEPS.iter().map(|s| s.to_string()).zip(samples).collect();
    out.push(("whole first paint (data)".into(), total));
    Ok(out)
}

/// The page and every module its import map names (a first visit: nothing cached).
async fn page(http: &reqwest::Client, root: &str) -> anyhow::Result<()> {
    let html = ok(http.get(format!("{root}/")).send().await?).await?;
    let html = String::from_utf8_lossy(&html);
    let urls: Vec<String> = html
        .split('"')
        .filter(|s| s.starts_with("/assets/") && s.contains("?v="))
        .map(|s| format!("{root}{s}"))
        .collect();
    anyhow::ensure!(!urls.is_empty(), "the page names no assets");
    let fetches = urls.iter().map(|u| async move {
        ok(http.get(u).header("accept-encoding", "br").send().await?).await
    });
    for body in futures::future::join_all(fetches).await {
        body?;
    }
    Ok(())
}

/// The body of a 200.
async fn ok(resp: reqwest::Response) -> anyhow::Result<axum::body::Bytes> {
    anyhow::ensure!(
        resp.status() == 200,
        "{} answered {}",
        resp.url(),
        resp.status()
    );
    Ok(resp.bytes().await?)
}

/// The `Cookie` header a browser would send back, and the CSRF token, from a session
/// answer's cookies.
fn cookies(h: &reqwest::header::HeaderMap) -> (String, String) {
    let value = |name: &str| {
        h.get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .and_then(|l| l.split(';').next())
            .unwrap_or_default()
            .to_string()
    };
    let csrf = value("wakit_csrf");
    let header = format!(
        "wakit_refresh={}; wakit_csrf={csrf}",
        value("wakit_refresh")
    );
    (header, csrf)
}
