//! Webhook endpoints created through `/rest/v1/webhooks` (as the hosted dashboard does)
//! are real endpoints, on both engines: the secret is answered once and signs the
//! deliveries, only events after the creation are delivered, the management API's
//! checks apply, and only admins and owners may create one.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::outbound::{assert_signed, start};
use common::receiver::Receiver;
use common::sandbox::key_with_role;
use serde_json::{Value, json};
use wakit_core::Role;
use wakit_store_tests::Backend;

on_both_backends!(rest_inserts_make_signed_endpoints);

async fn post(url: &str, key: &str, row: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(url)
        .header("apikey", key)
        .bearer_auth(key)
        .header("Prefer", "return=representation")
        .json(&row)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn rest_inserts_make_signed_endpoints(backend: Backend) {
    let Some(w) = start(backend, true).await else {
        return;
    };
    let r = Receiver::start().await;
    let org = w.account.org_id;
    // Before the endpoint exists: not delivered to it later.
    w.customer_writes("5215551230001", "antes").await;
    let admin = key_with_role(&*w.ts.store, org, Role::Admin).await;
    let member = key_with_role(&*w.ts.store, org, Role::Member).await;
    let url = format!("{}/rest/v1/webhooks", w.server.root());
    let row = |target: &str| {
        json!({"organization_id": org.0.to_string(), "table_name": "messages",
               "operations": ["insert"], "url": target})
    };

    let (status, body) = post(&url, &member, row(&r.url("/hook"))).await;
    assert_eq!((status, &body["code"]), (403, &json!("42501")), "{body}");
    let mut bad = row(&r.url("/hook"));
    bad["table_name"] = json!("contacts");
    let (status, body) = post(&url, &admin, bad).await;
    assert_eq!(status, 400, "the management API's checks apply: {body}");

    let (status, body) = post(&url, &admin, row(&r.url("/hook"))).await;
    assert_eq!(status, 201, "{body}");
    let created = &body[0];
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(created["url"], r.url("/hook"));

    w.customer_writes("5215551230001", "después").await;
    let hits = r.until("/hook", |h| !h.is_empty()).await;
    assert_eq!(
        hits.len(),
        1,
        "only the message after the creation: {hits:?}"
    );
    assert_signed(&hits[0], secret);
    let payload = hits[0].json();
    assert_eq!(payload["type"], "messages.insert");
    assert_eq!(payload["data"]["content"]["text"], "después", "{payload}");

    // The row reads back through the data API without its secret.
    let listed: Value = reqwest::Client::new()
        .get(&url)
        .header("apikey", &admin)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert!(listed[0].get("secret").is_none(), "{listed}");
    w.stop().await;
}
