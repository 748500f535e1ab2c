//! Send attempts, deferred jobs and what wakit records about a number.

use crate::checks::assert_not_found;
use crate::fixture::{Fixture, at, new_account, secret_box};
use chrono::Duration;
use serde_json::json;
use wakit_core::MessageStatus;
use wakit_store::{DispatchStart, JobState, NewJob, Store};

/// An attempt marker makes a second pick-up see an interrupted send (never a fresh
/// one); a definite refusal clears it; a sent message is done.
pub async fn dispatch_marks_attempts_and_never_reopens_a_sent_message(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let out = store
        .enqueue_outgoing(
            f.org_a,
            Fixture::outgoing(f.acct_a.id, "5215512345678", 0, "hola"),
        )
        .await
        .unwrap();
    let id = out.message.id;

    let first = store.begin_dispatch(f.org_a, id, at(1)).await.unwrap();
    assert!(matches!(first, DispatchStart::Send(ref m) if m.id == id));
    match store.begin_dispatch(f.org_a, id, at(2)).await.unwrap() {
        DispatchStart::Interrupted { message, since } => {
            assert_eq!((message.id, since), (id, at(1)));
        }
        other => panic!("second pick-up must be Interrupted, got {other:?}"),
    }

    store.end_dispatch(f.org_a, id).await.unwrap();
    assert!(matches!(
        store.begin_dispatch(f.org_a, id, at(3)).await.unwrap(),
        DispatchStart::Send(_)
    ));

    store
        .mark_sent(f.org_a, id, "wamid.dispatch-1", at(4))
        .await
        .unwrap();
    match store.begin_dispatch(f.org_a, id, at(5)).await.unwrap() {
        DispatchStart::Done(m) => assert_eq!(m.status, MessageStatus::Sent),
        other => panic!("a sent message is Done, got {other:?}"),
    }

    // Incoming messages are never dispatched; another org's message does not exist.
    let inbound = f.receive_a("5215512345678", "wamid.in-1", 0, "hi").await;
    assert!(matches!(
        store
            .begin_dispatch(f.org_a, inbound.message_id, at(6))
            .await
            .unwrap(),
        DispatchStart::Done(_)
    ));
    assert_not_found(
        store.begin_dispatch(f.org_b, id, at(7)).await,
        "begin_dispatch of another org's message",
    );
    assert_not_found(
        store.end_dispatch(f.org_b, id).await,
        "end_dispatch of another org's message",
    );
}

/// A deferred job goes back to the queue until its new time without spending an attempt.
pub async fn deferred_jobs_wait_without_spending_attempts(store: &dyn Store) {
    let id = store
        .enqueue_job(NewJob {
            org_id: None,
            kind: "defer".into(),
            payload: json!({}),
            run_at: at(0),
            priority: 1,
        })
        .await
        .unwrap();
    let lease = Duration::seconds(30);
    let claimed = store.claim_jobs(&["defer"], 5, lease, at(1)).await.unwrap();
    let token = claimed[0].lease_token.expect("token");
    assert!(store.defer_job(id, token, at(10)).await.unwrap());
    assert!(
        !store.defer_job(id, token, at(10)).await.unwrap(),
        "a deferred job's lease is gone"
    );
    assert!(
        store
            .claim_jobs(&["defer"], 5, lease, at(9))
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_jobs(&["defer"], 5, lease, at(10))
        .await
        .unwrap();
    assert_eq!((again[0].id, again[0].attempts), (id, 1));
}

/// Health records, pacing settings and token replacement stay with the number and its org.
pub async fn account_health_and_settings_are_recorded(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let (org, acct) = (f.org_a, f.acct_a.id);
    assert_eq!(store.get_account(org, acct).await.unwrap(), f.acct_a);
    assert!(f.acct_a.health.is_empty() && f.acct_a.max_mps.is_none());

    let quality = json!({"quality": "YELLOW", "at": "2026-11-24T10:00:00Z"});
    store
        .record_account_health(org, acct, "quality", quality.clone())
        .await
        .unwrap();
    store
        .record_account_health(org, acct, "token", json!({"status": "error", "code": 190}))
        .await
        .unwrap();
    let a = store.get_account(org, acct).await.unwrap();
    assert_eq!(a.health.get("quality"), Some(&quality));
    assert!(a.token_invalid());

    let a = store
        .set_account_max_mps(org, acct, Some(250))
        .await
        .unwrap();
    assert_eq!(a.max_mps, Some(250));
    assert_eq!(
        a.health.get("quality"),
        Some(&quality),
        "settings keep health"
    );
    let listed = store.list_accounts(org).await.unwrap();
    assert_eq!(listed[0].max_mps, Some(250));
    let by_waba = store.accounts_by_waba(&f.acct_a.waba_id).await.unwrap();
    assert_eq!(by_waba.iter().map(|a| a.id).collect::<Vec<_>>(), [acct]);
    assert!(
        store
            .accounts_by_waba("no-such-waba")
            .await
            .unwrap()
            .is_empty()
    );

    let pnid = &f.acct_a.phone_number_id;
    store
        .replace_account_token(org, acct, secret_box().seal("EAAG-new", pnid))
        .await
        .unwrap();
    let a = store.get_account(org, acct).await.unwrap();
    assert!(!a.token_invalid(), "a new token clears the token error");
    let sealed = store.account_token(org, acct).await.unwrap();
    assert_eq!(secret_box().open(&sealed, pnid).unwrap(), "EAAG-new");
    assert_eq!(
        store
            .set_account_max_mps(org, acct, None)
            .await
            .unwrap()
            .max_mps,
        None
    );

    // Org B can neither read nor change org A's number.
    let b = f.org_b;
    assert_not_found(store.get_account(b, acct).await, "get_account");
    assert_not_found(
        store.set_account_max_mps(b, acct, Some(5)).await,
        "set_account_max_mps",
    );
    assert_not_found(
        store
            .record_account_health(b, acct, "quality", json!({}))
            .await,
        "record_account_health",
    );
    assert_not_found(
        store
            .replace_account_token(b, acct, secret_box().seal("x", pnid))
            .await,
        "replace_account_token",
    );
    let other = store
        .add_account(b, new_account("15550001111", &format!("{pnid}-b2")))
        .await
        .unwrap();
    assert!(
        store
            .get_account(b, other.id)
            .await
            .unwrap()
            .health
            .is_empty()
    );
}

/// The batch forms give one answer per item, in order, and a bad item spoils nothing else.
pub async fn dispatch_batches_answer_per_item(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let (org, acct) = (f.org_a, f.acct_a.id);
    let mut msgs = Vec::new();
    for i in 0..3 {
        let out = Fixture::outgoing(acct, "5215512345678", i, &format!("m{i}"));
        msgs.push(store.enqueue_outgoing(org, out).await.unwrap());
    }
    let stranger = wakit_core::MessageId::new();
    let items = [
        (org, msgs[0].message.id),
        (org, stranger),
        (f.org_b, msgs[1].message.id),
        (org, msgs[1].message.id),
        (org, msgs[2].message.id),
        (org, msgs[2].message.id),
    ];
    let started = store.begin_dispatch_many(&items, at(5)).await.unwrap();
    assert_eq!(started.len(), 6);
    assert!(matches!(started[0], Ok(DispatchStart::Send(_))));
    assert!(matches!(
        started[1],
        Err(wakit_store::StoreError::NotFound(_))
    ));
    assert!(matches!(
        started[2],
        Err(wakit_store::StoreError::NotFound(_))
    ));
    assert!(matches!(started[3], Ok(DispatchStart::Send(_))));
    assert!(matches!(started[4], Ok(DispatchStart::Send(_))));
    assert!(
        matches!(started[5], Ok(DispatchStart::Interrupted { since, .. }) if since == at(5)),
        "named twice: the second finds the first's attempt: {:?}",
        started[5]
    );

    let jobs = store
        .claim_jobs(
            &[wakit_store::SEND_MESSAGE],
            10,
            Duration::seconds(60),
            at(10),
        )
        .await
        .unwrap();
    assert_eq!(jobs.len(), 3);
    let job_of = |id| {
        let j = jobs
            .iter()
            .find(|j| j.id == msgs.iter().find(|m| m.message.id == id).unwrap().job_id)
            .unwrap();
        (j.id, j.lease_token.unwrap())
    };
    let accepted = |i: usize, wamid: &str| {
        let (job, lease_token) = job_of(msgs[i].message.id);
        wakit_store::SendAccepted {
            org,
            message: msgs[i].message.id,
            wamid: wamid.into(),
            at: at(11),
            job,
            lease_token,
        }
    };
    // Meta's report for one of them came first: it is kept, and applied by the send.
    let early = wakit_store::StatusUpdate {
        account_id: acct,
        wamid: "wamid.b2".into(),
        status: MessageStatus::Delivered,
        at: at(12),
        error: None,
    };
    let deferred = store.apply_status(org, early).await.unwrap();
    assert_eq!(deferred, wakit_store::StatusOutcome::Deferred);
    let elsewhere = wakit_store::SendAccepted {
        org: f.org_b,
        ..accepted(0, "wamid.bx")
    };
    let done = store
        .finish_sends(&[
            accepted(0, "wamid.b0"),
            accepted(1, "wamid.b0"),
            elsewhere,
            accepted(2, "wamid.b2"),
        ])
        .await
        .unwrap();
    assert!(done[0].is_ok() && done[3].is_ok(), "{done:?}");
    assert!(
        matches!(done[1], Err(wakit_store::StoreError::Conflict(_))),
        "a wamid already taken is refused for that item only: {done:?}"
    );
    assert!(
        matches!(done[2], Err(wakit_store::StoreError::NotFound(_))),
        "another org's message: {done:?}"
    );
    for (i, status) in [
        (0, MessageStatus::Sent),
        (1, MessageStatus::Pending),
        (2, MessageStatus::Delivered),
    ] {
        let m = store.get_message(org, msgs[i].message.id).await.unwrap();
        assert_eq!(m.status, status, "message {i}");
        let job = store.get_job(msgs[i].job_id).await.unwrap();
        let expect = if i == 1 {
            JobState::Running
        } else {
            JobState::Done
        };
        assert_eq!(job.state, expect, "job {i}");
    }
}
