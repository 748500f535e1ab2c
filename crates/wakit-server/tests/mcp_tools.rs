//! The MCP tools beyond the hosted seven (`wait_for_message`, `mark_read`), and a revoked
//! key, over plain JSON-RPC on `/functions/v1/mcp` (stateless, protocol 2025-11-25)
//! against the real server and the Meta sandbox, on both engines.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::api::{conversation_until, expect_error};
use common::sandbox::{World, fast_dispatch, world};
use serde_json::{Value, json};
use std::time::Duration;
use wakit_api::ReadRequest;
use wakit_sim::Quirks;
use wakit_store_tests::{Backend, TestStore};

const CUSTOMER: &str = "5215551234567";

/// Calls `name` with `args` under a key of the world's org (and extra headers); the
/// JSON-RPC result.
async fn call(w: &World, key: &str, name: &str, args: Value, headers: &[(&str, &str)]) -> Value {
    let url = format!("{}/functions/v1/mcp", w.server.root());
    let mut req = reqwest::Client::new()
        .post(url)
        .bearer_auth(key)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": name, "arguments": args}}));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    body["result"].clone()
}

/// The tool's one sentence when it failed.
fn error_text(result: &Value) -> &str {
    assert_eq!(result["isError"], true, "{result}");
    result["content"][0]["text"].as_str().unwrap()
}

async fn wait_for_message_returns_the_next_incoming_message(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let key = w.api_key().await;
    w.customer_writes(CUSTOMER, "hola").await;

    let quiet = call(
        &w,
        &key,
        "wait_for_message",
        json!({"contact_phone": CUSTOMER, "timeout_s": 1}),
        &[],
    )
    .await;
    assert_eq!(quiet["structuredContent"]["timed_out"], true, "{quiet}");
    assert_eq!(quiet["structuredContent"]["message"], Value::Null);

    let args = json!({"contact_phone": CUSTOMER, "timeout_s": 20});
    let waiting = call(&w, &key, "wait_for_message", args, &[]);
    let writes = async {
        tokio::time::sleep(Duration::from_millis(600)).await;
        w.customer_writes(CUSTOMER, "¿sigues ahí?").await
    };
    let (woke, wamid) = tokio::join!(waiting, writes);
    let found = &woke["structuredContent"];
    assert_eq!(found["timed_out"], false, "{woke}");
    assert_eq!(found["message"]["content"]["text"], "¿sigues ahí?");
    assert_eq!(found["message"]["wamid"], wamid.as_str());

    // Arguments outside the input schema are an isError result too (rmcp's sentence).
    let wrong = call(&w, &key, "wait_for_message", json!({"timeout_s": 1}), &[]).await;
    assert_eq!(
        error_text(&wrong),
        "failed to deserialize parameters: missing field `contact_phone`"
    );
    let long = call(
        &w,
        &key,
        "wait_for_message",
        json!({"contact_phone": CUSTOMER, "timeout_s": 600}),
        &[],
    )
    .await;
    assert_eq!(
        error_text(&long),
        "timeout_s must be between 1 and 50 (got 600)"
    );
    let other = [("Allowed-Contacts", "15550000000")];
    let refused = call(
        &w,
        &key,
        "wait_for_message",
        json!({"contact_phone": CUSTOMER}),
        &other,
    )
    .await;
    assert!(error_text(&refused).contains("not allowed"), "{refused}");
    w.stop().await;
}

/// `mark_read` queues the read receipt of the contact's newest incoming message: Meta gets
/// it and the message shows `read`; the REST route behind it says when there is nothing
/// to mark.
async fn mark_read_sends_the_read_receipt(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let key = w.api_key().await;
    w.customer_writes(CUSTOMER, "hola").await;
    let wamid = w.customer_writes(CUSTOMER, "¿hay alguien?").await;
    let marked = call(
        &w,
        &key,
        "mark_read",
        json!({"contact_phone": CUSTOMER}),
        &[],
    )
    .await;
    assert_eq!(marked["structuredContent"]["status"], "queued", "{marked}");
    assert_eq!(marked["structuredContent"]["wamid"], wamid.as_str());
    let api = w.client().await;
    let conv = conversation_until(&api, CUSTOMER, |c| c.messages[1].status == "read").await;
    assert_eq!(conv.messages[1].status, "read");
    let receipts = w.sim.read_receipts();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].message_id, wamid);

    let nobody = ReadRequest {
        contact_phone: "5215550009999".into(),
        account_phone: None,
    };
    let e = expect_error(api.mark_read(&nobody).await, 404, "not_found");
    assert_eq!(
        e.error,
        "No incoming message from 5215550009999 to mark read"
    );
    w.stop().await;
}

/// A revoked key opens nothing: 401 `Invalid API key`, the key never echoed.
async fn a_revoked_key_is_refused(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let key = wakit_store::secrets::generate_api_key();
    let new = wakit_store::NewApiKey {
        name: "assistant".into(),
        role: wakit_core::Role::Member,
        hash: key.hash.clone(),
        prefix: key.prefix.clone(),
    };
    let org = w.account.org_id;
    let record = w.ts.store.create_api_key(org, new).await.unwrap();
    w.ts.store
        .revoke_api_key(Some(org), record.id)
        .await
        .unwrap();
    let resp = reqwest::Client::new()
        .post(format!("{}/functions/v1/mcp", w.server.root()))
        .bearer_auth(&key.plain)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("Invalid API key") && !body.contains(&key.plain),
        "{body}"
    );
    w.stop().await;
}

on_both_backends!(
    wait_for_message_returns_the_next_incoming_message,
    mark_read_sends_the_read_receipt,
    a_revoked_key_is_refused
);
