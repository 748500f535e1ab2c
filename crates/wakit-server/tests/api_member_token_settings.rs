//! The management routes the dashboard's settings pages use — webhooks and their
//! deliveries, AI agents and their settings, numbers and their health — with a
//! signed-in person's `/auth/v1` access token, over HTTP with the sandbox as Meta and a
//! receiver on 127.0.0.1, on both engines: an admin manages the organization named by
//! `organization_id`; a plain member is refused (403); nobody reaches an organization
//! they are not a member of, nor another organization's endpoint by its id.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::auth::{JWT_SECRET, person_token};
use common::outbound::{deliveries_until, outbound};
use common::receiver::Receiver;
use common::sandbox::{World, fast_dispatch, world_with};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wakit_core::{OrgId, Role};
use wakit_server::ApiConfig;
use wakit_server::routes::auth::JwtSecret;
use wakit_sim::Quirks;
use wakit_store_tests::{Backend, TestStore};

async fn signed_world(ts: TestStore) -> World {
    let mut api = ApiConfig {
        webhooks: outbound(true),
        rate_limit: None,
        ..ApiConfig::default()
    };
    api.auth.secret = JwtSecret::new(JWT_SECRET.as_bytes()).unwrap();
    world_with(ts, Quirks::none(), fast_dispatch(), api).await
}

/// A person `email` with these roles: their access token.
async fn person(w: &World, email: &str, roles: &[(OrgId, Role)]) -> String {
    person_token(&*w.ts.store, &w.server.root(), email, roles).await
}

/// `METHOD {path}?organization_id={org}` with `bearer`: status and JSON body.
async fn call(
    w: &World,
    bearer: &str,
    method: &str,
    path: &str,
    org: OrgId,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let path = format!("{path}{sep}organization_id={}", org.0);
    common::outbound::call(w, bearer, method, &path, body).await
}

async fn an_admins_token_manages_webhooks_and_deliveries(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = signed_world(ts).await;
    let org_a = w.account.org_id;
    let org_b = w.ts.store.create_org("Org B", "UTC").await.unwrap().id;
    let org_c = w.ts.store.create_org("Org C", "UTC").await.unwrap().id;
    let admin = person(&w, "admin@example.com", &[(org_a, Role::Admin)]).await;
    let member = person(
        &w,
        "member@example.com",
        &[(org_a, Role::Member), (org_b, Role::Admin)],
    )
    .await;
    let receiver = Receiver::start().await;

    let body =
        json!({"url": receiver.url("/ok"), "table_name": "messages", "operations": ["insert"]});
    let (status, created) = call(&w, &admin, "POST", "/webhooks", org_a, Some(body.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    let id = created["id"].as_str().unwrap().to_string();
    let (status, list) = call(&w, &admin, "GET", "/webhooks", org_a, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 1);
    assert!(list["webhooks"][0].get("secret").is_none(), "{list}");

    // A test delivery reaches the receiver and shows in the log with its status.
    let path = format!("/webhooks/{id}/test");
    let (status, queued) = call(&w, &admin, "POST", &path, org_a, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    let log = format!("/webhooks/{id}/deliveries?organization_id={}", org_a.0);
    let done = deliveries_until(&w, &admin, &log, |l| l[0]["last_status"] == 200).await;
    assert_eq!(done[0]["event_type"], "webhook.test");
    assert_eq!(done[0]["attempts"], 1);
    let retry = format!("/deliveries/{}/retry", done[0]["id"].as_str().unwrap());
    let (status, again) = call(&w, &admin, "POST", &retry, org_a, None).await;
    assert!(status.is_success(), "{status} {again}");

    // A member of org A (an admin elsewhere) is refused in A; in B their own admin
    // rights do not reach A's endpoint by its id.
    let (status, refused) = call(&w, &member, "GET", "/webhooks", org_a, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, refused) = call(&w, &member, "POST", "/webhooks", org_a, Some(body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, list) = call(&w, &member, "GET", "/webhooks", org_b, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["webhooks"], json!([]));
    for (method, path) in [
        ("GET", format!("/webhooks/{id}/deliveries")),
        ("POST", format!("/webhooks/{id}/test")),
        ("DELETE", format!("/webhooks/{id}")),
    ] {
        let (status, body) = call(&w, &member, method, &path, org_b, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
    }
    // Not a member of C at all.
    let (status, refused) = call(&w, &admin, "GET", "/webhooks", org_c, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");

    let (status, _) = call(
        &w,
        &admin,
        "DELETE",
        &format!("/webhooks/{id}"),
        org_a,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = call(&w, &admin, "GET", "/webhooks", org_a, None).await;
    assert_eq!(list["webhooks"], json!([]));
    w.server.stop().await;
    w.sim.shutdown().await;
}

async fn an_admins_token_manages_ai_agents_and_reads_numbers(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = signed_world(ts).await;
    let org_a = w.account.org_id;
    let admin = person(&w, "admin@example.com", &[(org_a, Role::Admin)]).await;
    let member = person(&w, "member@example.com", &[(org_a, Role::Member)]).await;

    let agent = json!({"name": "Sofía", "extra": {"api_url": w.sim.model_url(), "model": "sim",
        "instructions": "Be brief.", "api_key": "sk-provider-secret"}});
    let (status, created) = call(&w, &admin, "POST", "/agents", org_a, Some(agent.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(
        !created.to_string().contains("sk-provider-secret"),
        "{created}"
    );
    let (status, list) = call(&w, &admin, "GET", "/agents", org_a, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(list.to_string().contains("Sofía"), "{list}");
    let settings = json!({"welcome_message": "¡Hola!", "response_delay_seconds": 3});
    let (status, changed) = call(
        &w,
        &admin,
        "PATCH",
        "/agent-settings",
        org_a,
        Some(settings),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["welcome_message"], "¡Hola!");
    let (status, refused) = call(&w, &member, "POST", "/agents", org_a, Some(agent)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");

    // A conversation's agent state: any member reads it, admins pause and resume it.
    w.customer_writes("5215511119999", "hola").await;
    let convs =
        w.ts.store
            .list_conversations(org_a, w.account.id, 10)
            .await
            .unwrap();
    let path = format!("/conversations/{}/agent", convs[0].id);
    let (status, state) = call(&w, &member, "GET", &path, org_a, None).await;
    assert_eq!(status, StatusCode::OK, "{state}");
    assert_eq!(
        (state["active_agents"].as_u64(), state["paused"].as_bool()),
        (Some(1), Some(false))
    );
    let pause = Some(json!({"paused": true}));
    let (status, _) = call(&w, &member, "POST", &path, org_a, pause.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, state) = call(&w, &admin, "POST", &path, org_a, pause).await;
    assert_eq!(
        (status, state["paused"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{state}"
    );
    let (_, state) = call(&w, &member, "GET", &path, org_a, None).await;
    assert_eq!(state["paused"], true, "{state}");
    let org_b = w.ts.store.create_org("Org B", "UTC").await.unwrap().id;
    let stranger = person(&w, "b@example.com", &[(org_b, Role::Owner)]).await;
    let (status, _) = call(&w, &stranger, "GET", &path, org_a, None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "another org's person reads nothing"
    );
    let (status, _) = call(&w, &stranger, "GET", &path, org_b, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nor through their own org");

    // Numbers and their health: any member.
    let (status, accounts) = call(&w, &member, "GET", "/accounts", org_a, None).await;
    assert_eq!(status, StatusCode::OK, "{accounts}");
    assert!(
        accounts.to_string().contains(&w.account.phone_number_id),
        "{accounts}"
    );
    let (status, health) = call(&w, &member, "GET", "/health", org_a, None).await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(health["accounts"].as_array().unwrap().len(), 1, "{health}");
    w.server.stop().await;
    w.sim.shutdown().await;
}

on_both_backends!(
    an_admins_token_manages_webhooks_and_deliveries,
    an_admins_token_manages_ai_agents_and_reads_numbers,
);
