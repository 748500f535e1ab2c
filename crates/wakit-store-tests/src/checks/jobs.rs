//! The lease-based job queue.

use crate::fixture::{Fixture, at};
use chrono::Duration;
use futures::future::join_all;
use serde_json::json;
use std::collections::HashSet;
use wakit_store::{JobState, NewJob, Priority, Store};

fn job(kind: &str, secs: i64, priority: i16) -> NewJob {
    NewJob {
        org_id: None,
        kind: kind.into(),
        payload: json!({"n": secs}),
        run_at: at(secs),
        priority,
    }
}

/// N concurrent claimers get N disjoint sets of jobs; no job is handed out twice.
pub async fn concurrent_claims_never_share_a_job(store: &dyn Store) {
    for i in 0..60 {
        store.enqueue_job(job("test", i % 5, 0)).await.unwrap();
    }
    store.enqueue_job(job("other_kind", 0, 0)).await.unwrap();
    let now = at(100);
    let mut claimed = Vec::new();
    for _round in 0..20 {
        let batch =
            join_all((0..8).map(|_| store.claim_jobs(&["test"], 3, Duration::seconds(60), now)))
                .await;
        let got: Vec<_> = batch.into_iter().flat_map(|r| r.unwrap()).collect();
        if got.is_empty() {
            break;
        }
        claimed.extend(got);
    }
    let ids: HashSet<_> = claimed.iter().map(|j| j.id).collect();
    assert_eq!(claimed.len(), 60, "every job claimed");
    assert_eq!(ids.len(), 60, "no job claimed twice");
    assert!(
        claimed
            .iter()
            .all(|j| j.kind == "test" && j.state == JobState::Running && j.attempts == 1)
    );
    let tokens: HashSet<_> = claimed.iter().map(|j| j.lease_token).collect();
    assert_eq!(tokens.len(), 60, "each lease has its own token");
}

/// A job whose lease expires goes back to the queue; the old lease can no longer finish it.
pub async fn expired_lease_returns_job_to_queue(store: &dyn Store) {
    let id = store.enqueue_job(job("lease", 0, 0)).await.unwrap();
    let first = store
        .claim_jobs(&["lease"], 10, Duration::seconds(30), at(1))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    let old_token = first[0].lease_token.expect("token");
    assert!(
        store
            .claim_jobs(&["lease"], 10, Duration::seconds(30), at(20))
            .await
            .unwrap()
            .is_empty(),
        "lease still held"
    );

    let second = store
        .claim_jobs(&["lease"], 10, Duration::seconds(30), at(32))
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!((second[0].id, second[0].attempts), (id, 2));
    let new_token = second[0].lease_token.expect("token");
    assert_ne!(old_token, new_token);

    assert!(
        !store.complete_job(id, old_token).await.unwrap(),
        "stale lease cannot complete"
    );
    assert_eq!(
        store.fail_job(id, old_token, "late", None).await.unwrap(),
        None,
        "stale lease cannot fail"
    );
    assert!(store.complete_job(id, new_token).await.unwrap());
    let done = store.get_job(id).await.unwrap();
    assert_eq!(done.state, JobState::Done);
    assert!(
        store
            .claim_jobs(&["lease"], 10, Duration::seconds(30), at(1000))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Retries wait for their time; giving up keeps the job and its error.
pub async fn failed_jobs_retry_then_dead_letter(store: &dyn Store) {
    let id = store.enqueue_job(job("flaky", 0, 0)).await.unwrap();
    let j = store
        .claim_jobs(&["flaky"], 1, Duration::seconds(30), at(1))
        .await
        .unwrap()
        .remove(0);
    let state = store
        .fail_job(
            id,
            j.lease_token.expect("token"),
            "meta 131000, retrying",
            Some(at(60)),
        )
        .await
        .unwrap();
    assert_eq!(state, Some(JobState::Queued));
    assert!(
        store
            .claim_jobs(&["flaky"], 1, Duration::seconds(30), at(59))
            .await
            .unwrap()
            .is_empty(),
        "not before retry time"
    );
    let j = store
        .claim_jobs(&["flaky"], 1, Duration::seconds(30), at(61))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(j.attempts, 2);
    assert_eq!(j.last_error.as_deref(), Some("meta 131000, retrying"));

    let state = store
        .fail_job(
            id,
            j.lease_token.expect("token"),
            "meta 131026: undeliverable",
            None,
        )
        .await
        .unwrap();
    assert_eq!(state, Some(JobState::Dead));
    let dead = store.get_job(id).await.unwrap();
    assert_eq!(
        (dead.state, dead.last_error.as_deref(), dead.attempts),
        (JobState::Dead, Some("meta 131026: undeliverable"), 2)
    );
    assert_eq!(dead.payload, json!({"n": 0}));
    assert!(
        store
            .claim_jobs(&["flaky"], 1, Duration::seconds(30), at(10_000))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Higher priority first, then oldest; future jobs wait; sends are queued with their message.
pub async fn claims_follow_priority_and_schedule(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let low = store
        .enqueue_job(job("p", 0, Priority::Bulk.value()))
        .await
        .unwrap();
    let high = store
        .enqueue_job(job("p", 5, Priority::Interactive.value()))
        .await
        .unwrap();
    let future = store
        .enqueue_job(job("p", 500, Priority::Interactive.value()))
        .await
        .unwrap();
    let first = store
        .claim_jobs(&["p"], 1, Duration::seconds(30), at(10))
        .await
        .unwrap();
    assert_eq!(first[0].id, high);
    let second = store
        .claim_jobs(&["p"], 5, Duration::seconds(30), at(10))
        .await
        .unwrap();
    assert_eq!(
        second.iter().map(|j| j.id).collect::<Vec<_>>(),
        [low],
        "future job waits"
    );
    for j in first.iter().chain(&second) {
        assert!(
            store
                .complete_job(j.id, j.lease_token.expect("token"))
                .await
                .unwrap()
        );
    }
    let got = store
        .claim_jobs(&["p"], 5, Duration::seconds(30), at(501))
        .await
        .unwrap();
    assert_eq!(got[0].id, future);

    let mut out = Fixture::outgoing(f.acct_a.id, "15557778888", 300, "scheduled");
    out.priority = Priority::Interactive;
    let e = store.enqueue_outgoing(f.org_a, out).await.unwrap();
    let queued = store.get_job(e.job_id).await.unwrap();
    assert_eq!(queued.kind, "send_message");
    assert_eq!(queued.org_id, Some(f.org_a));
    assert_eq!(queued.run_at, at(300));
    assert_eq!(queued.priority, Priority::Interactive.value());
    assert_eq!(
        queued.payload["message_id"],
        json!(e.message.id.to_string())
    );
    assert!(
        store
            .claim_jobs(&["send_message"], 5, Duration::seconds(30), at(299))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .claim_jobs(&["send_message"], 5, Duration::seconds(30), at(300))
            .await
            .unwrap()
            .len(),
        1
    );
}

/// A worker waiting for jobs wakes when one is queued, long before its poll timeout:
/// through LISTEN/NOTIFY on PostgreSQL, on the writer's commit on SQLite.
pub async fn queued_jobs_wake_waiting_workers(store: &dyn Store) {
    use std::time::Duration as StdDuration;
    // The listener starts on first use; a round whose notification came before it
    // listened just fails that round. A woken round ends long before the 30 s poll.
    for _ in 0..10 {
        let wait = store.wait_for_jobs(StdDuration::from_secs(30));
        let poke = async {
            tokio::time::sleep(StdDuration::from_millis(200)).await;
            store
                .enqueue_job(NewJob {
                    org_id: None,
                    kind: "wake_test".into(),
                    payload: json!({}),
                    run_at: chrono::Utc::now(),
                    priority: Priority::Normal.value(),
                })
                .await
                .unwrap();
        };
        let both = async { tokio::join!(wait, poke) };
        if tokio::time::timeout(StdDuration::from_secs(10), both)
            .await
            .is_ok()
        {
            return;
        }
    }
    panic!("no waiting worker was woken by a queued job");
}
