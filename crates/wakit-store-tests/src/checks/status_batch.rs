//! Batched statuses are one-by-one statuses in one transaction: the same outcomes, rows,
//! events and parked reports, whatever the batch mixes (several reports for one wamid
//! in any order, duplicates, failures with errors, unknown wamids), and never across
//! tenants.

use crate::checks::assert_not_found;
use crate::fixture::{Fixture, at};
use serde_json::json;
use std::collections::HashMap;
use wakit_core::{AccountId, MessageId, MessageStatus, OrgId};
use wakit_store::{StatusOutcome, StatusUpdate, Store};

use MessageStatus::*;

/// The scenario's messages: sent with a wamid before the batch, except `b.3`, whose
/// wamid is not known until after it.
const WAMIDS: [&str; 4] = ["b.1", "b.2", "b.3", "b.4"];

/// `(wamid, status, secs, with Meta's error)` of each report, in order.
const REPORTS: &[(&str, MessageStatus, i64, bool)] = &[
    ("b.1", Delivered, 10, false),
    ("b.2", Failed, 13, true),
    ("b.3", Delivered, 15, false),
    ("b.1", Read, 12, false),
    ("b.4", Read, 17, false),
    ("b.1", Sent, 9, false),
    ("b.3", Read, 16, false),
    ("b.2", Sent, 14, false),
    ("b.4", Delivered, 16, false),
    ("b.1", Delivered, 11, false),
];

fn meta_error() -> serde_json::Value {
    json!([{"code": 131026, "title": "Message undeliverable"}])
}

fn report(account: AccountId, wamid: &str, status: MessageStatus, secs: i64) -> StatusUpdate {
    StatusUpdate {
        account_id: account,
        wamid: wamid.to_string(),
        status,
        at: at(secs),
        error: None,
    }
}

fn reports(account: AccountId) -> Vec<StatusUpdate> {
    REPORTS
        .iter()
        .map(|(wamid, status, secs, with_error)| {
            let mut u = report(account, wamid, *status, *secs);
            u.error = with_error.then(meta_error);
            u
        })
        .collect()
}

/// One outgoing message per wamid of [`WAMIDS`], all but `b.3` sent at `t0 + 1`.
async fn messages(store: &dyn Store, org: OrgId, account: AccountId) -> Vec<MessageId> {
    let mut ids = Vec::new();
    for (i, wamid) in WAMIDS.iter().enumerate() {
        let out = Fixture::outgoing(account, "5215551234567", i as i64, wamid);
        let id = store.enqueue_outgoing(org, out).await.unwrap().message.id;
        if *wamid != "b.3" {
            store.mark_sent(org, id, wamid, at(1)).await.unwrap();
        }
        ids.push(id);
    }
    ids
}

/// Outcomes and events with the org's ids replaced by the scenario's wamids.
fn label(ids: &[MessageId], id: MessageId) -> &'static str {
    ids.iter().position(|m| *m == id).map_or("?", |i| WAMIDS[i])
}

fn outcomes(ids: &[MessageId], got: &[StatusOutcome]) -> Vec<String> {
    got.iter()
        .map(|o| match o {
            StatusOutcome::Applied { message_id, status } => {
                format!("applied {} {status}", label(ids, *message_id))
            }
            StatusOutcome::Unchanged { message_id, status } => {
                format!("unchanged {} {status}", label(ids, *message_id))
            }
            StatusOutcome::Deferred => "deferred".to_string(),
        })
        .collect()
}

/// Every message's status, history, error and wamid, plus the events after `seq`.
async fn state(store: &dyn Store, org: OrgId, ids: &[MessageId], seq: i64) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        let m = store.get_message(org, *id).await.unwrap();
        // Pending's time is the enqueue's clock, different for each org.
        let history: Vec<_> = m
            .status_history
            .0
            .iter()
            .filter(|(s, _)| **s != Pending)
            .collect();
        out.push(format!(
            "{} {} {history:?} {:?} {:?}",
            label(ids, *id),
            m.status,
            m.error,
            m.external_id
        ));
    }
    for e in store.events_after(org, seq, 500).await.unwrap() {
        let row = label(ids, e.row_id.into());
        out.push(format!("event {}.{} {row}", e.entity, e.action));
    }
    out
}

async fn last_seq(store: &dyn Store, org: OrgId) -> i64 {
    let events = store.events_after(org, 0, 10_000).await.unwrap();
    events.last().map_or(0, |e| e.seq)
}

/// Org A applies the reports one at a time, org B as one batch: the answers, the
/// messages, the events and what the deferred reports do once their wamid is known all
/// agree, and are what monotonic merging says.
pub async fn batch_statuses_match_one_by_one(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let ids_a = messages(store, f.org_a, f.acct_a.id).await;
    let ids_b = messages(store, f.org_b, f.acct_b.id).await;
    let (seq_a, seq_b) = (
        last_seq(store, f.org_a).await,
        last_seq(store, f.org_b).await,
    );

    let mut one_by_one = Vec::new();
    for u in reports(f.acct_a.id) {
        one_by_one.push(store.apply_status(f.org_a, u).await.unwrap());
    }
    let batch = reports(f.acct_b.id)
        .into_iter()
        .map(|u| (f.org_b, u))
        .collect();
    let batched = store.apply_status_batch(batch).await.unwrap();
    assert_eq!(outcomes(&ids_b, &batched), outcomes(&ids_a, &one_by_one));
    assert_eq!(
        outcomes(&ids_b, &batched),
        [
            "applied b.1 delivered",
            "applied b.2 failed",
            "deferred",
            "applied b.1 read",
            "applied b.4 read",
            "unchanged b.1 read",
            "deferred",
            "unchanged b.2 failed",
            "unchanged b.4 read",
            "unchanged b.1 read",
        ]
    );
    let a = state(store, f.org_a, &ids_a, seq_a).await;
    let b = state(store, f.org_b, &ids_b, seq_b).await;
    assert_eq!(b, a);
    // One event per status word that moved, as the single path appends them.
    let events: Vec<_> = b.iter().filter(|s| s.starts_with("event")).collect();
    assert_eq!(
        events,
        [
            "event messages.update b.1",
            "event messages.update b.2",
            "event messages.update b.1",
            "event messages.update b.4",
        ]
    );

    let m = store.get_message(f.org_b, ids_b[0]).await.unwrap();
    assert_eq!(m.status, Read);
    // The earliest time of each status is kept: sent at 1 (not the late 9), delivered
    // at 10 (not the duplicate's 11).
    let history = &m.status_history.0;
    assert_eq!(
        (
            history.get(&Sent),
            history.get(&Delivered),
            history.get(&Read)
        ),
        (Some(&at(1)), Some(&at(10)), Some(&at(12)))
    );
    let failed = store.get_message(f.org_b, ids_b[1]).await.unwrap();
    assert_eq!(
        (failed.status, failed.error),
        (Failed, Some(meta_error())),
        "a failure keeps Meta's error; a late sent does not resurrect it"
    );
    let later = store.get_message(f.org_b, ids_b[3]).await.unwrap();
    assert_eq!(later.status_history.0.get(&Delivered), Some(&at(16)));
    let unknown = store.get_message(f.org_b, ids_b[2]).await.unwrap();
    assert_eq!((unknown.status, unknown.external_id), (Pending, None));

    // The deferred reports were kept, twice over: the wamid's send applies both.
    for (org, ids) in [(f.org_a, &ids_a), (f.org_b, &ids_b)] {
        let out = store.mark_sent(org, ids[2], "b.3", at(14)).await.unwrap();
        assert_eq!(outcomes(ids, &[out]), ["applied b.3 read"]);
    }
    let a = state(store, f.org_a, &ids_a, seq_a).await;
    let b = state(store, f.org_b, &ids_b, seq_b).await;
    assert_eq!(b, a);
    let sent = store.get_message(f.org_b, ids_b[2]).await.unwrap();
    let history = &sent.status_history.0;
    assert_eq!(
        (history.get(&Delivered), history.get(&Read)),
        (Some(&at(15)), Some(&at(16)))
    );
}

/// A batch only reaches its own org's numbers: naming another org's number fails the
/// whole batch (nothing of it applied, nothing parked), and a wamid of another org's
/// message under one's own number is just unknown there.
pub async fn batch_statuses_stay_in_their_tenant(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let enqueue = |org: OrgId, account: AccountId, secs: i64| async move {
        let out = Fixture::outgoing(account, "5215551234567", secs, "hola");
        store.enqueue_outgoing(org, out).await.unwrap().message.id
    };
    let a_sent = enqueue(f.org_a, f.acct_a.id, 0).await;
    store
        .mark_sent(f.org_a, a_sent, "t.1", at(1))
        .await
        .unwrap();
    let a_unsent = enqueue(f.org_a, f.acct_a.id, 1).await;
    let b_sent = enqueue(f.org_b, f.acct_b.id, 2).await;
    store
        .mark_sent(f.org_b, b_sent, "t.b", at(1))
        .await
        .unwrap();
    let seq_a = last_seq(store, f.org_a).await;

    let intruding = vec![
        (f.org_b, report(f.acct_b.id, "t.b", Delivered, 5)),
        (f.org_b, report(f.acct_a.id, "t.1", Read, 6)),
        (f.org_b, report(f.acct_a.id, "t.2", Read, 7)),
    ];
    assert_not_found(
        store.apply_status_batch(intruding).await,
        "org B naming org A's number",
    );
    let status =
        |org: OrgId, id: MessageId| async move { store.get_message(org, id).await.unwrap().status };
    assert_eq!(status(f.org_a, a_sent).await, Sent);
    assert_eq!(status(f.org_b, b_sent).await, Sent, "all or nothing");

    // Org A's wamid under org B's own number: unknown there, org A's message untouched.
    let own_number = vec![(f.org_b, report(f.acct_b.id, "t.1", Read, 8))];
    let out = store.apply_status_batch(own_number).await.unwrap();
    assert_eq!(out, [StatusOutcome::Deferred]);
    assert_eq!(status(f.org_a, a_sent).await, Sent);

    // Nothing was parked for org A's number: its send of t.2 is just sent.
    let out = store
        .mark_sent(f.org_a, a_unsent, "t.2", at(9))
        .await
        .unwrap();
    assert_eq!(
        out,
        StatusOutcome::Applied {
            message_id: a_unsent,
            status: Sent
        }
    );
    let events = store.events_after(f.org_a, seq_a, 100).await.unwrap();
    assert_eq!(events.len(), 1, "only the send: {events:?}");
}

/// Two batches over the same wamids in opposite orders, while some of those wamids are
/// being given to their messages: neither fails (no deadlock), and every report lands,
/// on the message or parked and applied by the send — never neither.
pub async fn concurrent_batches_and_sends(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let (org, account) = (f.org_a, f.acct_a.id);
    let mut sent = HashMap::new();
    for i in 0..20 {
        let out = Fixture::outgoing(account, "5215551234567", i, "hola");
        let id = store.enqueue_outgoing(org, out).await.unwrap().message.id;
        let wamid = format!("w.{i}");
        store.mark_sent(org, id, &wamid, at(1)).await.unwrap();
        sent.insert(wamid, id);
    }
    let mut sending = Vec::new();
    for i in 0..10 {
        let out = Fixture::outgoing(account, "5215551234567", 30 + i, "hola");
        let id = store.enqueue_outgoing(org, out).await.unwrap().message.id;
        sending.push((format!("u.{i}"), id));
    }
    let wamids: Vec<String> = sent
        .keys()
        .cloned()
        .chain(sending.iter().map(|(w, _)| w.clone()))
        .collect();
    let forwards: Vec<_> = wamids
        .iter()
        .map(|w| (org, report(account, w, Delivered, 10)))
        .collect();
    let backwards: Vec<_> = wamids
        .iter()
        .rev()
        .map(|w| (org, report(account, w, Read, 11)))
        .collect();
    let sends = async {
        for (wamid, id) in &sending {
            store.mark_sent(org, *id, wamid, at(2)).await.unwrap();
        }
    };
    let (a, b, ()) = futures::join!(
        store.apply_status_batch(forwards),
        store.apply_status_batch(backwards),
        sends
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.len(), b.len()), (30, 30));
    for id in sent.values().chain(sending.iter().map(|(_, id)| id)) {
        let m = store.get_message(org, *id).await.unwrap();
        assert_eq!(m.status, Read, "{:?}", m.external_id);
        assert_eq!(m.status_history.0.get(&Delivered), Some(&at(10)));
    }
}
