//! The dispatcher against the sandbox as Meta, on both backends: the whole path, Meta's
//! status quirks, expired tokens, the window rule, pacing and retries.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::sandbox::{World, fast_dispatch, world};
use std::collections::HashMap;
use std::time::Duration;
use wakit_core::{MessageId, MessageStatus};
use wakit_server::workers::dispatch::NUMBER_TTL;
use wakit_sim::Quirks;
use wakit_store::Priority;
use wakit_store_tests::{Backend, TestStore};

const CUSTOMER: &str = "5215551234567";
const WAIT: Duration = Duration::from_secs(60);

/// How many times the sandbox accepted each of our message ids.
fn sends_per_message(w: &World) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for s in w.sim.sent_messages() {
        if let Some(id) = s.biz_opaque_callback_data {
            *counts.entry(id).or_insert(0) += 1;
        }
    }
    counts
}

fn assert_each_sent_once(w: &World, ids: &[MessageId]) {
    let counts = sends_per_message(w);
    for id in ids {
        assert_eq!(
            counts.get(&id.to_string()),
            Some(&1),
            "message {id} sent exactly once"
        );
    }
}

async fn inbound_reply_sent_delivered_read(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    w.customer_writes(CUSTOMER, "Hola, ¿tienen envíos?").await;
    let conv =
        w.ts.store
            .find_conversation(
                w.account.org_id,
                w.account.id,
                &wakit_core::Phone::parse(CUSTOMER).unwrap().into(),
            )
            .await
            .unwrap()
            .expect("conversation from the inbound message");
    let id = w
        .send(CUSTOMER, "¡Sí! En 2-3 días.", Priority::Interactive)
        .await;
    let msg = &w.wait_status(&[id], MessageStatus::Read, WAIT).await[0];
    assert_eq!(msg.status, MessageStatus::Read, "{msg:?}");
    assert_eq!(msg.conversation_id, conv.id);
    for s in [
        MessageStatus::Sent,
        MessageStatus::Delivered,
        MessageStatus::Read,
    ] {
        assert!(
            msg.status_history.0.contains_key(&s),
            "history has {s:?}: {msg:?}"
        );
    }
    assert!(
        msg.external_id
            .as_deref()
            .is_some_and(|w| w.starts_with("wamid."))
    );
    assert_each_sent_once(&w, &[id]);
    let sent = &w.sim.sent_messages()[0];
    assert_eq!(sent.request["text"]["body"], "¡Sí! En 2-3 días.");
    w.stop().await;
}

async fn quirky_statuses_end_right(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::always(), fast_dispatch()).await;
    w.customer_writes(CUSTOMER, "hola").await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(
            w.send(CUSTOMER, &format!("reply {i}"), Priority::Interactive)
                .await,
        );
    }
    let msgs = w.wait_status(&ids, MessageStatus::Read, WAIT).await;
    for m in &msgs {
        assert_eq!(
            m.status,
            MessageStatus::Read,
            "duplicates/reordering/skips end at read: {m:?}"
        );
        assert!(m.external_id.is_some());
    }
    assert_each_sent_once(&w, &ids);
    w.stop().await;
}

async fn expired_token_fails_and_marks_number(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    w.customer_writes(CUSTOMER, "hola").await;
    w.sim
        .expire_token(&w.account.phone_number_id)
        .expect("expire");
    let first = w.send(CUSTOMER, "one", Priority::Normal).await;
    let m = &w.wait_status(&[first], MessageStatus::Failed, WAIT).await[0];
    assert_eq!(m.status, MessageStatus::Failed, "{m:?}");
    assert_eq!(m.error.as_ref().unwrap()[0]["code"], 190, "{m:?}");
    let acct =
        w.ts.store
            .get_account(w.account.org_id, w.account.id)
            .await
            .unwrap();
    assert!(
        acct.token_invalid(),
        "the number is recorded unhealthy: {:?}",
        acct.health
    );

    let calls_before = w.sim.stats().rejected_with(190);
    // The dispatcher reads the number again (now known unhealthy) once its cache expires.
    tokio::time::sleep(NUMBER_TTL + Duration::from_millis(500)).await;
    let second = w.send(CUSTOMER, "two", Priority::Normal).await;
    let m = &w.wait_status(&[second], MessageStatus::Failed, WAIT).await[0];
    assert_eq!(m.status, MessageStatus::Failed);
    assert_eq!(
        w.sim.stats().rejected_with(190),
        calls_before,
        "a number known unhealthy is not hammered"
    );
    assert_eq!(w.sim.stats().accepted, 0);
    w.stop().await;
}

async fn closed_window_fails_with_metas_131047(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let id = w.send("5215550000001", "hello?", Priority::Normal).await;
    let m = &w.wait_status(&[id], MessageStatus::Failed, WAIT).await[0];
    assert_eq!(m.status, MessageStatus::Failed, "{m:?}");
    assert_eq!(m.error.as_ref().unwrap()[0]["code"], 131047, "{m:?}");
    assert!(m.external_id.is_some(), "Meta accepted it, then failed it");
    w.stop().await;
}

async fn pacing_holds_the_number_rate(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let pnid = w.account.phone_number_id.clone();
    w.sim.set_throughput(&pnid, 20).expect("sim rate");
    w.ts.store
        .set_account_max_mps(w.account.org_id, w.account.id, Some(20))
        .await
        .unwrap();
    w.customer_writes(CUSTOMER, "hola").await;
    let mut ids = Vec::new();
    for i in 0..60 {
        ids.push(w.send(CUSTOMER, &format!("bulk {i}"), Priority::Bulk).await);
    }
    let msgs = w.wait_all(&ids, WAIT, |m| m.external_id.is_some()).await;
    assert!(msgs.iter().all(|m| m.external_id.is_some()), "all sent");
    assert_eq!(
        w.sim.stats().rejected_with(130429),
        0,
        "never above Meta's limit"
    );
    assert_each_sent_once(&w, &ids);
    w.stop().await;
}

async fn throughput_errors_are_retried_not_duplicated(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let pnid = w.account.phone_number_id.clone();
    w.sim.set_throughput(&pnid, 5).expect("sim rate");
    w.ts.store
        .set_account_max_mps(w.account.org_id, w.account.id, Some(200))
        .await
        .unwrap();
    w.customer_writes(CUSTOMER, "hola").await;
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(
            w.send(CUSTOMER, &format!("burst {i}"), Priority::Normal)
                .await,
        );
    }
    let msgs = w.wait_all(&ids, WAIT, |m| m.external_id.is_some()).await;
    assert!(
        msgs.iter().all(|m| m.external_id.is_some()),
        "all sent in the end"
    );
    assert!(
        w.sim.stats().rejected_with(130429) > 0,
        "the burst did hit Meta's limit"
    );
    assert_each_sent_once(&w, &ids);
    w.stop().await;
}

/// A send interrupted after Meta took it (the process died before storing the wamid):
/// the dispatcher does not send it again; Meta's status webhook, carrying the message id
/// in `biz_opaque_callback_data`, gives it its wamid and status.
async fn interrupted_send_is_reconciled_not_resent(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    w.customer_writes(CUSTOMER, "hola").await;
    // Stop the dispatcher from racing us: park the message as "attempt in flight" first.
    let out = wakit_store::NewOutgoing {
        account_id: w.account.id,
        to: wakit_core::Phone::parse(CUSTOMER).unwrap().into(),
        content: wakit_core::MessageContent::text("sent just before a crash"),
        scheduled_at: Some(chrono::Utc::now() + chrono::Duration::seconds(3600)),
        agent_id: None,
        priority: Priority::Interactive,
        idempotency: None,
    };
    let id =
        w.ts.store
            .enqueue_outgoing(w.account.org_id, out)
            .await
            .unwrap()
            .message
            .id;
    let started =
        w.ts.store
            .begin_dispatch(w.account.org_id, id, chrono::Utc::now())
            .await
            .unwrap();
    assert!(matches!(started, wakit_store::DispatchStart::Send(_)));
    // "Meta" takes it (what the crashed process had sent).
    let m = w.message(id).await;
    let payload =
        wakit_meta::send_payload(m.contact_phone.as_str(), &m.content, Some(&id.to_string()))
            .unwrap();
    let graph = wakit_meta::GraphClient::new(w.sim.base_url()).unwrap();
    let ok = graph
        .send(&w.account.phone_number_id, &w.token, &payload)
        .await
        .unwrap();

    let m = &w.wait_status(&[id], MessageStatus::Read, WAIT).await[0];
    assert_eq!(m.status, MessageStatus::Read, "{m:?}");
    assert_eq!(m.external_id.as_deref(), Some(ok.wamid.as_str()));
    assert_each_sent_once(&w, &[id]);
    w.stop().await;
}

on_both_backends!(
    interrupted_send_is_reconciled_not_resent,
    inbound_reply_sent_delivered_read,
    quirky_statuses_end_right,
    expired_token_fails_and_marks_number,
    closed_window_fails_with_metas_131047,
    pacing_holds_the_number_rate,
    throughput_errors_are_retried_not_duplicated,
);
