//! A restarted process resumes the leases of processes that are gone, never a live one's.

use crate::TestStore;
use crate::fixture::at;
use chrono::Duration;
use serde_json::json;
use wakit_store::NewJob;

fn job() -> NewJob {
    NewJob {
        org_id: None,
        kind: "lease_owner".into(),
        payload: json!({}),
        run_at: at(0),
        priority: 0,
    }
}

/// Three "processes" (stores with their own connections) on one database: one claims a
/// job with a long lease; a second starting beside it leaves that lease alone; once both
/// are gone, a third starting alone resumes the lease at once on SQLite (one host, the
/// processes' locks tell), and leaves it to expire on PostgreSQL (replicas are not told
/// apart from dead ones).
pub async fn leases_of_gone_processes_resume_at_start(ts: &TestStore) {
    let long = Duration::minutes(10);
    let first = ts.open_again().await;
    assert_eq!(first.resume_orphaned_leases(at(0)).await.unwrap(), 0);
    let id = first.enqueue_job(job()).await.unwrap();
    let claimed = first
        .claim_jobs(&["lease_owner"], 1, long, at(1))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);

    let second = ts.open_again().await;
    assert_eq!(
        second.resume_orphaned_leases(at(2)).await.unwrap(),
        0,
        "a live process's lease is not resumed"
    );
    assert!(
        second
            .claim_jobs(&["lease_owner"], 1, long, at(3))
            .await
            .unwrap()
            .is_empty(),
        "the live process keeps its job"
    );
    // Registering twice is harmless.
    assert_eq!(second.resume_orphaned_leases(at(3)).await.unwrap(), 0);

    drop(first);
    drop(second);
    let third = ts.open_again().await;
    let resumed = third.resume_orphaned_leases(at(4)).await.unwrap();
    let again = third
        .claim_jobs(&["lease_owner"], 1, long, at(5))
        .await
        .unwrap();
    if ts.url.starts_with("sqlite:") {
        assert_eq!(resumed, 1, "the gone process's lease is resumed");
        assert_eq!(again.len(), 1, "claimable at once");
        assert_eq!((again[0].id, again[0].attempts), (id, 2));
        // The job's old lease can no longer finish it.
        let old = claimed[0].lease_token.expect("token");
        assert!(!third.complete_job(id, old).await.unwrap());
    } else {
        assert_eq!(resumed, 0);
        assert!(again.is_empty(), "the lease runs out at its time");
        let later = third
            .claim_jobs(
                &["lease_owner"],
                1,
                long,
                at(1) + long + Duration::seconds(1),
            )
            .await
            .unwrap();
        assert_eq!(later.len(), 1);
    }
}
