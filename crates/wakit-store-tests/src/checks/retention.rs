//! Retention: pruning keeps the tables bounded, keeps each kind of row for its own
//! time, and never removes unfinished work.
//!
//! Rows are stamped with the database's clock, so checks mark the wall clock between
//! batches of writes (with a short pause on each side, so no row shares a mark's
//! instant) and prune with `now` = a mark + the kept time: the cutoff is that mark.

use chrono::{DateTime, Duration, Utc};
use futures::future::join_all;
use serde_json::json;
use uuid::Uuid;
use wakit_core::{JobId, MessageStatus};
use wakit_store::{
    Idempotency, InboxOutcome, Job, JobState, NewJob, PROCESS_WEBHOOK, PruneReport,
    RetentionPolicy, RetentionTarget as T, SEND_MESSAGE, StatusOutcome, StatusUpdate, Store,
    StoreError,
};

use crate::checks::assert_not_found;
use crate::fixture::Fixture;

const CUSTOMER: &str = "5215512345678";

/// The wall clock, between writes.
async fn mark() -> DateTime<Utc> {
    let pause = std::time::Duration::from_millis(5);
    tokio::time::sleep(pause).await;
    let now = Utc::now();
    tokio::time::sleep(pause).await;
    now
}

async fn claim(store: &dyn Store, kind: &str, n: u32) -> Vec<Job> {
    store
        .claim_jobs(&[kind], n, Duration::seconds(30), Utc::now())
        .await
        .unwrap()
}

fn new_job(kind: &str, run_at: DateTime<Utc>) -> NewJob {
    NewJob {
        org_id: None,
        kind: kind.into(),
        payload: json!({}),
        run_at,
        priority: 0,
    }
}

/// Queues a job of `kind`, claims it and completes it (`error = None`) or gives it up.
async fn run_job(store: &dyn Store, kind: &str, error: Option<&str>) -> JobId {
    let id = store
        .enqueue_job(new_job(kind, Utc::now() - Duration::seconds(1)))
        .await
        .unwrap();
    let job = claim(store, kind, 1).await.pop().expect("claimed");
    let token = job.lease_token.expect("leased");
    match error {
        None => assert!(store.complete_job(id, token).await.unwrap()),
        Some(e) => assert_eq!(
            store.fail_job(id, token, e, None).await.unwrap(),
            Some(JobState::Dead)
        ),
    }
    id
}

/// Work not finished, to be created before everything else (older than every cutoff).
struct Unfinished {
    queued: JobId,
    running: JobId,
    pending_inbox: Uuid,
}

impl Unfinished {
    async fn new(store: &dyn Store) -> Unfinished {
        let queued = store
            .enqueue_job(new_job("retention.later", Utc::now() + Duration::days(365)))
            .await
            .unwrap();
        let pending = store
            .inbox_put(b"{\"unprocessed\":true}", None, Utc::now())
            .await
            .unwrap();
        // Its processing job, leased for longer than the check runs.
        let running = store
            .claim_jobs(&[PROCESS_WEBHOOK], 1, Duration::days(365), Utc::now())
            .await
            .unwrap();
        assert_eq!(running.len(), 1);
        Unfinished {
            queued,
            running: running[0].id,
            pending_inbox: pending.id,
        }
    }

    async fn assert_kept(&self, store: &dyn Store) {
        let state = |id| async move { store.get_job(id).await.unwrap().state };
        assert_eq!(state(self.queued).await, JobState::Queued);
        assert_eq!(state(self.running).await, JobState::Running);
        let inbox = store.inbox_get(self.pending_inbox).await.unwrap();
        assert_eq!(inbox.state, "pending");
    }
}

/// What one cycle of traffic stored.
struct Cycle {
    /// Before any of its rows.
    start: DateTime<Utc>,
    jobs: Vec<JobId>,
    inbox: [Uuid; 2],
    key: String,
}

/// One cycle: a message in, a send under an idempotency key (its job run), a job done
/// and one dead, a webhook body processed and one failing, a status for an unknown
/// wamid.
async fn cycle(f: &Fixture<'_>, i: usize) -> Cycle {
    let store = f.store;
    let start = mark().await;
    f.receive_a(CUSTOMER, &format!("wamid.in.{i}"), 0, "hola")
        .await;
    let key = format!("k-{i}");
    let mut send = Fixture::outgoing(f.acct_a.id, CUSTOMER, 0, "hola");
    send.idempotency = Some(Idempotency {
        key: key.clone(),
        request_hash: "h".into(),
    });
    store.enqueue_outgoing(f.org_a, send).await.unwrap();
    let mut jobs = Vec::new();
    for job in claim(store, SEND_MESSAGE, 10).await {
        assert!(
            store
                .complete_job(job.id, job.lease_token.unwrap())
                .await
                .unwrap()
        );
        jobs.push(job.id);
    }
    jobs.push(run_job(store, "retention.done", None).await);
    jobs.push(run_job(store, "retention.dead", Some("gave up")).await);

    let ok = store
        .inbox_put(format!("{{\"ok\":{i}}}").as_bytes(), None, Utc::now())
        .await
        .unwrap();
    let bad = store
        .inbox_put(format!("{{\"bad\":{i}}}").as_bytes(), None, Utc::now())
        .await
        .unwrap();
    let processing = claim(store, PROCESS_WEBHOOK, 10).await;
    let leases: Vec<_> = processing
        .iter()
        .map(|j| (j.id, j.lease_token.unwrap()))
        .collect();
    let outcomes = [
        (ok.id, InboxOutcome::Done),
        // Ignored bodies (kept for a replay) are kept and pruned as failed ones are.
        (
            bad.id,
            match i % 2 {
                0 => InboxOutcome::Failed("number not connected".into()),
                _ => InboxOutcome::Ignored("ignored: field calls".into()),
            },
        ),
    ];
    let finished = store
        .inbox_finish_batch(&outcomes, &leases, Utc::now())
        .await
        .unwrap();
    assert_eq!(finished, vec![true, true]);
    jobs.extend(leases.iter().map(|(id, _)| *id));

    let early = StatusUpdate {
        account_id: f.acct_a.id,
        wamid: format!("wamid.out.{i}"),
        status: MessageStatus::Delivered,
        at: Utc::now(),
        error: None,
    };
    let outcome = store.apply_status(f.org_a, early).await.unwrap();
    assert_eq!(outcome, StatusOutcome::Deferred);
    Cycle {
        start,
        jobs,
        inbox: [ok.id, bad.id],
        key,
    }
}

/// Whether every row of `c` is still stored (`true`) or every one is gone (`false`).
async fn assert_stored(f: &Fixture<'_>, c: &Cycle, stored: bool) {
    let store = f.store;
    for id in &c.jobs {
        let r = store.get_job(*id).await;
        if stored {
            r.unwrap();
        } else {
            assert_not_found(r, "a pruned job");
        }
    }
    let found = store.inbox_get_batch(&c.inbox).await.unwrap();
    assert_eq!(found.len(), if stored { 2 } else { 0 });
    let ever = Utc::now() - Duration::days(3650);
    let key = store.find_idempotent(f.org_a, &c.key, ever).await.unwrap();
    assert_eq!(key.is_some(), stored, "idempotency key {}", c.key);
}

/// The same time for everything, so one mark is every target's cutoff.
fn uniform(keep: Duration) -> RetentionPolicy {
    RetentionPolicy {
        events: keep,
        finished_jobs: keep,
        dead_jobs: keep,
        processed_inbox: keep,
        failed_inbox: keep,
        pending_statuses: keep,
        idempotency_keys: keep,
        webhook_deliveries: keep,
        // Small batches: every prune goes round the batching loop several times.
        batch_size: 3,
        ..RetentionPolicy::default()
    }
}

/// Twenty cycles of traffic, each followed by a prune whose cutoff is the start of the
/// previous cycle: after each, exactly the last two cycles' rows are stored (the tables
/// do not grow with cycles), each prune deletes what one cycle added, and unfinished
/// work older than every cutoff stays.
pub async fn tables_stay_bounded_across_prune_cycles(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let unfinished = Unfinished::new(store).await;
    let keep = Duration::hours(24);
    let policy = uniform(keep);
    let mut cycles: Vec<Cycle> = Vec::new();
    let mut steady_events = None;
    for i in 0..20 {
        cycles.push(cycle(&f, i).await);
        let Some(previous) = i.checked_sub(1).map(|p| &cycles[p]) else {
            continue;
        };
        let before = store.events_after(f.org_a, 0, 10_000).await.unwrap();
        let report = store.prune(&policy, previous.start + keep).await.unwrap();
        assert!(report.complete, "{report:?}");
        let after = store.events_after(f.org_a, 0, 10_000).await.unwrap();
        let expected: Vec<i64> = before
            .iter()
            .filter(|e| e.created_at >= previous.start)
            .map(|e| e.seq)
            .collect();
        assert_eq!(after.iter().map(|e| e.seq).collect::<Vec<_>>(), expected);
        assert_eq!(
            report.deleted(T::Events),
            (before.len() - after.len()) as u64
        );
        unfinished.assert_kept(store).await;
        assert_stored(&f, previous, true).await;
        assert_stored(&f, &cycles[i], true).await;
        let Some(pruned) = i.checked_sub(2).map(|p| &cycles[p]) else {
            continue;
        };
        assert_stored(&f, pruned, false).await;
        let per_cycle = [
            (T::FinishedJobs, 4),
            (T::DeadJobs, 1),
            (T::ProcessedInbox, 1),
            (T::FailedInbox, 1),
            (T::PendingStatuses, 1),
            (T::IdempotencyKeys, 1),
        ];
        for (target, n) in per_cycle {
            assert_eq!(report.deleted(target), n, "cycle {i}: {target:?}");
        }
        // From the third cycle on, the events stored stay the same in number.
        assert_eq!(*steady_events.get_or_insert(after.len()), after.len());
    }

    // The last prune removed the status of cycle 17 and kept cycle 18's: a send that
    // gets their wamids now finds only the kept one.
    for (wamid, status) in [
        ("wamid.out.17", MessageStatus::Sent),
        ("wamid.out.18", MessageStatus::Delivered),
    ] {
        let out = Fixture::outgoing(f.acct_a.id, CUSTOMER, 0, "later");
        let sent = store.enqueue_outgoing(f.org_a, out).await.unwrap();
        store
            .mark_sent(f.org_a, sent.message.id, wamid, Utc::now())
            .await
            .unwrap();
        let m = store.get_message(f.org_a, sent.message.id).await.unwrap();
        assert_eq!(m.status, status, "{wamid}");
    }
}

/// With the default policy, each kind of row goes after its own time (idempotency keys
/// after 24 h, events after 72 h, finished work and pending statuses after 7 days, dead
/// work after 30 days), unfinished work never, and sequence numbers are not reused.
pub async fn each_kind_is_kept_for_its_own_time(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let unfinished = Unfinished::new(store).await;
    let c = cycle(&f, 0).await;
    let end = mark().await;
    let last_seq = store.events_after(f.org_a, 0, 1000).await.unwrap();
    let last_seq = last_seq.last().expect("events").seq;
    let policy = RetentionPolicy::default();
    let prune = |days: i64, hours: i64| async move {
        let now = end + Duration::days(days) + Duration::hours(hours);
        let report = store.prune(&policy, now).await.unwrap();
        assert!(report.complete);
        report
    };
    let counts = |r: &PruneReport| r.counts().filter(|(_, n)| *n > 0).collect::<Vec<_>>();

    assert_eq!(
        prune(0, 23).await.total(),
        0,
        "everything is inside its window"
    );
    assert_eq!(counts(&prune(1, 0).await), vec![(T::IdempotencyKeys, 1)]);
    assert_eq!(
        store
            .find_idempotent(f.org_a, &c.key, c.start)
            .await
            .unwrap(),
        None
    );
    let events = prune(3, 0).await.deleted(T::Events);
    assert!(events >= 2, "the message events: {events}");
    assert!(
        store
            .events_after(f.org_a, 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(prune(6, 23).await.total(), 0);
    assert_eq!(
        counts(&prune(7, 0).await),
        vec![
            (T::FinishedJobs, 4),
            (T::ProcessedInbox, 1),
            (T::PendingStatuses, 1)
        ]
    );
    assert_eq!(prune(29, 23).await.total(), 0);
    assert_eq!(
        counts(&prune(30, 0).await),
        vec![(T::DeadJobs, 1), (T::FailedInbox, 1)]
    );
    assert_stored(&f, &c, false).await;
    assert_eq!(prune(3650, 0).await.total(), 0);
    unfinished.assert_kept(store).await;

    // A reader's cursor stays valid: new events come after every pruned one.
    f.receive_a(CUSTOMER, "wamid.after", 0, "hola").await;
    let new = store.events_after(f.org_a, last_seq, 100).await.unwrap();
    assert!(!new.is_empty() && new.iter().all(|e| e.seq > last_seq));

    for bad in [
        RetentionPolicy {
            events: Duration::zero(),
            ..policy
        },
        RetentionPolicy {
            idempotency_keys: Duration::hours(1),
            ..policy
        },
    ] {
        match store.prune(&bad, end).await {
            Err(StoreError::Other(_)) => {}
            other => panic!("an invalid policy must be refused, got {other:?}"),
        }
    }
}

/// A prune stops at its cap and says so; the next ones finish, and prunes running at
/// once delete each row once.
pub async fn prunes_are_capped_and_safe_to_run_at_once(store: &dyn Store) {
    for _ in 0..25 {
        store
            .enqueue_job(new_job(
                "retention.batch",
                Utc::now() - Duration::seconds(1),
            ))
            .await
            .unwrap();
    }
    for job in claim(store, "retention.batch", 25).await {
        assert!(
            store
                .complete_job(job.id, job.lease_token.unwrap())
                .await
                .unwrap()
        );
    }
    let now = mark().await + Duration::days(8);
    let capped = RetentionPolicy {
        batch_size: 4,
        max_rows_per_call: 10,
        ..RetentionPolicy::default()
    };
    let first = store.prune(&capped, now).await.unwrap();
    assert_eq!(
        (first.deleted(T::FinishedJobs), first.complete),
        (10, false)
    );

    let policy = RetentionPolicy {
        batch_size: 2,
        ..RetentionPolicy::default()
    };
    let racing = join_all((0..3).map(|_| store.prune(&policy, now))).await;
    let mut deleted = 0;
    for r in racing {
        let r = r.unwrap();
        assert!(r.complete);
        deleted += r.deleted(T::FinishedJobs);
    }
    assert_eq!(deleted, 15, "each of the other 15 rows deleted once");
    assert_eq!(store.prune(&policy, now).await.unwrap().total(), 0);
}
