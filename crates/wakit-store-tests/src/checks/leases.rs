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

/// "Processes" (stores with their own connections) on one database: one claims a job
/// with a long lease; a second starting beside it leaves that lease alone; once the
/// first is gone, a third resumes its lease at once (SQLite: the processes' file locks
/// tell; PostgreSQL: each owner's session advisory lock), and a fourth leaves the live
/// third's lease alone.
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
    // SQLite's flock is gone with the store at once; PostgreSQL ends the session of the
    // dropped owner a moment later, so its lock may take a little while to free up.
    let mut resumed = 0;
    for _ in 0..50 {
        resumed = third.resume_orphaned_leases(at(4)).await.unwrap();
        if resumed > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(resumed, 1, "the gone process's lease is resumed");
    let again = third
        .claim_jobs(&["lease_owner"], 1, long, at(5))
        .await
        .unwrap();
    assert_eq!(again.len(), 1, "claimable at once");
    assert_eq!((again[0].id, again[0].attempts), (id, 2));
    // The job's old lease can no longer finish it.
    let old = claimed[0].lease_token.expect("token");
    assert!(!third.complete_job(id, old).await.unwrap());
    // The new owner is alive: nobody resumes its lease.
    let fourth = ts.open_again().await;
    assert_eq!(fourth.resume_orphaned_leases(at(6)).await.unwrap(), 0);
}
