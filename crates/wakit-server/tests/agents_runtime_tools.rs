//! The HTTP `request` tool end to end, on both engines: the sandbox model calls it, the
//! runtime makes the request (here to the sandbox's own control API, with private
//! addresses allowed for the test) and the model answers with the result; a URL outside
//! the configured prefix is refused without a request.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::agents::{CUSTOMER, agent_world_with, set_tools, settings, wait_texts};
use serde_json::json;
use wakit_server::workers::agents::AgentRuntimeConfig;
use wakit_sim::ModelStep;
use wakit_store_tests::Backend;

async fn the_http_tool_reaches_allowed_urls_only(backend: Backend) {
    let runtime = AgentRuntimeConfig {
        allow_private_http: true,
        ..AgentRuntimeConfig::default()
    };
    let Some((w, agent)) = agent_world_with(backend, settings(0, None), runtime).await else {
        return;
    };
    let control = w.sim.control_url();
    let http = json!([{"provider": "local", "type": "http", "label": "sim",
        "config": {"url": format!("{control}/model"), "methods": ["GET"]}}]);
    set_tools(&w, agent, http).await;
    w.sim.script_model(
        None,
        vec![
            ModelStep::tool(
                "request",
                json!({"url": format!("{control}/model"), "method": "GET"}),
            ),
            ModelStep::respond("checked"),
            ModelStep::tool(
                "request",
                json!({"url": format!("{control}/customers"), "method": "GET"}),
            ),
        ],
    );
    w.customer_writes(CUSTOMER, "status?").await;
    assert_eq!(wait_texts(&w, CUSTOMER, 1).await, ["checked"]);
    let second = &w.sim.model_requests()[1].body["messages"];
    let result = second.as_array().unwrap().last().unwrap();
    assert_eq!(result["role"], "tool");
    let content: serde_json::Value =
        serde_json::from_str(result["content"].as_str().unwrap()).unwrap();
    assert_eq!(content["status"], 200);
    assert_eq!(
        content["body"]["requests"], 1,
        "the sandbox model's status, after one call"
    );

    // Outside the prefix: refused, the model reads why and (default script) says so.
    w.customer_writes(CUSTOMER, "customers?").await;
    let texts = wait_texts(&w, CUSTOMER, 2).await;
    assert!(
        texts[1].starts_with("Result: error:") && texts[1].contains("not allowed"),
        "{texts:?}"
    );
    w.stop().await;
}

on_both_backends!(the_http_tool_reaches_allowed_urls_only);
