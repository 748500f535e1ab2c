//! The REST API routes people use from the dashboard — the event stream, templates and
//! read receipts — with a signed-in person's `/auth/v1` access token instead of an API
//! key, over HTTP with the sandbox as Meta, on both engines: the person acts in the
//! organization named by `organization_id` (or their only one) with their role there,
//! never in one they are not a member of, and sees only its events.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::auth::JWT_SECRET;
use common::sandbox::{World, connect_number, fast_dispatch, world_with};
use common::sse::{Stream, inserted};
use serde_json::{Value, json};
use wakit_core::{OrgId, Role};
use wakit_server::ApiConfig;
use wakit_server::routes::auth::{AuthConfig, JwtSecret};
use wakit_sim::{Quirks, TemplateSpec};
use wakit_store_tests::{Backend, TestStore};

const EMAIL: &str = "agent@example.com";

fn secret() -> JwtSecret {
    JwtSecret::new(JWT_SECRET.as_bytes()).unwrap()
}

async fn signed_world(ts: TestStore) -> World {
    let api = ApiConfig {
        auth: AuthConfig {
            secret: secret(),
            ..AuthConfig::default()
        },
        ..ApiConfig::default()
    };
    world_with(ts, Quirks::none(), fast_dispatch(), api).await
}

/// A person who is a member of `org` with `role`; their access token.
async fn member(w: &World, org: OrgId, role: Role) -> String {
    common::auth::person_token(&*w.ts.store, &w.server.root(), EMAIL, &[(org, role)]).await
}

/// `GET {path}` with `bearer`: status and body.
async fn get(w: &World, path: &str, bearer: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", w.server.base))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn a_members_token_streams_its_organizations_events(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = signed_world(ts).await;
    let org_a = w.account.org_id;
    let token = member(&w, org_a, Role::Member).await;
    // Their only organization: no organization_id needed.
    let mut stream = Stream::open(&w, &token, None, "").await;
    let wamid = w.customer_writes("5215551234567", "hola").await;
    let seen = stream.until(|e| inserted(e, &wamid)).await;
    let last = seen.last().unwrap();
    assert_eq!(last.2["data"]["organization_id"], org_a.0.to_string());

    // A second organization: now the person must say which one.
    let org_b = w.ts.store.create_org("Org B", "UTC").await.unwrap().id;
    let (b_number, _) = connect_number(&w.ts, &w.sim, org_b, "15550405258").await;
    let user = w.ts.store.user_credentials(EMAIL).await.unwrap().unwrap().0;
    w.ts.store
        .add_member(org_b, user.id, Role::Admin)
        .await
        .unwrap();
    let (status, body) = get(&w, "/events", &token).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "invalid_parameter");
    assert!(body["error"].as_str().unwrap().contains("organization_id"));
    let query = format!("organization_id={}", org_b.0);
    let mut on_b = Stream::open(&w, &token, None, &query).await;
    let to_a = w.customer_writes("5215551234567", "para A").await;
    let to_b = w
        .sim
        .customer_writes(
            &b_number.phone_number_id,
            "5215551234567",
            Some("Maria"),
            wakit_sim::Inbound::text("para B"),
        )
        .unwrap();
    let seen = on_b.until(|e| inserted(e, &to_b)).await;
    for (_, _, body) in &seen {
        assert_eq!(
            body["data"]["organization_id"],
            org_b.0.to_string(),
            "{body}"
        );
        assert_ne!(body["data"]["external_id"], to_a.as_str());
    }
    w.stop().await;
}

async fn a_person_never_acts_outside_their_organizations(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = signed_world(ts).await;
    let token = member(&w, w.account.org_id, Role::Member).await;
    let other = w.ts.store.create_org("Other", "UTC").await.unwrap().id;
    let not_mine = format!("/events?organization_id={}", other.0);
    let (status, body) = get(&w, &not_mine, &token).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    let templates = format!("/templates?organization_id={}", other.0);
    assert_eq!(get(&w, &templates, &token).await.0, 403);
    let (status, body) = get(&w, "/events?organization_id=nope", &token).await;
    assert_eq!(status, 400, "{body}");
    // Not tokens of a person: refused as unauthenticated.
    let anon = secret().api_key(false).unwrap();
    let forged = JwtSecret::random()
        .access_token(
            &w.ts.store.user_credentials(EMAIL).await.unwrap().unwrap().0,
            wakit_store::SessionId::new(),
            chrono::Utc::now(),
            60,
        )
        .unwrap();
    for bad in [anon.as_str(), forged.as_str(), "a.b.c"] {
        let (status, body) = get(&w, "/events", bad).await;
        assert_eq!(status, 401, "{bad}: {body}");
    }
    w.stop().await;
}

async fn a_members_token_reads_templates_and_marks_read(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = signed_world(ts).await;
    let org = w.account.org_id;
    w.sim
        .add_template(
            &w.account.waba_id,
            TemplateSpec::body("hello_world", "es", "UTILITY", "¡Hola!"),
        )
        .unwrap();
    let token = member(&w, org, Role::Member).await;
    let (status, body) = get(&w, &format!("/templates?organization_id={}", org.0), &token).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["templates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "hello_world"),
        "{body}"
    );
    let wamid = w.customer_writes("5215551234567", "hola").await;
    let read = reqwest::Client::new()
        .post(format!("{}/conversation/read", w.server.base))
        .bearer_auth(&token)
        .json(&json!({"contact_phone": "5215551234567"}))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 202);
    let body: Value = read.json().await.unwrap();
    assert_eq!(body["wamid"], wamid.as_str());
    w.stop().await;
}

on_both_backends!(
    a_members_token_streams_its_organizations_events,
    a_person_never_acts_outside_their_organizations,
    a_members_token_reads_templates_and_marks_read
);
