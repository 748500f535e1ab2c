//! What Meta tells wakit besides messages and statuses, and the dispatcher's other jobs,
//! end to end on both backends with the sandbox as Meta: a template status webhook
//! refreshes the template cache at once; quality/limit webhooks are recorded on the
//! number; read receipts reach Meta and mark the message read; a reply overtakes another
//! tenant's bulk send; a scheduled message waits until it is due.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use chrono::{Duration as ChronoDuration, Utc};
use common::api::conversation_until;
use common::sandbox::{STORE_WAIT, connect_number, fast_dispatch, new_key, world};
use serde_json::json;
use std::time::{Duration, Instant};
use wakit_api::{Client, SendRequest};
use wakit_core::{MessageContent, MessageStatus, Phone};
use wakit_sim::{Quality, Quirks, TemplateSpec};
use wakit_store::{NewJob, NewOutgoing, Priority, READ_RECEIPT};
use wakit_store_tests::fixture::{new_account, secret_box};
use wakit_store_tests::{Backend, TestStore};

const CUSTOMER: &str = "5215551234567";

/// Polls `f` until it is true or the bounded wait is over; returns the last answer.
async fn eventually<F: std::future::Future<Output = bool>>(mut f: impl FnMut() -> F) -> bool {
    let start = Instant::now();
    while start.elapsed() < STORE_WAIT {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}

async fn template_webhook_refreshes_the_cache(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let api = w.client().await;
    let spec = TemplateSpec::body("promo", "es", "MARKETING", "Oferta");
    let t = w.sim.add_template(&w.account.waba_id, spec).unwrap();
    let list = api.templates(None).await.unwrap().value.templates;
    assert_eq!(list[0].status, "APPROVED");

    // The cache is fresh (no TTL refresh): only the webhook can change it.
    w.sim.set_template_status(&t.id, "PAUSED").unwrap();
    let paused = eventually(|| async {
        let list = api.templates(None).await.unwrap().value.templates;
        list.iter()
            .any(|t| t.name == "promo" && t.status == "PAUSED")
    })
    .await;
    assert!(paused, "the template status webhook refreshed the cache");
    let send = SendRequest {
        contact_phone: Some(CUSTOMER.into()),
        template: Some(json!({"name": "promo", "language": {"code": "es"}})),
        ..Default::default()
    };
    let refused = api.send(&send, None).await.unwrap_err();
    assert_eq!(refused.status(), Some(400), "{refused}");
    w.stop().await;
}

async fn number_events_are_recorded(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let (org, acct) = (w.account.org_id, w.account.id);
    w.sim
        .set_quality(&w.account.phone_number_id, Quality::Red)
        .unwrap();
    let recorded = eventually(|| async {
        let a = w.ts.store.get_account(org, acct).await.unwrap();
        a.health
            .get("phone_number_quality_update")
            .is_some_and(|r| r["value"]["event"] == "FLAGGED")
    })
    .await;
    assert!(recorded, "quality webhook recorded on the number");
    w.stop().await;
}

async fn read_receipts_reach_meta(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let api = w.client().await;
    let wamid = w.customer_writes(CUSTOMER, "hola").await;
    let job = NewJob {
        org_id: Some(w.account.org_id),
        kind: READ_RECEIPT.into(),
        payload: json!({"account_id": w.account.id.to_string(), "wamid": wamid, "typing": true}),
        run_at: Utc::now(),
        priority: Priority::Interactive.value(),
    };
    w.ts.store.enqueue_job(job).await.unwrap();
    let conv = conversation_until(&api, CUSTOMER, |c| c.messages[0].status == "read").await;
    assert_eq!(conv.messages[0].status, "read");
    let receipts = w.sim.read_receipts();
    assert_eq!(receipts.len(), 1);
    assert_eq!(
        (
            receipts[0].message_id.as_str(),
            receipts[0].typing_indicator
        ),
        (wamid.as_str(), true)
    );
    w.stop().await;
}

async fn a_reply_overtakes_another_tenants_bulk_send(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    // Org A: 100 bulk messages paced at 20/s (≥ 5 s of work).
    let (org_a, acct_a) = (w.account.org_id, w.account.id);
    w.ts.store
        .set_account_max_mps(org_a, acct_a, Some(20))
        .await
        .unwrap();
    for i in 0..100 {
        let out = NewOutgoing {
            account_id: acct_a,
            to: Phone::parse(&format!("52155500{i:05}")).unwrap().into(),
            content: MessageContent::text("promo"),
            scheduled_at: None,
            agent_id: None,
            priority: Priority::Bulk,
            idempotency: None,
        };
        w.ts.store.enqueue_outgoing(org_a, out).await.unwrap();
    }
    // Org B: its customer writes; its agent replies through the API.
    let org_b = w.ts.store.create_org("Org B", "UTC").await.unwrap();
    let (acct_b, _) = connect_number(&w.ts, &w.sim, org_b.id, "15550405258").await;
    w.sim
        .customer_writes(
            &acct_b.phone_number_id,
            CUSTOMER,
            None,
            wakit_sim::Inbound::text("hi"),
        )
        .unwrap();
    let b = Client::new(&w.server.root(), &new_key(&*w.ts.store, org_b.id).await).unwrap();
    let wrote = eventually(|| async {
        let q = wakit_api::ContactsQuery::default();
        !b.contacts(&q).await.unwrap().value.contacts.is_empty()
    })
    .await;
    assert!(wrote);
    let reply = SendRequest {
        contact_phone: Some(CUSTOMER.into()),
        text: Some("¡Hola!".into()),
        ..Default::default()
    };
    let sent = b.send(&reply, None).await.unwrap();
    assert_eq!(sent.value.status, "sent");
    let a_sent = w
        .sim
        .sent_messages()
        .iter()
        .filter(|m| m.phone_number_id == w.account.phone_number_id)
        .count();
    assert!(
        a_sent < 100,
        "B's reply went out while A's bulk send was still running ({a_sent}/100)"
    );
    w.stop().await;
}

async fn scheduled_sends_wait_until_due(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    w.customer_writes(CUSTOMER, "hola").await;
    let due = Utc::now() + ChronoDuration::seconds(2);
    let out = NewOutgoing {
        account_id: w.account.id,
        to: Phone::parse(CUSTOMER).unwrap().into(),
        content: MessageContent::text("recordatorio"),
        scheduled_at: Some(due),
        agent_id: None,
        priority: Priority::Normal,
        idempotency: None,
    };
    let id =
        w.ts.store
            .enqueue_outgoing(w.account.org_id, out)
            .await
            .unwrap()
            .message
            .id;
    let done = w
        .wait_all(&[id], STORE_WAIT, |m| m.external_id.is_some())
        .await;
    assert_ne!(done[0].status, MessageStatus::Pending);
    let at_meta = w.sim.sent_messages();
    let sent = at_meta
        .iter()
        .find(|m| m.biz_opaque_callback_data.as_deref() == Some(&id.to_string()))
        .expect("sent");
    assert!(
        sent.at >= due,
        "sent at {} before it was due at {due}",
        sent.at
    );
    w.stop().await;
}

async fn a_number_connected_later_gets_its_kept_messages(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    // A number Meta knows (and sends webhooks for) but wakit does not, yet.
    let (pnid, token) = ("109876543210987", "EAAG-later");
    let spec = wakit_sim::NumberSpec::new("15550405258")
        .id(pnid)
        .token(token)
        .waba("9109876543210987");
    w.sim.add_number(spec).unwrap();
    let wamid = w
        .sim
        .customer_writes(
            pnid,
            CUSTOMER,
            Some("Early"),
            wakit_sim::Inbound::text("¿hay alguien?"),
        )
        .unwrap();
    // Wait until the body was processed and kept as failed (unknown number).
    let store = &w.ts.store;
    let kept =
        eventually(|| async { store.inbox_retry_failed(100, Utc::now()).await.unwrap() > 0 }).await;
    assert!(kept, "the body for the unknown number was kept as failed");

    let mut acct = new_account("15550405258", pnid);
    acct.waba_id = "9109876543210987".into();
    acct.access_token = secret_box().seal(token, pnid);
    let account = store.add_account(w.account.org_id, acct).await.unwrap();
    let phone = Phone::parse(CUSTOMER).unwrap();
    let stored = eventually(|| async {
        store.inbox_retry_failed(100, Utc::now()).await.unwrap();
        let Some(conv) = store
            .find_conversation(account.org_id, account.id, &phone.clone().into())
            .await
            .unwrap()
        else {
            return false;
        };
        let page = store
            .page_messages(account.org_id, conv.id, 10, None)
            .await
            .unwrap();
        page.messages
            .iter()
            .any(|m| m.external_id.as_deref() == Some(&wamid))
    })
    .await;
    assert!(
        stored,
        "the kept message was stored once its number was connected"
    );
    w.stop().await;
}

on_both_backends!(
    a_number_connected_later_gets_its_kept_messages,
    template_webhook_refreshes_the_cache,
    number_events_are_recorded,
    read_receipts_reach_meta,
    a_reply_overtakes_another_tenants_bulk_send,
    scheduled_sends_wait_until_due,
);
