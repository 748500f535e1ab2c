//! Webhook endpoints created through `/rest/v1/webhooks` (as the hosted dashboard does)
//! are real endpoints, on both engines: the secret is answered once and signs the
//! deliveries, only events after the creation are delivered, the management API's
//! checks apply, and only admins and owners may create one. `/rest/v1` writes to
//! conversations and contacts are events like the API's own (delivered, a rolled-back
//! write not), contacts included; an endpoint's number filter changes by PATCH.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::outbound::{assert_signed, call, create, start};
use common::receiver::{Hit, Receiver};
use common::sandbox::key_with_role;
use serde_json::{Value, json};
use wakit_core::Role;
use wakit_store_tests::Backend;

on_both_backends!(
    rest_inserts_make_signed_endpoints,
    rest_writes_and_contacts_are_delivered_events,
);

async fn post(url: &str, key: &str, row: Value) -> (u16, Value) {
    write(
        reqwest::Method::POST,
        url,
        key,
        row,
        "return=representation",
    )
    .await
}

/// A `/rest/v1` write with `key` and `Prefer: prefer`: status and JSON answer.
async fn write(
    method: reqwest::Method,
    url: &str,
    key: &str,
    row: Value,
    prefer: &str,
) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .request(method, url)
        .header("apikey", key)
        .bearer_auth(key)
        .header("Prefer", prefer)
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
    bad["table_name"] = json!("agents");
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

async fn rest_writes_and_contacts_are_delivered_events(backend: Backend) {
    let Some(w) = start(backend, true).await else {
        return;
    };
    let r = Receiver::start().await;
    let (org, store) = (w.account.org_id, w.ts.store.clone());
    let admin = key_with_role(&*store, org, Role::Admin).await;
    let member = key_with_role(&*store, org, Role::Member).await;
    let hook = |path: &str, table: &str| json!({"url": r.url(path), "table_name": table});
    let contacts = create(&w, &admin, hook("/contacts", "contacts")).await;
    let convs = create(&w, &admin, hook("/conversations", "conversations")).await;

    // A contact created by an inbound message is an event.
    w.customer_writes("5215551230002", "hola").await;
    let hits = r.until("/contacts", |h| !h.is_empty()).await;
    assert_signed(&hits[0], contacts["secret"].as_str().unwrap());
    assert_eq!(hits[0].json()["type"], "contacts.insert");
    let conv = r.until("/conversations", |h| !h.is_empty()).await[0].json();
    let conv_id = conv["data"]["id"].as_str().unwrap().to_string();

    // Each `/rest/v1` write appends its rows' events; a rolled-back one none.
    let root = w.server.root();
    let named = |name: &str| json!({"name": name});
    let mut last = store.last_event_seq(org).await.unwrap();
    let mut logged = async |what: &str| {
        let events = store.events_after(org, last, 10).await.unwrap();
        last = events.last().map_or(last, |e| e.seq);
        let seen: Vec<String> = events
            .iter()
            .map(|e| format!("{}.{} {}", e.entity, e.action, e.row_id))
            .collect();
        assert!(seen.len() <= 1, "{what}: {seen:?}");
        seen.into_iter().next()
    };
    let patch = reqwest::Method::PATCH;
    let conv_url = format!("{root}/rest/v1/conversations?id=eq.{conv_id}");
    let (status, _) = write(
        patch.clone(),
        &conv_url,
        &member,
        named("no"),
        "tx=rollback",
    )
    .await;
    assert_eq!((status, logged("rolled back").await), (204, None));
    let (status, _) = write(
        patch.clone(),
        &conv_url,
        &member,
        named("VIP"),
        "return=minimal",
    )
    .await;
    let updated = format!("conversations.update {conv_id}");
    assert_eq!((status, logged("PATCH").await), (204, Some(updated)));
    let contacts_url = format!("{root}/rest/v1/contacts");
    let row = json!({"organization_id": org.0.to_string(), "name": "Zoe"});
    let (status, body) = post(&contacts_url, &member, row).await;
    assert_eq!(status, 201, "{body}");
    let zoe = body[0]["id"].as_str().unwrap().to_string();
    assert_eq!(logged("POST").await, Some(format!("contacts.insert {zoe}")));
    let zoe_url = format!("{contacts_url}?id=eq.{zoe}");
    let (status, _) = write(patch, &zoe_url, &member, named("Zoé"), "return=minimal").await;
    assert_eq!(
        (status, logged("PATCH").await),
        (204, Some(format!("contacts.update {zoe}")))
    );

    // ...and they are delivered.
    let of_zoe = |h: &Hit| h.json()["data"]["id"] == zoe.as_str();
    let people = r
        .until("/contacts", |h| h.iter().filter(|h| of_zoe(h)).count() >= 2)
        .await;
    let kinds: Vec<Value> = people
        .iter()
        .filter(|h| of_zoe(h))
        .map(|h| h.json()["type"].clone())
        .collect();
    assert_eq!(kinds, [json!("contacts.insert"), json!("contacts.update")]);
    let named_vip =
        |h: &Hit| h.json()["type"] == "conversations.update" && h.json()["data"]["name"] == "VIP";
    r.until("/conversations", |h| h.iter().any(named_vip)).await;

    // The number filter changes by PATCH (`""`: every number); an unknown number is 404.
    let path = format!("/webhooks/{}", convs["id"].as_str().unwrap());
    let phone = w.account.phone.digits().to_string();
    let set = |p: &str| Some(json!({"account_phone": p}));
    let (status, view) = call(&w, &admin, "PATCH", &path, set(&phone)).await;
    assert_eq!(
        (status.as_u16(), &view["account_id"]),
        (200, &json!(w.account.id.to_string()))
    );
    let (status, _) = call(&w, &admin, "PATCH", &path, set("15550000000")).await;
    assert_eq!(status.as_u16(), 404);
    let (status, view) = call(&w, &admin, "PATCH", &path, set("")).await;
    assert_eq!((status.as_u16(), &view["account_id"]), (200, &Value::Null));
    w.stop().await;
}
