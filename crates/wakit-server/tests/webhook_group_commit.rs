//! Concurrent Meta webhooks share group commits: every POST is answered 200 only once
//! stored, every message ends stored exactly once, a shutdown answers every accepted
//! POST, and a store that cannot commit is answered 503 with `Retry-After`.

mod common;

use common::meta::{eventually, messages_body, post_signed};
use common::{start, start_with};
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::task::JoinSet;
use wakit_core::{AccountId, OrgId};
use wakit_store::{PROCESS_WEBHOOK, Store};
use wakit_store_tests::fixture::new_account;
use wakit_store_tests::{Backend, TestStore};

const PNID: &str = "238013449404478";
/// Concurrent POSTs of the burst test.
const POSTS: usize = 200;
/// Of which Meta "retries" this many at the same time (duplicates).
const RETRIED: usize = 50;
/// Contacts the burst's messages come from.
const CONTACTS: usize = 20;

fn burst_body(i: usize) -> Vec<u8> {
    let from = format!("52155500000{:02}", i % CONTACTS);
    let wamid = format!("wamid.burst.{i}");
    messages_body(PNID, &from, &[(&wamid, "hola")])
}

/// Every stored message's wamid across the number's conversations, in order.
async fn stored_wamids(store: &dyn Store, org: OrgId, acct: AccountId) -> Vec<String> {
    let mut wamids = Vec::new();
    for conv in store
        .list_conversations(org, acct, 500)
        .await
        .expect("list")
    {
        let page = store
            .page_messages(org, conv.id, 500, None)
            .await
            .expect("page");
        wamids.extend(page.messages.into_iter().filter_map(|m| m.external_id));
    }
    wamids.sort();
    wamids
}

async fn concurrent_posts_are_each_stored_once(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let org = ts.store.create_org("Mirlo", "UTC").await.expect("org").id;
    let acct = ts
        .store
        .add_account(org, new_account("5215588392274", PNID))
        .await
        .expect("account")
        .id;
    let srv = start(&ts, true).await;
    let http = reqwest::Client::new();

    let mut posts = JoinSet::new();
    for i in (0..POSTS).chain(0..RETRIED) {
        let (http, url) = (http.clone(), srv.webhook.clone());
        posts.spawn(async move { post_signed(&http, &url, burst_body(i)).await });
    }
    let mut answered = 0;
    while let Some(result) = posts.join_next().await {
        let response = result.expect("join").expect("post");
        assert_eq!(response.status(), 200, "every POST is stored and answered");
        answered += 1;
    }
    assert_eq!(answered, POSTS + RETRIED);

    let store = ts.store.clone();
    eventually("every message stored", || {
        let store = store.clone();
        async move {
            store
                .list_conversations(org, acct, 500)
                .await
                .map(|cs| cs.iter().map(|c| c.unread as usize).sum::<usize>() >= POSTS)
                .unwrap_or(false)
        }
    })
    .await;
    let expected: BTreeSet<String> = (0..POSTS).map(|i| format!("wamid.burst.{i}")).collect();
    let stored = stored_wamids(&*ts.store, org, acct).await;
    assert_eq!(stored.len(), POSTS, "each message exactly once");
    assert_eq!(stored.into_iter().collect::<BTreeSet<_>>(), expected);

    srv.stop().await;
}

/// Shutdown fires while POSTs are in flight: each one answered 200 is in the inbox.
async fn shutdown_answers_every_accepted_post(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    // Workers off: the stored jobs stay queued, so the test can read what was stored.
    let srv = start(&ts, false).await;
    let http = reqwest::Client::new();
    let answered = Arc::new(AtomicUsize::new(0));
    let mut posts = JoinSet::new();
    for i in 0..POSTS {
        let (http, url, answered) = (http.clone(), srv.webhook.clone(), answered.clone());
        posts.spawn(async move {
            let body = burst_body(i);
            let result = post_signed(&http, &url, body.clone()).await;
            answered.fetch_add(1, Ordering::SeqCst);
            (body, result.map(|r| r.status().as_u16()))
        });
    }
    let counter = answered.clone();
    eventually("first answers", || {
        let counter = counter.clone();
        async move { counter.load(Ordering::SeqCst) >= 10 }
    })
    .await;
    srv.shutdown.cancel();
    let mut acknowledged = HashSet::new();
    while let Some(result) = posts.join_next().await {
        let (body, status) = result.expect("join");
        // A POST the closing server did not take is a transport error (Meta retries it);
        // one it took is answered, never dropped.
        match status {
            Ok(200) => {
                acknowledged.insert(body);
            }
            Ok(other) => panic!("unexpected status {other}"),
            Err(_) => {}
        }
    }
    srv.stop().await;
    assert!(acknowledged.len() >= 10);

    let far = chrono::Utc::now() + chrono::Duration::hours(1);
    let jobs = ts
        .store
        .claim_jobs(&[PROCESS_WEBHOOK], 10_000, chrono::Duration::hours(1), far)
        .await
        .expect("claim");
    let ids: Vec<uuid::Uuid> = jobs
        .iter()
        .flat_map(|j| {
            j.args::<wakit_store::ProcessWebhook>()
                .expect("a process_webhook job")
                .ids()
        })
        .collect();
    let stored: HashSet<Vec<u8>> = ts
        .store
        .inbox_get_batch(&ids)
        .await
        .expect("inbox")
        .into_iter()
        .map(|item| item.body)
        .collect();
    for body in &acknowledged {
        assert!(stored.contains(body), "a POST answered 200 is stored");
    }
}

on_both_backends!(
    concurrent_posts_are_each_stored_once,
    shutdown_answers_every_accepted_post
);

/// A store that cannot commit: the POST is answered 503 with `Retry-After` (Meta
/// retries), and nothing is acknowledged.
mod store_failure {
    use super::*;
    use std::time::Duration;
    use wakit_store_postgres::{PgOptions, PgStore};
    use wakit_store_sqlite::SqliteStore;

    async fn assert_refused(store: Arc<dyn Store>) -> common::Running {
        let srv = start_with(store, false).await;
        let http = reqwest::Client::new();
        let response = post_signed(&http, &srv.webhook, burst_body(1))
            .await
            .expect("post");
        assert_eq!(response.status(), 503);
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("1")
        );
        srv
    }

    /// The pool is closed under the server (the database went away).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_closed_pool_is_503() {
        let Some(ts) = TestStore::fresh(Backend::Postgres).await else {
            return;
        };
        let pg = PgStore::connect(&ts.url, PgOptions::default())
            .await
            .expect("connect");
        pg.pool().close().await;
        let srv = assert_refused(Arc::new(pg)).await;
        srv.stop().await;
    }

    /// Another process holds SQLite's write lock beyond the busy timeout; once it lets
    /// go, POSTs are stored again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_locked_by_another_process_is_503_then_recovers() {
        let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
        let store = SqliteStore::open(&ts.url, false).await.expect("open");
        let mut other = <sqlx::SqliteConnection as sqlx::Connection>::connect(&ts.url)
            .await
            .expect("second connection");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .expect("lock");
        let srv = assert_refused(Arc::new(store)).await;
        sqlx::query("ROLLBACK")
            .execute(&mut other)
            .await
            .expect("unlock");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        let response = post_signed(&http, &srv.webhook, burst_body(2))
            .await
            .expect("post");
        assert_eq!(response.status(), 200);
        srv.stop().await;
    }
}
