//! The real server on 127.0.0.1:0, over HTTP, on both backends: ping, API-key auth, and
//! the Meta webhook endpoint (workers off, so the stored job can be inspected).

mod common;

use common::{APP_SECRET, start};
use wakit_core::Role;
use wakit_store::NewApiKey;
use wakit_store::secrets::generate_api_key;
use wakit_store_tests::fixture::new_account;
use wakit_store_tests::{Backend, TestStore};

async fn ping_and_auth(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let org = ts.store.create_org("Mirlo", "UTC").await.expect("org");
    ts.store
        .add_account(org.id, new_account("5215588392274", "238013449404478"))
        .await
        .expect("account");
    let key = generate_api_key();
    let rec = ts
        .store
        .create_api_key(
            org.id,
            NewApiKey {
                name: "t".into(),
                role: Role::Member,
                hash: key.hash.clone(),
                prefix: key.prefix.clone(),
            },
        )
        .await
        .expect("key");
    let srv = start(&ts, false).await;
    let http = reqwest::Client::new();

    let ping = http
        .get(format!("{}/ping", srv.base))
        .send()
        .await
        .expect("ping");
    assert_eq!(ping.status(), 200);
    let body: serde_json::Value = ping.json().await.expect("json");
    assert_eq!(
        (body["status"].as_str(), body["db"].as_str()),
        (Some("ok"), Some("connected"))
    );
    assert!(
        body["timestamp"]
            .as_str()
            .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok())
    );

    assert!(
        body["pool"]["max"].as_u64().is_some_and(|m| m >= 1),
        "{body}"
    );
    let ready = http
        .get(format!("{}/ready", srv.base))
        .send()
        .await
        .expect("ready");
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(body["status"], "ready");

    let accounts = format!("{}/accounts", srv.base);
    let missing = http.get(&accounts).send().await.expect("req");
    assert_eq!(missing.status(), 401);
    let body: serde_json::Value = missing.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({"error": "Missing Authorization header", "code": "unauthorized"})
    );

    for bad in [
        "Bearer sk_not_a_real_key_but_long_enough_000000000",
        "Bearer",
        "Basic abc",
        "sk_nobearer",
    ] {
        let r = http
            .get(&accounts)
            .header("Authorization", bad)
            .send()
            .await
            .expect("req");
        assert_eq!(r.status(), 401, "{bad}");
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(body["error"], "Invalid API key", "{bad}");
    }

    let ok = http
        .get(&accounts)
        .bearer_auth(&key.plain)
        .send()
        .await
        .expect("req");
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({"accounts": [{"phone": "5215588392274", "name": "Number 238013449404478"}]})
    );
    let alt = http
        .get(&accounts)
        .header("api-key", &key.plain)
        .send()
        .await
        .expect("req");
    assert_eq!(alt.status(), 200);

    ts.store.revoke_api_key(None, rec.id).await.expect("revoke");
    // Authenticated keys are cached for `cache::TTL` (see api_cache.rs).
    tokio::time::sleep(wakit_server::cache::TTL + std::time::Duration::from_millis(300)).await;
    let revoked = http
        .get(&accounts)
        .bearer_auth(&key.plain)
        .send()
        .await
        .expect("req");
    assert_eq!(revoked.status(), 401);

    let unknown = http
        .get(format!("{}/nope", srv.base))
        .send()
        .await
        .expect("req");
    assert_eq!(unknown.status(), 404);
    let body: serde_json::Value = unknown.json().await.expect("json");
    assert_eq!(body["code"], "not_found");

    srv.stop().await;
}

async fn webhook_is_verified_and_durable(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let srv = start(&ts, false).await;
    let http = reqwest::Client::new();
    let url = srv.webhook.clone();

    let ok = http
        .get(&url)
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "verify-me"),
            ("hub.challenge", "1158201444"),
        ])
        .send()
        .await
        .expect("get");
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.expect("text"), "1158201444");
    let bad = http
        .get(&url)
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "wrong"),
            ("hub.challenge", "1"),
        ])
        .send()
        .await
        .expect("get");
    assert_eq!(bad.status(), 403);

    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"x":"caf\u00e9"}}]}]}"#;
    let unsigned = http
        .post(&url)
        .body(body.to_vec())
        .send()
        .await
        .expect("post");
    assert_eq!(unsigned.status(), 401);
    let forged = http
        .post(&url)
        .header(
            "X-Hub-Signature-256",
            wakit_meta::signature::sign(b"other-secret", body),
        )
        .body(body.to_vec())
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), 401);
    let now = chrono::Utc::now() + chrono::Duration::seconds(5);
    let queued = ts
        .store
        .claim_jobs(
            &[wakit_store::PROCESS_WEBHOOK],
            10,
            chrono::Duration::seconds(30),
            now,
        )
        .await
        .expect("claim");
    assert!(queued.is_empty(), "nothing stored for refused bodies");

    let signature = wakit_meta::signature::sign(APP_SECRET, body);
    let signed = http
        .post(&url)
        .header("X-Hub-Signature-256", &signature)
        .body(body.to_vec())
        .send()
        .await
        .expect("post");
    assert_eq!(signed.status(), 200);
    let queued = ts
        .store
        .claim_jobs(
            &[wakit_store::PROCESS_WEBHOOK],
            10,
            chrono::Duration::seconds(30),
            now,
        )
        .await
        .expect("claim");
    assert_eq!(queued.len(), 1, "acknowledged means stored");
    // Group-committed: the job names its group's rows (here a group of one).
    let named = queued[0]
        .args::<wakit_store::ProcessWebhook>()
        .expect("args");
    let [id] = named.ids()[..] else {
        panic!("one body: {named:?}");
    };
    let item = ts.store.inbox_get(id).await.expect("inbox");
    assert_eq!(item.body, body.to_vec(), "the exact bytes");
    assert_eq!(item.signature.as_deref(), Some(signature.as_str()));

    srv.stop().await;
}

on_both_backends!(ping_and_auth, webhook_is_verified_and_durable);
