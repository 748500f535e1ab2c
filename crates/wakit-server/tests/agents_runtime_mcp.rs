//! A remote MCP server's tools end to end, on both engines: the agent's `mcp` tool points
//! at the test server's own `/functions/v1/mcp` (with an API key header, private
//! addresses allowed for the test); only `allowed_tools` are offered, as
//! `<label>__<tool>`; the sandbox model calls `list_conversations` and the result reaches
//! the customer. A wrong key leaves the server out of the turn without failing it. The
//! header carrying the key is set through `/functions/v1/api/agents`: sealed at rest,
//! hidden on reads, and kept when a read configuration is written back.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::agents::{CUSTOMER, agent_world_with, set_tools, settings, wait_texts};
use common::sandbox::key_with_role;
use serde_json::{Value, json};
use wakit_core::Role;
use wakit_server::workers::agents::AgentRuntimeConfig;
use wakit_sim::ModelStep;
use wakit_store_tests::Backend;

/// The function names offered in the sandbox model's `n`th request.
fn offered(w: &common::sandbox::World, n: usize) -> Vec<String> {
    let tools = w.sim.model_requests()[n].body["tools"].clone();
    let names = tools.as_array().cloned().unwrap_or_default();
    names
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_string())
        .collect()
}

fn mcp_tool(url: &str, key: &str) -> Value {
    json!([{"provider": "local", "type": "mcp", "label": "wakit",
        "config": {"url": url, "headers": {"Authorization": format!("Bearer {key}")},
            "allowed_tools": ["list_conversations"]}}])
}

async fn an_mcp_servers_tools_answer_the_customer(backend: Backend) {
    let runtime = AgentRuntimeConfig {
        allow_private_http: true,
        ..AgentRuntimeConfig::default()
    };
    let Some((w, agent)) = agent_world_with(backend, settings(0, None), runtime).await else {
        return;
    };
    let url = format!("{}/functions/v1/mcp", w.server.root());
    let key = w.api_key().await;
    let api = format!("{}/functions/v1/api/agents/{agent}", w.server.root());
    let http = reqwest::Client::new();
    let admin = key_with_role(&*w.ts.store, w.account.org_id, Role::Admin).await;
    let patch = |extra: Value| {
        let body = json!({ "extra": extra });
        http.patch(&api).bearer_auth(&admin).json(&body)
    };
    let r = patch(json!({"tools": mcp_tool(&url, &key)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let shown: Value = r.json().await.unwrap();
    let header = &shown["extra"]["tools"][0]["config"]["headers"]["Authorization"];
    assert_eq!(header, "[hidden]", "reads never show a tool header's value");
    let stored =
        w.ts.store
            .get_ai_agent(w.account.org_id, agent)
            .await
            .unwrap();
    let at_rest = stored
        .config
        .tool_header(0, "Authorization")
        .unwrap()
        .to_string();
    assert!(
        at_rest.contains("wakit-sealed:v1:") && !at_rest.contains(&key),
        "{at_rest}"
    );
    // The configuration as read, written back with a change: the sealed header is kept.
    let mut extra = shown["extra"].clone();
    extra["instructions"] = json!("Use the tools.");
    let r = patch(extra).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mut hidden_new = mcp_tool(&url, &key);
    hidden_new[0]["config"]["headers"]["X-New"] = json!("[hidden]");
    let r = patch(json!({"tools": hidden_new})).send().await.unwrap();
    assert_eq!(
        r.status(),
        400,
        "a hidden value with nothing stored behind it is refused"
    );
    w.sim.script_model(
        None,
        vec![ModelStep::tool(
            "wakit__list_conversations",
            json!({"limit": 1}),
        )],
    );
    w.customer_writes(CUSTOMER, "who wrote last?").await;
    let texts = wait_texts(&w, CUSTOMER, 1).await;
    assert!(
        texts[0].starts_with("Result: ") && texts[0].contains(CUSTOMER),
        "the MCP result reaches the customer: {texts:?}"
    );
    let names = offered(&w, 0);
    assert!(names.contains(&"wakit__list_conversations".to_string()));
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("wakit__") && n != "wakit__list_conversations"),
        "only allowed_tools are offered: {names:?}"
    );

    // A key the server refuses: the server is left out, the turn still answers, and a
    // call of its tool reads as unavailable.
    set_tools(&w, agent, mcp_tool(&url, "sk_not_a_key")).await;
    w.sim.script_model(
        None,
        vec![ModelStep::tool("wakit__list_conversations", json!({}))],
    );
    w.customer_writes(CUSTOMER, "again?").await;
    let texts = wait_texts(&w, CUSTOMER, 2).await;
    assert!(
        texts[1].starts_with("Result: error: no tool named"),
        "{texts:?}"
    );
    let last = w.sim.model_requests().len() - 2;
    assert!(!offered(&w, last).iter().any(|n| n.starts_with("wakit__")));
    w.stop().await;
}

on_both_backends!(an_mcp_servers_tools_answer_the_customer);
