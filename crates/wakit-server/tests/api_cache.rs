//! The API's short-lived caches (`wakit_server::cache`), over HTTP on both backends: a
//! revoked key is refused, and a newly connected number is seen, once `cache::TTL` has
//! passed since they were cached; a new key works at once (failures are not cached); a
//! kept conversation list is never older than a finished write.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::sandbox::new_key;
use std::time::Duration;
use wakit_server::cache::TTL;
use wakit_store_tests::fixture::{Fixture, new_account};
use wakit_store_tests::{Backend, TestStore};

/// Past the TTL, with room for a slow machine's scheduling.
const PAST_TTL: Duration = TTL.saturating_add(Duration::from_millis(300));

async fn get(http: &reqwest::Client, url: &str, key: &str) -> (u16, serde_json::Value) {
    let r = http.get(url).bearer_auth(key).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn revocation_and_new_numbers_take_effect_after_the_ttl(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let org = ts.store.create_org("Mirlo", "UTC").await.unwrap();
    ts.store
        .add_account(org.id, new_account("5215588392274", "238013449404478"))
        .await
        .unwrap();
    let key = new_key(&*ts.store, org.id).await;
    let key_id = ts.store.list_api_keys(org.id).await.unwrap()[0].id;
    let srv = common::start(&ts, false).await;
    let http = reqwest::Client::new();
    let conversations = format!("{}/conversations", srv.base);

    // Caches the key and the org's numbers (one: no account_phone needed).
    let (status, body) = get(&http, &conversations, &key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"]["phone"], "5215588392274");

    // A second number: once the TTL has passed the org has two, so one must be named.
    ts.store
        .add_account(org.id, new_account("15550405258", "238013449404479"))
        .await
        .unwrap();
    tokio::time::sleep(PAST_TTL).await;
    let (status, body) = get(&http, &conversations, &key).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("account_required"))
    );

    // A key created now works on its first request, whatever is cached.
    let fresh = new_key(&*ts.store, org.id).await;
    let (status, _) = get(&http, &format!("{}/accounts", srv.base), &fresh).await;
    assert_eq!(status, 200);

    // Revoked: refused once the TTL has passed since the key was last looked up.
    let (status, _) = get(&http, &format!("{}/accounts", srv.base), &key).await;
    assert_eq!(status, 200, "cached or not, still valid");
    ts.store.revoke_api_key(None, key_id).await.unwrap();
    tokio::time::sleep(PAST_TTL).await;
    let (status, body) = get(&http, &format!("{}/accounts", srv.base), &key).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("Invalid API key"))
    );

    srv.stop().await;
}

/// The conversation list and a conversation are never older than a write that finished
/// before the request,
/// whether this process wrote it or another one did (a second store on the same
/// database stands for the other process): the answers the API keeps are reused only
/// while nothing was committed.
async fn conversation_list_never_lags_a_finished_write(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let org = ts.store.create_org("Mirlo", "UTC").await.unwrap();
    let account = ts
        .store
        .add_account(org.id, new_account("5215588392274", "238013449404478"))
        .await
        .unwrap();
    let key = new_key(&*ts.store, org.id).await;
    let other_process = ts.open_again().await;
    let srv = common::start(&ts, false).await;
    let http = reqwest::Client::new();
    let conversations = format!("{}/conversations?limit=50", srv.base);

    let (status, empty) = get(&http, &conversations, &key).await;
    assert_eq!(
        (status, empty["conversations"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    for i in 0..6 {
        let writer = if i % 2 == 0 {
            &ts.store
        } else {
            &other_process
        };
        let to = format!("155500000{i:02}");
        let text = format!("message {i}");
        writer
            .enqueue_outgoing(org.id, Fixture::outgoing(account.id, &to, 100 + i, &text))
            .await
            .unwrap();
        // Asked twice: the second answer may be the kept one, and must be as fresh.
        for _ in 0..2 {
            let (status, body) = get(&http, &conversations, &key).await;
            assert_eq!(status, 200, "{body}");
            let list = body["conversations"].as_array().unwrap();
            assert_eq!(list.len(), i as usize + 1, "after write {i}: {body}");
            assert_eq!(list[0]["last_message"]["content"]["text"], text.as_str());
            let url = format!("{}/conversation?contact_phone={to}", srv.base);
            let (status, body) = get(&http, &url, &key).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["messages"][0]["content"]["text"], text.as_str());
        }
        // The first contact's conversation, asked again after others were written to.
        let url = format!("{}/conversation?contact_phone=15550000000", srv.base);
        let (status, body) = get(&http, &url, &key).await;
        assert_eq!(
            (status, body["messages"].as_array().map(Vec::len)),
            (200, Some(1))
        );
    }

    srv.stop().await;
}

on_both_backends!(
    revocation_and_new_numbers_take_effect_after_the_ttl,
    conversation_list_never_lags_a_finished_write
);
