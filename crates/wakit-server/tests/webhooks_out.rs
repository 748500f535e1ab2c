//! Outbound webhooks over HTTP against the real server (sandbox as Meta), on both
//! engines, to a receiver on 127.0.0.1: endpoints are managed by admin keys only; every
//! matching event arrives as `{data, entity, action, type, timestamp}` with Standard
//! Webhooks headers whose signature the receiver verifies (and the `standardwebhooks`
//! package too, when installed); failures are retried on a compressed schedule with
//! the same `webhook-id`; a 410 disables the endpoint; an endpoint that never answers
//! delays no other. (Guards: webhooks_out_guards.rs.)

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

#[path = "webhooks_py/checker.rs"]
mod checker;
mod common;
#[allow(dead_code)]
#[path = "../../wakit-sim/tests/common/external.rs"]
mod external;

use common::outbound::{
    assert_signed, call, create, deliveries_until, outbound, start, start_with,
};
use common::receiver::{Hit, Receiver};
use common::sandbox::key_with_role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use wakit_core::Role;
use wakit_server::deliveries::signature::sign;
use wakit_store_tests::Backend;

on_both_backends!(
    events_arrive_signed_per_entity_and_action,
    failures_retry_with_one_webhook_id_and_410_disables,
    a_hanging_endpoint_delays_no_other,
);

/// The reference implementation's verdict on real deliveries (skipped, loudly, when it
/// is not installed).
fn reference_accepts(hits: &[Hit], secret: &str, tag: &str) {
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
    let verdicts = checker::verdicts(&Value::Array(cases), tag);
    assert!(
        verdicts.iter().all(|v| *v == Value::Bool(true)),
        "{verdicts:?}"
    );
}

async fn events_arrive_signed_per_entity_and_action(backend: Backend) {
    let Some(w) = start(backend, true).await else {
        return;
    };
    let r = Receiver::start().await;
    let org = w.account.org_id;
    let admin = key_with_role(&*w.ts.store, org, Role::Admin).await;
    let member = w.api_key().await;
    let body = json!({"url": r.url("/messages"), "table_name": "messages", "token": "tok-1"});
    let (status, err) = call(&w, &member, "POST", "/webhooks", Some(body.clone())).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let messages = create(&w, &admin, body).await;
    let secret = messages["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let convs = create(
        &w,
        &admin,
        json!({"url": r.url("/conversations"), "table_name": "conversations", "operations": ["insert"]}),
    )
    .await;
    let (_, listed) = call(&w, &admin, "GET", "/webhooks", None).await;
    let listed = listed["webhooks"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(
        listed.iter().all(|v| v.get("secret").is_none()),
        "the secret is shown once"
    );
    assert_eq!(listed[0]["has_token"], true);

    let wamid = w.customer_writes("5215551234567", "hola").await;
    let got = r
        .until("/messages", |h| {
            h.iter().any(|h| h.json()["data"]["external_id"] == wamid)
        })
        .await;
    let insert = got
        .iter()
        .find(|h| h.json()["data"]["external_id"] == wamid)
        .unwrap();
    let payload = insert.json();
    assert_eq!(
        (payload["entity"].as_str(), payload["action"].as_str()),
        (Some("messages"), Some("insert"))
    );
    assert_eq!(payload["type"], "messages.insert");
    assert_eq!(payload["data"]["content"]["text"], "hola");
    assert!(payload["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(insert.header("authorization"), "Bearer tok-1");
    assert_signed(insert, &secret);
    let conv = r.until("/conversations", |h| !h.is_empty()).await;
    assert_eq!(conv[0].json()["type"], "conversations.insert");
    assert_eq!(
        conv[0].json()["data"]["id"],
        payload["data"]["conversation_id"]
    );
    assert_eq!(conv[0].header("authorization"), "", "no token, no header");
    assert_signed(&conv[0], convs["secret"].as_str().unwrap());

    // A test ping; then the log shows the deliveries with their answers.
    let id = messages["id"].as_str().unwrap();
    let (status, ping) = call(&w, &admin, "POST", &format!("/webhooks/{id}/test"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ping}");
    let pings = r
        .until("/messages", |h| {
            h.iter().any(|h| h.json()["type"] == "webhook.test")
        })
        .await;
    let ping_hit = pings
        .iter()
        .find(|h| h.json()["type"] == "webhook.test")
        .unwrap();
    assert_eq!(
        ping_hit.header("webhook-id"),
        ping["msg_id"].as_str().unwrap()
    );
    assert_signed(ping_hit, &secret);
    let all = r.until("/messages", |h| h.len() >= 2).await;
    reference_accepts(&all, &secret, &format!("out-{backend:?}"));
    let (_, log) = call(
        &w,
        &admin,
        "GET",
        &format!("/webhooks/{id}/deliveries"),
        None,
    )
    .await;
    let log = log["deliveries"].as_array().unwrap();
    let delivered = log
        .iter()
        .find(|d| d["event_type"] == "messages.insert")
        .unwrap();
    assert_eq!(
        (
            delivered["state"].as_str(),
            delivered["last_status"].as_i64()
        ),
        (Some("delivered"), Some(200))
    );
    assert_eq!(delivered["last_response"], "thanks");

    // Rotation: both secrets sign for a while; deletion stops the endpoint.
    let (_, rotated) = call(
        &w,
        &admin,
        "POST",
        &format!("/webhooks/{id}/rotate-secret"),
        None,
    )
    .await;
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    call(&w, &admin, "POST", &format!("/webhooks/{id}/test"), None).await;
    let after = r
        .until("/messages", |h| {
            h.iter()
                .filter(|h| h.json()["type"] == "webhook.test")
                .count()
                == 2
        })
        .await;
    let second = after
        .iter()
        .rfind(|h| h.json()["type"] == "webhook.test")
        .unwrap();
    let both = second.header("webhook-signature");
    assert_eq!(both.split(' ').count(), 2, "{both}");
    let id_ts = (
        second.header("webhook-id"),
        second.header("webhook-timestamp").parse::<i64>().unwrap(),
    );
    for s in [&new_secret, &secret] {
        let one = sign(&[s.as_str()], id_ts.0, id_ts.1, second.body.as_bytes()).unwrap();
        assert!(both.split(' ').any(|e| e == one), "signed with each secret");
    }
    let (status, _) = call(&w, &admin, "DELETE", &format!("/webhooks/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&w, &admin, "GET", &format!("/webhooks/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    w.stop().await;
}

async fn failures_retry_with_one_webhook_id_and_410_disables(backend: Backend) {
    let Some(w) = start(backend, true).await else {
        return;
    };
    let r = Receiver::start().await;
    let admin = key_with_role(&*w.ts.store, w.account.org_id, Role::Admin).await;
    r.script("/flaky", &[(503, None), (302, None), (500, Some("0"))]);
    r.script("/gone", &[(410, None)]);
    let flaky = create(
        &w,
        &admin,
        json!({"url": r.url("/flaky"), "table_name": "messages", "operations": ["insert"]}),
    )
    .await;
    let gone = create(
        &w,
        &admin,
        json!({"url": r.url("/gone"), "table_name": "messages"}),
    )
    .await;
    let wamid = w.customer_writes("5215551234567", "uno").await;

    let tries = r.until("/flaky", |h| h.len() >= 4).await;
    let ids: Vec<&str> = tries.iter().map(|h| h.header("webhook-id")).collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "one webhook-id across retries: {ids:?}"
    );
    assert!(
        tries
            .iter()
            .all(|h| h.json()["data"]["external_id"] == wamid)
    );
    let fid = flaky["id"].as_str().unwrap();
    let log = deliveries_until(&w, &admin, &format!("/webhooks/{fid}/deliveries"), |d| {
        d[0]["state"] == "delivered"
    })
    .await;
    assert_eq!(log[0]["attempts"], 4);
    let (_, endpoint) = call(&w, &admin, "GET", &format!("/webhooks/{fid}"), None).await;
    assert_eq!(
        (endpoint["enabled"].as_bool(), &endpoint["failing_since"]),
        (Some(true), &Value::Null)
    );

    // 410: the endpoint is disabled and gets nothing more, until enabled again.
    let gid = gone["id"].as_str().unwrap();
    r.until("/gone", |h| h.len() == 1).await;
    let log = deliveries_until(&w, &admin, &format!("/webhooks/{gid}/deliveries"), |d| {
        d[0]["state"] == "failed"
    })
    .await;
    assert_eq!(log[0]["last_status"], 410);
    let (_, endpoint) = call(&w, &admin, "GET", &format!("/webhooks/{gid}"), None).await;
    assert_eq!(
        (
            endpoint["enabled"].as_bool(),
            endpoint["disabled_reason"].as_str()
        ),
        (Some(false), Some("410 Gone"))
    );
    let two = w.customer_writes("5215551234567", "dos").await;
    r.until("/flaky", |h| {
        h.iter().any(|h| h.json()["data"]["external_id"] == two)
    })
    .await;
    assert_eq!(
        r.until("/gone", |_| true).await.len(),
        1,
        "a disabled endpoint gets nothing"
    );

    // Enabled again, its failed delivery recovered (and retried by hand): it arrives.
    let (status, _) = call(
        &w,
        &admin,
        "PATCH",
        &format!("/webhooks/{gid}"),
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let recover = format!("/webhooks/{gid}/recover");
    let (status, err) = call(&w, &admin, "POST", &recover, Some(json!({"since": "soon"}))).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_parameter"))
    );
    let since = json!({"since": "2000-01-01T00:00:00Z"});
    let (status, recovered) = call(&w, &admin, "POST", &recover, Some(since)).await;
    assert_eq!(
        (status, recovered["recovered"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{recovered}"
    );
    let did = log[0]["id"].as_str().unwrap();
    let (status, _) = call(
        &w,
        &admin,
        "POST",
        &format!("/deliveries/{did}/retry"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // (It also gets what was committed while it was disabled: the cursor waited.)
    let first = r
        .hits()
        .iter()
        .find(|h| h.path == "/gone")
        .unwrap()
        .header("webhook-id")
        .to_string();
    r.until("/gone", |h| {
        h.iter().filter(|h| h.header("webhook-id") == first).count() >= 2
    })
    .await;
    r.until("/gone", |h| {
        h.iter().any(|h| h.json()["data"]["external_id"] == two)
    })
    .await;
    w.stop().await;
}

/// An endpoint that never answers holds its own attempts (at most `per_endpoint` in
/// flight) while another endpoint of the org gets every event.
async fn a_hanging_endpoint_delays_no_other(backend: Backend) {
    let config = wakit_server::deliveries::OutboundConfig {
        timeout: Duration::from_secs(60),
        ..outbound(true)
    };
    let per_endpoint = config.per_endpoint;
    let Some(w) = start_with(backend, config).await else {
        return;
    };
    let r = Receiver::start().await;
    let admin = key_with_role(&*w.ts.store, w.account.org_id, Role::Admin).await;
    create(
        &w,
        &admin,
        json!({"url": r.url("/hang"), "table_name": "messages", "operations": ["insert"]}),
    )
    .await;
    create(
        &w,
        &admin,
        json!({"url": r.url("/ok"), "table_name": "messages", "operations": ["insert"]}),
    )
    .await;
    let mut wamids = Vec::new();
    for i in 0..10 {
        wamids.push(
            w.customer_writes(&format!("52155512340{i:02}"), "hola")
                .await,
        );
    }
    r.until("/ok", |h| {
        wamids
            .iter()
            .all(|id| h.iter().any(|h| h.json()["data"]["external_id"] == *id))
    })
    .await;
    let hanging = r.hits().iter().filter(|h| h.path == "/hang").count();
    assert!(
        (1..=per_endpoint).contains(&hanging),
        "the hanging endpoint holds at most {per_endpoint} attempts: {hanging}"
    );
    w.stop().await;
}
