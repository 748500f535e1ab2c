//! The MCP server through the official clients: the TypeScript SDK
//! (`@modelcontextprotocol/sdk`, pinned by tests/mcp/package-lock.json) and the Python SDK
//! (`mcp`, pinned by tests/mcp/requirements.txt, in target/py-mcp) list the tools
//! with their schemas and calls every one against the real server and the Meta sandbox,
//! with the allowed lists, another org's key and the auth errors (tests/mcp/check_mcp.mjs
//! and check_mcp.py say what each step expects), on both engines. The `Host`/`Origin` checks against DNS
//! rebinding are checked here with plain HTTP.
//!
//! Without node, python or the installed packages a client check is skipped with a loud
//! NOTE, except under `CI=true` (.ci/run installs both there first).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
#[allow(dead_code)]
#[path = "../../wakit-sim/tests/common/external.rs"]
mod external;

use common::auth::run_steps;
use common::sandbox::{World, connect_number, fast_dispatch, key_with_role, new_key, world};
use external::exactly;
use std::path::{Path, PathBuf};
use wakit_core::Role;
use wakit_sim::{Quirks, TemplateSpec};
use wakit_store_tests::{Backend, TestStore};

const SDK_VERSION: &str = "1.32.2";
const PY_SDK_VERSION: &str = "2.3.0";
const CUSTOMER: &str = "5215551234567";
const OTHER: &str = "5215557654321";
const TEMPLATE: &str = "promo_a";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp")
}

fn sdk_ready() -> bool {
    let package = dir().join("node_modules/@modelcontextprotocol/sdk/package.json");
    let read = format!(
        "console.log(JSON.parse(require('fs').readFileSync({:?}, 'utf8')).version)",
        package.display().to_string()
    );
    let found = exactly(
        "@modelcontextprotocol/sdk",
        external::probe("node", &["-e", &read]),
        SDK_VERSION,
    );
    external::ready(
        "MCP TypeScript SDK",
        "npm ci --prefix crates/wakit-server/tests/mcp",
        found,
    )
}

/// Org A with a number, a template, a quick reply and two customers who wrote; org B
/// with a number.
/// Returns the world and org B's key.
async fn two_orgs(ts: TestStore) -> (World, String) {
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let spec = TemplateSpec::body(TEMPLATE, "es", "MARKETING", "Solo A");
    w.sim
        .add_template(&w.account.waba_id, spec)
        .expect("template");
    w.customer_writes(CUSTOMER, "hola").await;
    w.customer_writes(OTHER, "buenas").await;
    let org_b = w.ts.store.create_org("Org B", "UTC").await.expect("org b");
    connect_number(&w.ts, &w.sim, org_b.id, "15550405258").await;
    let key_b = new_key(&*w.ts.store, org_b.id).await;
    let reply = serde_json::json!({"organization_id": w.account.org_id.to_string(),
                                   "name": "gracias", "content": "¡Gracias por escribir!"});
    let made = reqwest::Client::new()
        .post(format!("{}/rest/v1/quick_replies", w.server.root()))
        .bearer_auth(key_with_role(&*w.ts.store, w.account.org_id, Role::Admin).await)
        .json(&reply)
        .send()
        .await
        .expect("quick reply");
    assert_eq!(made.status(), 201, "{:?}", made.text().await);
    (w, key_b)
}

fn python_sdk_ready() -> bool {
    let found = exactly(
        "mcp (Python)",
        external::probe(
            &python(),
            &[
                "-c",
                "import importlib.metadata as m; print(m.version('mcp'))",
            ],
        ),
        PY_SDK_VERSION,
    );
    external::ready(
        "MCP Python SDK",
        "python3 -m venv target/py-mcp && target/py-mcp/bin/pip install -r crates/wakit-server/tests/mcp/requirements.txt",
        found,
    )
}

/// The virtualenv's interpreter (`target/py-mcp`, made by .ci/run).
fn python() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/py-mcp/bin/python");
    root.display().to_string()
}

/// Runs a client's check script with the two orgs' world.
async fn client_check(backend: Backend, program: &str, script: &str, min_steps: usize) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let (w, key_b) = two_orgs(ts).await;
    let key_a = w.api_key().await;
    let script = dir().join(script);
    let mut cmd = std::process::Command::new(program);
    let account = w.account.phone.digits().to_string();
    cmd.arg(&script).args([
        &w.server.root(),
        &key_a,
        &key_b,
        CUSTOMER,
        OTHER,
        &account,
        TEMPLATE,
    ]);
    run_steps(cmd, &script, min_steps).await;
    w.stop().await;
}

async fn typescript_sdk_lists_and_calls_every_tool(backend: Backend) {
    if sdk_ready() {
        client_check(backend, "node", "check_mcp.mjs", 33).await;
    }
}

async fn python_sdk_lists_and_calls_every_tool(backend: Backend) {
    if python_sdk_ready() {
        client_check(backend, &python(), "check_mcp.py", 19).await;
    }
}

/// A page on another site that resolves to this server (DNS rebinding) is refused by
/// its `Host` and by its `Origin`, even with a valid key; loopback is served. An
/// unsupported `MCP-Protocol-Version` is refused; the tools' schemas are 2020-12.
async fn foreign_hosts_and_origins_are_refused(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let key = w.api_key().await;
    let url = format!("{}/functions/v1/mcp", w.server.root());
    let http = reqwest::Client::new();
    let list = |extra: Option<(&'static str, &'static str)>| {
        let mut req = http
            .post(&url)
            .bearer_auth(&key)
            .header("accept", "application/json, text/event-stream")
            .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}));
        let version = match extra {
            Some(("mcp-protocol-version", v)) => v,
            _ => "2025-11-25",
        };
        req = req.header("mcp-protocol-version", version);
        if let Some((name, value)) = extra.filter(|(n, _)| *n != "mcp-protocol-version") {
            req = req.header(name, value);
        }
        req.send()
    };
    assert_eq!(list(None).await.unwrap().status(), 200);
    let local = list(Some(("origin", "http://localhost:5173")))
        .await
        .unwrap();
    assert_eq!(local.status(), 200);
    let host = list(Some(("host", "evil.example"))).await.unwrap();
    assert_eq!(host.status(), 403);
    let origin = list(Some(("origin", "http://evil.example"))).await.unwrap();
    assert_eq!(origin.status(), 403);

    // What the MCP conformance suite checks besides: an unsupported protocol revision is
    // 400, and the schemas are JSON Schema 2020-12.
    let old = list(Some(("mcp-protocol-version", "1999-01-01")))
        .await
        .unwrap();
    assert_eq!(old.status(), 400);
    let listed: serde_json::Value = list(None).await.unwrap().json().await.unwrap();
    let tools = listed["result"]["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 10, "{listed}");
    for tool in tools {
        for schema in [&tool["inputSchema"], &tool["outputSchema"]] {
            assert_eq!(schema["type"], "object", "{tool}");
            let dialect = schema.get("$schema").and_then(|s| s.as_str());
            assert!(dialect.is_none_or(|d| d.contains("2020-12")), "{tool}");
        }
    }
    w.stop().await;
}

on_both_backends!(
    typescript_sdk_lists_and_calls_every_tool,
    python_sdk_lists_and_calls_every_tool,
    foreign_hosts_and_origins_are_refused
);
