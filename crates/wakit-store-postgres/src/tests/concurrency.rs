//! Lock-based concurrency: SKIP LOCKED claims across replicas, statuses racing mark_sent.

use std::collections::HashSet;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use serde_json::json;
use sqlx::Row;
use wakit_core::MessageStatus;
use wakit_store::*;

use super::{TestDb, at, org_with_account, outgoing};
use crate::{PgOptions, PgStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_skip_locked_rows_and_never_share_across_replicas() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = db.store(PgOptions::default()).await;
    for i in 0..200 {
        let job = NewJob {
            org_id: None,
            kind: "send".into(),
            payload: json!({ "i": i }),
            run_at: at(i % 7),
            priority: (i % 3) as i16,
        };
        store.enqueue_job(job).await.expect("enqueue");
    }

    // A row locked by someone else is skipped at once, not waited for.
    let mut tx = store.pool().begin().await.expect("begin");
    let locked: uuid::Uuid =
        sqlx::query("SELECT id FROM jobs ORDER BY priority DESC, run_at LIMIT 1 FOR UPDATE")
            .fetch_one(&mut *tx)
            .await
            .expect("lock")
            .get("id");
    let started = Instant::now();
    let first = tokio::time::timeout(
        StdDuration::from_secs(5),
        store.claim_jobs(&["send"], 5, Duration::seconds(60), at(100)),
    )
    .await
    .expect("claim must not block on a locked row")
    .expect("claim");
    assert!(started.elapsed() < StdDuration::from_secs(2));
    assert_eq!(first.len(), 5);
    assert!(
        first.iter().all(|j| j.id.0 != locked),
        "the locked job was skipped"
    );
    assert!(
        first
            .windows(2)
            .all(|w| (w[0].priority, std::cmp::Reverse(w[0].run_at))
                >= (w[1].priority, std::cmp::Reverse(w[1].run_at)))
    );
    tx.rollback().await.expect("rollback");

    // Three "replicas" (separate pools), four claimers each, race for the rest.
    let mut replicas = vec![store.clone()];
    for _ in 0..2 {
        replicas.push(
            PgStore::connect(
                &db.url,
                PgOptions {
                    max_connections: 4,
                    ..PgOptions::default()
                },
            )
            .await
            .expect("replica"),
        );
    }
    let mut tasks = tokio::task::JoinSet::new();
    for r in &replicas {
        for _ in 0..4 {
            let r = r.clone();
            tasks.spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let got = r
                        .claim_jobs(&["send"], 4, Duration::seconds(60), at(100))
                        .await
                        .expect("claim");
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got);
                }
            });
        }
    }
    let mut all = first;
    while let Some(res) = tasks.join_next().await {
        all.extend(res.expect("task"));
    }
    let ids: HashSet<_> = all.iter().map(|j| j.id).collect();
    assert_eq!(all.len(), 200, "every job claimed exactly once");
    assert_eq!(ids.len(), 200);
    let tokens: HashSet<_> = all.iter().map(|j| j.lease_token).collect();
    assert_eq!(tokens.len(), 200, "a fresh lease token per claim");
    assert!(
        all.iter()
            .all(|j| j.attempts == 1 && j.lease_until == Some(at(160)))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_racing_the_send_response_are_never_lost() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = db
        .store(PgOptions {
            max_connections: 12,
            ..PgOptions::default()
        })
        .await;
    let (org, acct) = org_with_account(&store, "pnid-race").await;
    let mut ids = Vec::new();
    for _ in 0..30 {
        ids.push(
            store
                .enqueue_outgoing(org, outgoing(&acct, "15550002222"))
                .await
                .expect("enqueue")
                .message
                .id,
        );
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, id) in ids.iter().copied().enumerate() {
        let wamid = format!("wamid.race.{i}");
        let (s1, s2, w1) = (store.clone(), store.clone(), wamid.clone());
        let account = acct.id;
        tasks.spawn(async move { s1.mark_sent(org, id, &w1, at(1)).await.map(|_| ()) });
        tasks.spawn(async move {
            let u = StatusUpdate {
                account_id: account,
                wamid,
                status: MessageStatus::Delivered,
                at: at(2),
                error: None,
            };
            s2.apply_status(org, u).await.map(|_| ())
        });
    }
    while let Some(res) = tasks.join_next().await {
        res.expect("task").expect("store call");
    }
    for id in ids {
        let m = store.get_message(org, id).await.expect("message");
        assert_eq!(
            m.status,
            MessageStatus::Delivered,
            "the delivered report was applied"
        );
    }
    let parked: i64 = sqlx::query("SELECT count(*) FROM pending_statuses")
        .fetch_one(store.pool())
        .await
        .expect("count")
        .get(0);
    assert_eq!(parked, 0, "every parked status was consumed");
}
