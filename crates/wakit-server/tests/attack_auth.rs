//! Unauthenticated traffic is bounded (issue 21, points 2 and 4): an empty app secret is
//! no secret, guessing API keys or forging webhook signatures from one IP runs into a
//! budget (429 with Retry-After, the API's error shape) instead of a lookup each, and
//! a key created after failed attempts still works.

mod common;

use common::raw::{Seen, head, seen, send_raw};
use common::sandbox::new_key;
use common::{Running, start};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use wakit_server::{AppState, ServeOptions, WebhookConfig};
use wakit_store_tests::{Backend, TestStore};

/// Attempts made in each flood (the default budget is 10/s with bursts of 20).
const FLOOD: usize = 60;

/// The server with `app_secret` as the webhook's secret.
async fn start_with_secret(ts: &TestStore, app_secret: Option<Vec<u8>>) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let state = AppState {
        api: Default::default(),
        store: ts.store.clone(),
        webhook: WebhookConfig {
            app_secret,
            verify_token: None,
        },
        meta: None,
    };
    let task = tokio::spawn(wakit_server::serve(
        listener,
        state,
        shutdown.clone(),
        ServeOptions {
            workers: false,
            ..ServeOptions::default()
        },
    ));
    Running::new(addr, shutdown, task)
}

/// `WAKIT_APP_SECRET=""` must not accept bodies signed with an empty key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_app_secret_accepts_nothing() {
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let srv = start_with_secret(&ts, Some(Vec::new())).await;
    let body = common::meta::messages_body("1", "5215551234567", &[("wamid.X", "hi")]);
    let forged = wakit_meta::signature::sign(b"", &body);
    let r = reqwest::Client::new()
        .post(&srv.webhook)
        .header("X-Hub-Signature-256", forged)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 503, "refused as when no secret is set");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["code"], "unavailable");
}

/// A flood of invalid keys from one IP is cut off with 429 + Retry-After; a key
/// created afterwards works at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_keys_runs_into_a_budget() {
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let org = ts.store.create_org("Org", "UTC").await.expect("org");
    let srv = start(&ts, false).await;
    let http = reqwest::Client::new();
    let accounts = format!("{}/accounts", srv.base);
    let mut statuses = Vec::new();
    let mut limited = None;
    for i in 0..FLOOD {
        let guess = format!("sk_{i:040}");
        let r = http
            .get(&accounts)
            .bearer_auth(&guess)
            .send()
            .await
            .expect("req");
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
    }
    let r = limited.unwrap_or_else(|| panic!("{FLOOD} invalid keys, never limited: {statuses:?}"));
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry >= 1);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["code"], "rate_limited", "{body}");
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));

    // A key created now works once the budget has refilled (a second or two).
    let key = new_key(&*ts.store, org.id).await;
    let mut answer = 0;
    for _ in 0..40 {
        answer = http
            .get(&accounts)
            .bearer_auth(&key)
            .send()
            .await
            .expect("req")
            .status()
            .as_u16();
        if answer == 200 {
            break;
        }
        assert_eq!(answer, 429, "a valid key is only ever delayed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answer, 200, "the new key works");
}

/// A key presented (and refused) before it was created works once the short memory of
/// failures (`cache::TTL`) has passed; one never presented works at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_created_after_it_failed_works() {
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let org = ts.store.create_org("Org", "UTC").await.expect("org");
    let srv = start(&ts, false).await;
    let http = reqwest::Client::new();
    let accounts = format!("{}/accounts", srv.base);
    let key = wakit_store::secrets::generate_api_key();
    let r = http
        .get(&accounts)
        .bearer_auth(&key.plain)
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), 401);
    ts.store
        .create_api_key(
            org.id,
            wakit_store::NewApiKey {
                name: "late".into(),
                role: wakit_core::Role::Member,
                hash: key.hash.clone(),
                prefix: key.prefix.clone(),
            },
        )
        .await
        .expect("key");
    let fresh = new_key(&*ts.store, org.id).await;
    let r = http
        .get(&accounts)
        .bearer_auth(&fresh)
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), 200, "a key never refused works at once");
    tokio::time::sleep(wakit_server::cache::TTL + Duration::from_millis(300)).await;
    let r = http
        .get(&accounts)
        .bearer_auth(&key.plain)
        .send()
        .await
        .expect("req");
    assert_eq!(
        r.status(),
        200,
        "the refusal is forgotten after the cache TTL"
    );
}

/// Forged webhook signatures from one IP run into the same budget: 429 before the body
/// is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_signatures_run_into_a_budget() {
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let srv = start(&ts, false).await;
    let http = reqwest::Client::new();
    let body = vec![b'x'; 64 * 1024];
    let mut statuses = Vec::new();
    for _ in 0..FLOOD {
        let r = http
            .post(&srv.webhook)
            .header("X-Hub-Signature-256", "sha256=00")
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("post");
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&429), "never limited: {statuses:?}");
    // Past the budget the body is not even waited for: a stalled upload gets the 429.
    let mut conn = send_raw(
        &srv.webhook,
        head(
            "POST",
            &srv.webhook,
            &["Content-Length: 100000", "X-Hub-Signature-256: sha256=00"],
        )
        .as_bytes(),
    )
    .await;
    match seen(&mut conn, Duration::from_secs(5)).await {
        Seen::Answered(a) => assert!(a.starts_with("HTTP/1.1 429"), "{a}"),
        other => panic!("no answer while the body stalls: {other:?}"),
    }
}

/// PostgreSQL's `PGSTAT_IDLE_INTERVAL` (pgstat.h): an idle backend reports its
/// transaction counts within it.
const PGSTAT_IDLE_INTERVAL: Duration = Duration::from_secs(10);

/// The transactions the test database has committed, as PostgreSQL counts them (after
/// its backends had time to report them).
async fn commits(url: &str) -> i64 {
    use sqlx::Connection;
    tokio::time::sleep(PGSTAT_IDLE_INTERVAL + Duration::from_secs(1)).await;
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    sqlx::query("SELECT pg_stat_clear_snapshot()")
        .execute(&mut conn)
        .await
        .expect("clear");
    sqlx::query_scalar(
        "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
    )
    .fetch_one(&mut conn)
    .await
    .expect("stats")
}

/// A burst of `/ping` is answered from a shared database probe, not a query each
/// (PostgreSQL only: counted in its statistics).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_share_one_database_probe() {
    let Some(ts) = TestStore::fresh(Backend::Postgres).await else {
        return;
    };
    let srv = start(&ts, false).await;
    let http = reqwest::Client::new();
    let ping = format!("{}/ping", srv.base);
    assert_eq!(http.get(&ping).send().await.expect("ping").status(), 200);
    let before = commits(&ts.url).await;
    for _ in 0..10 {
        let burst = (0..20).map(|_| http.get(&ping).send());
        for r in futures::future::join_all(burst).await {
            assert_eq!(r.expect("ping").status(), 200);
        }
    }
    let after = commits(&ts.url).await;
    assert!(
        after - before < 50,
        "200 pings cost {} transactions",
        after - before
    );
}
