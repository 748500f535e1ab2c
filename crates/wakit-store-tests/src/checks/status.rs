//! Outgoing status: monotonic, deferred for unknown wamids, errors kept.

use crate::fixture::{Fixture, at};
use serde_json::json;
use wakit_core::{MessageId, MessageStatus};
use wakit_store::{ConflictKey, StatusOutcome, StatusUpdate, Store, StoreError};

async fn sent_message(f: &Fixture<'_>, wamid: &str) -> MessageId {
    let e = f
        .store
        .enqueue_outgoing(
            f.org_a,
            Fixture::outgoing(f.acct_a.id, "5215551234567", 0, "hola"),
        )
        .await
        .unwrap();
    assert_eq!(e.message.status, MessageStatus::Pending);
    f.store
        .mark_sent(f.org_a, e.message.id, wamid, at(1))
        .await
        .unwrap();
    e.message.id
}

fn update(f: &Fixture<'_>, wamid: &str, status: MessageStatus, secs: i64) -> StatusUpdate {
    StatusUpdate {
        account_id: f.acct_a.id,
        wamid: wamid.to_string(),
        status,
        at: at(secs),
        error: None,
    }
}

/// Shuffled and duplicated status sequences end in the highest status, never lower.
pub async fn statuses_are_monotonic_in_any_order(store: &dyn Store) {
    use MessageStatus::*;
    let f = Fixture::new(store).await;
    let sequences: [&[MessageStatus]; 5] = [
        &[Sent, Delivered, Read],
        &[Read, Delivered, Sent],
        &[Delivered, Sent, Delivered, Read, Sent],
        &[Sent, Read],
        &[Delivered, Delivered, Sent],
    ];
    let expected = [Read, Read, Read, Read, Delivered];
    for (i, seq) in sequences.iter().enumerate() {
        let wamid = format!("wamid.mono.{i}");
        let id = sent_message(&f, &wamid).await;
        let mut highest = Sent;
        for (j, s) in seq.iter().enumerate() {
            let out = store
                .apply_status(f.org_a, update(&f, &wamid, *s, 10 + j as i64))
                .await
                .unwrap();
            let now = store.get_message(f.org_a, id).await.unwrap().status;
            assert!(now >= highest, "status went backwards: {highest} -> {now}");
            match out {
                StatusOutcome::Applied { status, .. } => assert!(status > highest),
                StatusOutcome::Unchanged { status, .. } => assert_eq!(status, highest),
                StatusOutcome::Deferred => panic!("known wamid deferred"),
            }
            highest = now;
        }
        let m = store.get_message(f.org_a, id).await.unwrap();
        assert_eq!(m.status, expected[i], "sequence {seq:?}");
        assert!(
            m.status_history.0.contains_key(&Pending) && m.status_history.0.contains_key(&Sent)
        );
        for s in seq.iter() {
            assert!(m.status_history.0.contains_key(s), "history keeps {s}");
        }
    }
}

/// A status that arrives before the send response is kept and applied once the wamid is known.
pub async fn status_before_send_response_is_applied_later(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let e = store
        .enqueue_outgoing(
            f.org_a,
            Fixture::outgoing(f.acct_a.id, "5215551234567", 0, "hola"),
        )
        .await
        .unwrap();
    let early = store
        .apply_status(
            f.org_a,
            update(&f, "wamid.early", MessageStatus::Delivered, 3),
        )
        .await
        .unwrap();
    assert_eq!(early, StatusOutcome::Deferred);
    assert_eq!(
        store
            .get_message(f.org_a, e.message.id)
            .await
            .unwrap()
            .status,
        MessageStatus::Pending
    );

    let out = store
        .mark_sent(f.org_a, e.message.id, "wamid.early", at(2))
        .await
        .unwrap();
    assert!(
        matches!(
            out,
            StatusOutcome::Applied {
                status: MessageStatus::Delivered,
                ..
            }
        ),
        "{out:?}"
    );
    let m = store.get_message(f.org_a, e.message.id).await.unwrap();
    assert_eq!(m.status, MessageStatus::Delivered);
    assert_eq!(m.external_id.as_deref(), Some("wamid.early"));
    assert_eq!(
        m.status_history.0.get(&MessageStatus::Delivered),
        Some(&at(3))
    );

    // Applied once: a second message later given the same wamid is a conflict, not a re-apply.
    let other = store
        .enqueue_outgoing(
            f.org_a,
            Fixture::outgoing(f.acct_a.id, "5215551234567", 5, "otra"),
        )
        .await
        .unwrap();
    let dup = store
        .mark_sent(f.org_a, other.message.id, "wamid.early", at(6))
        .await;
    assert!(
        matches!(dup, Err(StoreError::Conflict(ConflictKey::Wamid))),
        "{dup:?}"
    );
    assert_eq!(
        store
            .get_message(f.org_a, other.message.id)
            .await
            .unwrap()
            .status,
        MessageStatus::Pending
    );
}

/// A failed status keeps Meta's error; a send wakit gives up on keeps its reason.
pub async fn failures_keep_the_error(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let id = sent_message(&f, "wamid.fail").await;
    let error = json!([{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message"}]);
    let mut u = update(&f, "wamid.fail", MessageStatus::Failed, 5);
    u.error = Some(error.clone());
    let out = store.apply_status(f.org_a, u).await.unwrap();
    assert!(matches!(
        out,
        StatusOutcome::Applied {
            status: MessageStatus::Failed,
            ..
        }
    ));
    let m = store.get_message(f.org_a, id).await.unwrap();
    assert_eq!((m.status, m.error), (MessageStatus::Failed, Some(error)));
    // A late `sent` does not resurrect it.
    store
        .apply_status(f.org_a, update(&f, "wamid.fail", MessageStatus::Sent, 6))
        .await
        .unwrap();
    assert_eq!(
        store.get_message(f.org_a, id).await.unwrap().status,
        MessageStatus::Failed
    );

    let e = store
        .enqueue_outgoing(
            f.org_a,
            Fixture::outgoing(f.acct_a.id, "5215551234567", 0, "x"),
        )
        .await
        .unwrap();
    let reason =
        json!({"code": "unknown_fate", "message": "send interrupted; Meta never confirmed"});
    store
        .mark_failed(f.org_a, e.message.id, reason.clone(), at(9))
        .await
        .unwrap();
    let m = store.get_message(f.org_a, e.message.id).await.unwrap();
    assert_eq!((m.status, m.error), (MessageStatus::Failed, Some(reason)));
    assert!(m.external_id.is_none());
}
