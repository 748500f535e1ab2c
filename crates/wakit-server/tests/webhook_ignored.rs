//! Nothing Meta sends is dropped silently: a signed webhook whose body holds a field
//! wakit does not handle (beside a message it does) and an error without a
//! phone-number id is applied as far as wakit can, and its inbox row ends `ignored`
//! with both named; the items are counted per field; a replay of ignored rows
//! (`wakit admin inbox retry --ignored`) processes them again through the worker.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::meta::{eventually, post_signed};
use serde_json::json;
use wakit_store_tests::fixture::{new_account, phone};
use wakit_store_tests::{Backend, TestStore};

const PNID: &str = "238013449404478";

/// The count of `wakit_webhook_ignored_total{field="<field>"}` in this process (the
/// recorder is global, so other tests' items of the same field add to it).
fn ignored_count(field: &str) -> u64 {
    let text = wakit_server::metrics::handle().unwrap().render();
    let series = format!("wakit_webhook_ignored_total{{field=\"{field}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&series))
        .map_or(0, |n| n.trim().parse().unwrap())
}

fn body(field: &str) -> Vec<u8> {
    let message = json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "5215588392274", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": "5215550000001"}],
        "messages": [{"from": "5215550000001", "id": "wamid.ign.1", "timestamp": "1763900000",
                      "type": "text", "text": {"body": "hola"}}]
    });
    let unrouted = json!({"messaging_product": "whatsapp",
                          "errors": [{"code": 131000, "title": "Something went wrong"}]});
    let unknown = json!({"call_id": "c-1", "event": "connect"});
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "waba-1", "changes": [
        {"field": "messages", "value": message},
        {"field": "messages", "value": unrouted},
        {"field": field, "value": unknown},
    ]}]});
    serde_json::to_vec(&body).unwrap()
}

async fn unhandled_items_are_kept_ignored_counted_and_replayed(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let store = ts.store.clone();
    let org = store.create_org("Mirlo", "UTC").await.unwrap().id;
    let acct = store
        .add_account(org, new_account("5215588392274", PNID))
        .await
        .unwrap()
        .id;
    // A field name of this test's own, so other tests cannot move its count.
    let field = format!("calls_{}", backend_name(backend));
    let (fields_before, errors_before) = (ignored_count(&field), ignored_count("errors"));
    let srv = common::start(&ts, true).await;
    let http = reqwest::Client::new();
    let sent = post_signed(&http, &srv.webhook, body(&field))
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);

    // A replay of the same bytes names the stored row (and queues nothing).
    let id = store
        .inbox_put(&body(&field), None, chrono::Utc::now())
        .await
        .unwrap()
        .id;
    let attempts = |n: u32| {
        let store = store.clone();
        async move {
            let row = store.inbox_get(id).await.unwrap();
            row.attempts >= n && row.state != "pending"
        }
    };
    eventually("the body to be processed", || attempts(1)).await;
    let row = store.inbox_get(id).await.unwrap();
    let note = format!("ignored: error without a phone-number id; ignored: field {field}");
    assert_eq!(row.state, "ignored");
    assert_eq!(row.last_error.as_deref(), Some(note.as_str()));
    // What wakit handles in the same body was applied.
    let conv = store
        .find_conversation(org, acct, &phone("5215550000001").into())
        .await
        .unwrap()
        .expect("the message beside the ignored items was stored");
    let page = store.page_messages(org, conv.id, 10, None).await.unwrap();
    assert_eq!(page.messages.len(), 1);
    assert_eq!(ignored_count(&field), fields_before + 1);
    assert!(ignored_count("errors") > errors_before);

    // The operator replays ignored rows: processed again through the worker (still
    // unhandled by this build, so ignored again; the message is not stored twice).
    assert_eq!(
        store
            .inbox_retry_failed(100, chrono::Utc::now())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .inbox_retry_ignored(100, chrono::Utc::now())
            .await
            .unwrap(),
        1
    );
    eventually("the replayed body to be processed", || attempts(2)).await;
    let row = store.inbox_get(id).await.unwrap();
    assert_eq!(
        (row.state.as_str(), row.last_error),
        ("ignored", Some(note))
    );
    assert_eq!(ignored_count(&field), fields_before + 2);
    let page = store.page_messages(org, conv.id, 10, None).await.unwrap();
    assert_eq!(page.messages.len(), 1, "the replay stored nothing twice");
    srv.stop().await;
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

on_both_backends!(unhandled_items_are_kept_ignored_counted_and_replayed);
