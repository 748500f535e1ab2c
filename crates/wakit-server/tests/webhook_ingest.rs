//! Signed Meta webhooks posted to the real server are processed by its worker into
//! messages and statuses, once, on both backends.

mod common;

use common::{APP_SECRET, start};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use wakit_core::{MessageContent, MessageStatus, Phone};
use wakit_store_tests::fixture::new_account;
use wakit_store_tests::{Backend, TestStore};

fn envelope(value: Value) -> Vec<u8> {
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "waba-1", "changes": [{"field": "messages", "value": value}]}]});
    serde_json::to_vec(&body).expect("json")
}

fn messages_value(phone_number_id: &str, from: &str, items: &[(&str, &str)]) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "5215588392274", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": "María García"}, "wa_id": from}],
        "messages": items.iter().map(|(wamid, text)| json!({
            "from": from, "id": wamid, "timestamp": "1763900000", "type": "text", "text": {"body": text}
        })).collect::<Vec<_>>()
    })
}

async fn post(http: &reqwest::Client, url: &str, body: &[u8]) -> u16 {
    http.post(url)
        .header(
            "X-Hub-Signature-256",
            wakit_meta::signature::sign(APP_SECRET, body),
        )
        .header("Content-Type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .expect("post")
        .status()
        .as_u16()
}

/// Polls `check` until it holds or 10 s pass (bounded: a broken worker fails the test).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn webhooks_become_messages_once(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let org = ts.store.create_org("Mirlo", "UTC").await.expect("org");
    let acct = ts
        .store
        .add_account(org.id, new_account("5215588392274", "238013449404478"))
        .await
        .expect("account");
    let srv = start(&ts, true).await;
    let http = reqwest::Client::new();

    let body = envelope(messages_value(
        "238013449404478",
        "5215551234567",
        &[
            ("wamid.A", "Hola, necesito ayuda"),
            ("wamid.B", "¿Hay alguien?"),
        ],
    ));
    // Meta retries: the same body twice stores each message once.
    assert_eq!(post(&http, &srv.webhook, &body).await, 200);
    assert_eq!(post(&http, &srv.webhook, &body).await, 200);
    let unknown = envelope(messages_value(
        "999",
        "5215550000000",
        &[("wamid.X", "lost?")],
    ));
    assert_eq!(post(&http, &srv.webhook, &unknown).await, 200);

    let store = ts.store.clone();
    let contact = Phone::parse("5215551234567").expect("phone");
    eventually("two messages stored", || {
        let (store, contact) = (store.clone(), contact.clone());
        async move {
            match store
                .find_conversation(org.id, acct.id, &contact.clone().into())
                .await
            {
                Ok(Some(c)) => store
                    .page_messages(org.id, c.id, 50, None)
                    .await
                    .map(|p| p.messages.len() == 2)
                    .unwrap_or(false),
                _ => false,
            }
        }
    })
    .await;
    let list = ts
        .store
        .list_conversations(org.id, acct.id, 10)
        .await
        .expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].contact.name.as_deref(), Some("María García"));
    assert_eq!(list[0].unread, 2);
    let last = list[0].last_message.as_ref().expect("last");
    assert_eq!(last.content, MessageContent::text("¿Hay alguien?"));

    // A status for an outgoing message, delivered before wakit knew the wamid, then applied.
    let sent = ts
        .store
        .enqueue_outgoing(
            org.id,
            wakit_store::NewOutgoing {
                account_id: acct.id,
                to: contact.clone().into(),
                content: MessageContent::text("Hola María"),
                scheduled_at: None,
                agent_id: None,
                priority: wakit_store::Priority::Interactive,
                idempotency: None,
            },
        )
        .await
        .expect("enqueue");
    let status = json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "5215588392274", "phone_number_id": "238013449404478"},
        "statuses": [{"id": "wamid.OUT", "status": "read", "timestamp": "1763900100", "recipient_id": "5215551234567"}]
    });
    assert_eq!(post(&http, &srv.webhook, &envelope(status)).await, 200);
    ts.store
        .mark_sent(org.id, sent.message.id, "wamid.OUT", chrono::Utc::now())
        .await
        .expect("sent");
    // Whichever happens first (worker or send response), the message ends read.
    eventually("status applied", || {
        let store = store.clone();
        let id = sent.message.id;
        async move {
            store
                .get_message(org.id, id)
                .await
                .map(|m| m.status == MessageStatus::Read)
                .unwrap_or(false)
        }
    })
    .await;
    // The unknown number's message created nothing in this org (its body stays in the inbox).
    let stray = Phone::parse("5215550000000").expect("phone");
    assert_eq!(
        ts.store
            .find_conversation(org.id, acct.id, &stray.clone().into())
            .await
            .expect("find"),
        None
    );

    srv.stop().await;
}

on_both_backends!(webhooks_become_messages_once);
