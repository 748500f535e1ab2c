//! Outbound webhooks survive `kill -9` (issue 13's "done when"): the real `wakit serve`
//! process, the sandbox as Meta, a receiver on 127.0.0.1, on both backends. A storm of
//! 2,000 messages — inbound ones from the sandbox and bulk sends whose statuses Meta
//! reports back — to an endpoint of every message insert and update; the server is
//! killed while it delivers them and restarted. Every event of the log (message and
//! status alike) reaches the receiver, whose verdict on each signature is the
//! `standardwebhooks` package's (the Standard Webhooks reference implementation, when
//! installed) as well as a check written from the spec; a delivery that arrives twice
//! (at least once) carries the same `webhook-id` and body, so it can be deduplicated.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, HashSet};
use wakit_core::{MessageContent, MessageStatus, Phone};
use wakit_server::deliveries::signature::{new_secret, sign};
use wakit_sim::Inbound;
use wakit_store::{NewOutgoing, NewWebhook, Priority, Store};
use wakit_store_tests::fixture::secret_box;
use wakit_store_tests::{Backend, TestStore};

#[path = "../../wakit-server/tests/webhooks_py/checker.rs"]
mod checker;
mod common;
#[allow(dead_code)]
#[path = "../../wakit-sim/tests/common/external.rs"]
mod external;
mod procs;
#[path = "../../wakit-server/tests/common/receiver.rs"]
mod receiver;

use common::rig::{Rig, WAIT, kill9, until};
use receiver::{Hit, Receiver};

/// Inbound messages in the storm.
const INBOUND: usize = 1_500;
/// Messages sent (each with its statuses back from Meta).
const SENDS: usize = 500;
/// The customer the sends go to.
const CUSTOMER: &str = "5215551234567";

async fn storm_of_messages_and_statuses_survives_kill_9(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let rig = Rig::new(ts).await;
    let r = Receiver::start().await;
    let secret = new_secret();
    let org = rig.account.org_id;
    let id = uuid::Uuid::new_v4();
    let endpoint = NewWebhook {
        id,
        account_id: None,
        table_name: "messages".into(),
        operations: Vec::new(), // inserts and updates
        url: r.url("/hook"),
        token: None,
        secret: secret_box().seal(&secret, &id.to_string()),
    };
    let store = rig.ts.store.clone();
    store
        .create_webhook(org, endpoint, 20)
        .await
        .unwrap()
        .unwrap();
    // Attempts of at most 2 s, so a killed process's claims come back after 12 s.
    let env = [
        "--webhook-allow-private",
        "on",
        "--webhook-timeout-ms",
        "2000",
        "--webhook-retry-scale",
        "0.001",
    ];
    let mut server = rig.serve_with(&env).await;
    rig.sim
        .customer_writes(
            &rig.account.phone_number_id,
            CUSTOMER,
            Some("Ana"),
            Inbound::text("hola"),
        )
        .unwrap();
    until("the customer's message", || async {
        !rig.messages().await.is_empty()
    })
    .await;
    let sent = send_all(&rig).await;
    rig.sim
        .storm(&rig.account.phone_number_id, INBOUND, 4, 20)
        .unwrap();
    until("part of the deliveries", || async { r.hits().len() >= 300 }).await;
    kill9(&mut server);
    let restarted = std::time::Instant::now();
    let _server = rig.serve_with(&env).await;

    let log = settled(&*store, org, &sent, &r).await;
    let hits = r.hits();
    eprintln!(
        "{backend:?}: {} deliveries of {} events, all in {:.1} s after the restart",
        hits.len(),
        log.len(),
        restarted.elapsed().as_secs_f64()
    );
    check_signatures(&hits, &secret);
    let by_type = |t: &str| {
        hits.iter()
            .filter(|h| h.json()["type"] == t)
            .map(|h| h.json()["data"]["id"].as_str().unwrap().to_string())
            .collect::<HashSet<_>>()
    };
    let (inserted, updated) = (by_type("messages.insert"), by_type("messages.update"));
    assert_eq!(
        inserted.len(),
        INBOUND + 1 + SENDS,
        "every message's insert"
    );
    for m in &sent {
        assert!(inserted.contains(m), "the send {m} was inserted");
        assert!(updated.contains(m), "the send {m} got its statuses");
    }
}

/// Queues [`SENDS`] bulk sends to the customer; their ids.
async fn send_all(rig: &Rig) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..SENDS {
        let out = NewOutgoing {
            account_id: rig.account.id,
            to: Phone::parse(CUSTOMER).unwrap().into(),
            content: MessageContent::text(format!("promo {i}")),
            scheduled_at: None,
            agent_id: None,
            priority: Priority::Bulk,
            idempotency: None,
        };
        let queued = rig
            .ts
            .store
            .enqueue_outgoing(rig.account.org_id, out)
            .await
            .unwrap();
        ids.push(queued.message.id.to_string());
    }
    ids
}

/// Waits (bounded) until every send has left `pending` and every message event of the
/// log has reached the receiver; the log's seqs then.
async fn settled(
    store: &dyn Store,
    org: wakit_core::OrgId,
    sent: &[String],
    r: &Receiver,
) -> Vec<i64> {
    let start = std::time::Instant::now();
    loop {
        if all_sent(store, org, sent).await {
            let log = logged(store, org).await;
            let got = seqs(&r.hits());
            if log.iter().all(|s| got.contains(s)) {
                return log;
            }
        }
        assert!(
            start.elapsed() < WAIT,
            "timed out waiting for every event of the log"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Whether every send has left `pending` (Meta took it, or it failed).
async fn all_sent(store: &dyn Store, org: wakit_core::OrgId, sent: &[String]) -> bool {
    for id in sent {
        let id = wakit_core::MessageId(id.parse().unwrap());
        if store.get_message(org, id).await.unwrap().status == MessageStatus::Pending {
            return false;
        }
    }
    true
}

/// The seqs of the org's message events in the log.
async fn logged(store: &dyn Store, org: wakit_core::OrgId) -> Vec<i64> {
    let (mut all, mut after) = (Vec::new(), 0);
    loop {
        let page = store.events_after(org, after, 1_000).await.unwrap();
        let Some(last) = page.last() else {
            return all;
        };
        after = last.seq;
        all.extend(
            page.iter()
                .filter(|e| e.entity == "messages")
                .map(|e| e.seq),
        );
    }
}

/// The seqs the receiver got.
fn seqs(hits: &[Hit]) -> BTreeSet<i64> {
    hits.iter()
        .filter_map(|h| h.json()["seq"].as_i64())
        .collect()
}

/// Every delivery is signed with the endpoint's secret — per the spec, and per the
/// reference implementation when installed — and a repeated `webhook-id` repeats its
/// body.
fn check_signatures(hits: &[Hit], secret: &str) {
    let mut by_id: HashMap<&str, &str> = HashMap::new();
    for h in hits {
        let (msg, ts) = (h.header("webhook-id"), h.header("webhook-timestamp"));
        let signed = sign(&[secret], msg, ts.parse().unwrap(), h.body.as_bytes()).unwrap();
        assert_eq!(
            h.header("webhook-signature"),
            signed,
            "every delivery verifies"
        );
        let body = by_id.entry(msg).or_insert(&h.body);
        assert_eq!(*body, h.body, "a repeated webhook-id repeats its body");
    }
    if !checker::ready() {
        return;
    }
    let cases: Vec<Value> = hits
        .iter()
        .map(|h| {
            json!({"secret": secret, "id": h.header("webhook-id"),
                   "timestamp": h.header("webhook-timestamp").parse::<i64>().unwrap(),
                   "body": h.body, "signature": h.header("webhook-signature")})
        })
        .collect();
    let verdicts = checker::verdicts(&Value::Array(cases), "storm");
    let refused: Vec<_> = verdicts
        .iter()
        .filter(|v| **v != Value::Bool(true))
        .collect();
    assert!(refused.is_empty(), "standardwebhooks refused: {refused:?}");
}

on_both_backends!(storm_of_messages_and_statuses_survives_kill_9);
