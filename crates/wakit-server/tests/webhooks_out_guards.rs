//! Outbound webhooks' guards over HTTP, on both engines: internal addresses are refused
//! (at creation and at delivery) without WAKIT_WEBHOOK_ALLOW_PRIVATE; one org never sees
//! another's endpoints, deliveries or events.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::outbound::{call, create, deliveries_until, start};
use common::receiver::Receiver;
use common::sandbox::key_with_role;
use reqwest::StatusCode;
use serde_json::json;
use wakit_core::Role;
use wakit_store_tests::Backend;
use wakit_store_tests::fixture::secret_box;

on_both_backends!(
    internal_addresses_are_refused_without_the_setting,
    orgs_never_see_each_others_webhooks,
);

async fn internal_addresses_are_refused_without_the_setting(backend: Backend) {
    let Some(w) = start(backend, false).await else {
        return;
    };
    let r = Receiver::start().await;
    let org = w.account.org_id;
    let admin = key_with_role(&*w.ts.store, org, Role::Admin).await;
    for url in [
        r.url("/x"),
        "http://localhost:9/x".into(),
        "http://169.254.169.254/latest".into(),
        "http://[::1]/x".into(),
    ] {
        let (status, err) = call(
            &w,
            &admin,
            "POST",
            "/webhooks",
            Some(json!({"url": url, "table_name": "messages"})),
        )
        .await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_parameter")),
            "{url}"
        );
    }
    // An endpoint stored by another way (the data API) is refused at delivery too.
    let id = uuid::Uuid::new_v4();
    let new = wakit_store::NewWebhook {
        id,
        account_id: None,
        table_name: "messages".into(),
        operations: vec![],
        url: r.url("/x"),
        token: None,
        secret: secret_box().seal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &id.to_string()),
    };
    let hook =
        w.ts.store
            .create_webhook(org, new, 20)
            .await
            .unwrap()
            .unwrap();
    w.customer_writes("5215551234567", "hola").await;
    let log = deliveries_until(
        &w,
        &admin,
        &format!("/webhooks/{}/deliveries", hook.id),
        |d| d[0]["attempts"].as_i64() >= Some(1),
    )
    .await;
    let error = log[0]["last_error"].as_str().unwrap();
    assert!(error.contains("loopback"), "{error}");
    assert!(r.hits().is_empty(), "nothing reached the receiver");
    w.stop().await;
}

async fn orgs_never_see_each_others_webhooks(backend: Backend) {
    let Some(w) = start(backend, true).await else {
        return;
    };
    let r = Receiver::start().await;
    let admin_a = key_with_role(&*w.ts.store, w.account.org_id, Role::Admin).await;
    let org_b = w.ts.store.create_org("B", "UTC").await.unwrap();
    let admin_b = key_with_role(&*w.ts.store, org_b.id, Role::Owner).await;
    let a = create(
        &w,
        &admin_a,
        json!({"url": r.url("/a"), "table_name": "messages"}),
    )
    .await;
    let b = create(
        &w,
        &admin_b,
        json!({"url": r.url("/b"), "table_name": "messages"}),
    )
    .await;
    let wamid = w.customer_writes("5215551234567", "solo A").await;
    r.until("/a", |h| {
        h.iter().any(|h| h.json()["data"]["external_id"] == wamid)
    })
    .await;
    let aid = a["id"].as_str().unwrap();
    let log = deliveries_until(&w, &admin_a, &format!("/webhooks/{aid}/deliveries"), |d| {
        d[0]["state"] == "delivered"
    })
    .await;
    let did = log[0]["id"].as_str().unwrap();

    let (_, listed) = call(&w, &admin_b, "GET", "/webhooks", None).await;
    let ids: Vec<&str> = listed["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![b["id"].as_str().unwrap()]);
    for (method, path) in [
        ("GET", format!("/webhooks/{aid}")),
        ("GET", format!("/webhooks/{aid}/deliveries")),
        ("POST", format!("/webhooks/{aid}/test")),
        ("DELETE", format!("/webhooks/{aid}")),
        ("POST", format!("/deliveries/{did}/retry")),
    ] {
        let (status, err) = call(&w, &admin_b, method, &path, None).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{method} {path}"
        );
    }
    let bid = b["id"].as_str().unwrap();
    let (_, theirs) = call(
        &w,
        &admin_b,
        "GET",
        &format!("/webhooks/{bid}/deliveries"),
        None,
    )
    .await;
    assert_eq!(
        theirs["deliveries"],
        json!([]),
        "B's endpoint got none of A's events"
    );
    assert!(r.hits().iter().all(|h| h.path != "/b"));
    w.stop().await;
}
