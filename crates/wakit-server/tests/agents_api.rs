//! `/functions/v1/api/agents`, `/agent-settings` and `/conversations/{id}/agent` over
//! HTTP: admin keys configure AI agents, provider keys are sealed and never shown, bad
//! input gets clear 400s, and another org sees and changes nothing.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::sandbox::{connect_number, fast_dispatch, key_with_role, world};
use serde_json::{Value, json};
use wakit_core::{AgentId, Phone, Role};
use wakit_sim::Quirks;
use wakit_store_tests::{Backend, TestStore, fixture::secret_box};

struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert!(!text.contains("sk-secret"), "a provider key leaked: {text}");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }
}

async fn api(w: &common::sandbox::World, org: wakit_core::OrgId, role: Role) -> Api {
    Api {
        http: reqwest::Client::new(),
        base: format!("{}{}", w.server.root(), wakit_api::API_PREFIX),
        key: key_with_role(&*w.ts.store, org, role).await,
    }
}

async fn admins_configure_agents_and_keys_stay_sealed(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let org = w.account.org_id;
    let admin = api(&w, org, Role::Admin).await;
    let member = api(&w, org, Role::Member).await;
    let config = json!({"name": "Sofía", "extra": {"api_url": w.sim.model_url(), "model": "sim",
        "instructions": "Answer briefly.", "api_key": "sk-secret-a", "max_messages": 20,
        "tools": [{"provider": "local", "type": "function", "name": "calculator"}]}});

    let (s, v) = member.post("/agents", config.clone()).await;
    assert_eq!((s, v["code"].as_str()), (403, Some("forbidden")));
    let (s, v) = admin.post("/agents", config).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["has_api_key"].as_bool(), v["ai"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(v["extra"]["model"], "sim");
    assert_eq!(v["extra"].get("api_key"), None);
    let id: AgentId = AgentId(v["id"].as_str().unwrap().parse().unwrap());
    let sealed = w.ts.store.ai_agent_key(org, id).await.unwrap().unwrap();
    assert_eq!(
        secret_box().open(&sealed, &id.to_string()).unwrap(),
        "sk-secret-a"
    );

    for (bad, words) in [
        (
            json!({"name": "x", "extra": {"temperature": 5}}),
            "temperature",
        ),
        (
            json!({"name": "x", "extra": {"api_url": "gopher://x"}}),
            "api_url",
        ),
        (json!({"name": "", "extra": {}}), "name"),
        (json!({"name": "x", "colour": "red"}), "colour"),
    ] {
        let (s, v) = admin.post("/agents", bad.clone()).await;
        assert_eq!(s, 400, "{bad}");
        assert!(v["error"].as_str().unwrap().contains(words), "{bad}: {v}");
    }
    let (s, v) = admin.get("/agents").await;
    assert_eq!((s, v["agents"].as_array().map(Vec::len)), (200, Some(1)));
    let path = format!("/agents/{id}");
    let (s, v) = admin
        .patch(
            &path,
            json!({"extra": {"api_key": null, "mode": "inactive"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["has_api_key"].as_bool(), v["extra"]["mode"].as_str()),
        (Some(false), Some("inactive"))
    );
    assert_eq!(
        v["extra"]["instructions"], "Answer briefly.",
        "merged, not replaced"
    );
    assert_eq!(w.ts.store.ai_agent_key(org, id).await.unwrap(), None);
    let (s, _) = admin.get("/agents/not-a-uuid").await;
    assert_eq!(s, 400);

    let (s, v) = admin
        .patch(
            "/agent-settings",
            json!({"response_delay_seconds": 0, "welcome_message": "¡Hola!",
            "default_agent_id": id.to_string(), "pause_hours": 2}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v,
        json!({"response_delay_seconds": 0, "welcome_message": "¡Hola!",
        "pause_hours": 2, "default_agent_id": id.to_string()})
    );
    let (s, v) = admin
        .patch("/agent-settings", json!({"response_delay_seconds": 9000}))
        .await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = admin
        .patch(
            "/agent-settings",
            json!({"default_agent_id": AgentId::new().to_string()}),
        )
        .await;
    assert!(
        s == 400 && v["error"].as_str().unwrap().contains("no AI agent"),
        "{v}"
    );

    w.customer_writes("5215551234567", "hola").await;
    let phone = Phone::parse("5215551234567").unwrap();
    let conv =
        w.ts.store
            .find_conversation(org, w.account.id, &phone.into())
            .await
            .unwrap()
            .unwrap()
            .id;
    let conv_path = format!("/conversations/{conv}/agent");
    let (s, v) = admin.post(&conv_path, json!({"paused": true})).await;
    assert_eq!((s, v["paused"].as_bool()), (200, Some(true)), "{v}");
    let (s, v) = admin
        .post(
            &conv_path,
            json!({"paused": false, "default_agent_id": id.to_string()}),
        )
        .await;
    assert_eq!((s, v["paused"].as_bool()), (200, Some(false)));
    assert_eq!(v["default_agent_id"], id.to_string());

    // Another organization sees and changes nothing of this one.
    let org_b = w.ts.store.create_org("Org B", "UTC").await.unwrap();
    connect_number(&w.ts, &w.sim, org_b.id, "15550405258").await;
    let b = api(&w, org_b.id, Role::Owner).await;
    let (s, v) = b.get("/agents").await;
    assert_eq!((s, v["agents"].as_array().map(Vec::len)), (200, Some(0)));
    assert_eq!(b.get(&path).await.0, 404);
    assert_eq!(b.patch(&path, json!({"name": "mine"})).await.0, 404);
    assert_eq!(b.post(&conv_path, json!({"paused": true})).await.0, 404);
    let (s, _) = b
        .patch(
            "/agent-settings",
            json!({"default_agent_id": id.to_string()}),
        )
        .await;
    assert_eq!(s, 400, "B cannot route to A's agent");
    let (_, v) = admin.get(&path).await;
    assert_eq!(v["name"], "Sofía");
    w.stop().await;
}

on_both_backends!(admins_configure_agents_and_keys_stay_sealed);
