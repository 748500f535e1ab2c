//! The OpenAPI document served at `/functions/v1/api/openapi.json` against the real
//! routes: every documented operation answers (not 404/405), every other method on a
//! documented path is 405 with an `Allow` listing exactly the documented ones, every
//! seed endpoint is there, every `$ref` resolves, and real answers carry the
//! properties the document marks required.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::sandbox::{fast_dispatch, world};
use serde_json::Value;
use std::collections::BTreeSet;
use wakit_sim::Quirks;
use wakit_store_tests::{Backend, TestStore};

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

fn required(doc: &Value, schema: &str) -> Vec<String> {
    doc["components"]["schemas"][schema]["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn document_matches_routes(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let key = w.api_key().await;
    let base = w.server.base.clone();
    let http = reqwest::Client::new();
    let resp = http
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "served without a key");
    let doc: Value = resp.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));

    let paths = doc["paths"].as_object().unwrap();
    let listed: BTreeSet<String> = paths
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {p}", m.to_uppercase()))
        })
        .collect();
    for op in [
        "GET /accounts",
        "GET /conversations",
        "GET /conversation",
        "GET /messages",
        "POST /messages",
        "GET /contacts",
        "GET /templates",
        "GET /health",
        "GET /ping",
    ] {
        assert!(listed.contains(op), "{op} is documented");
    }

    for (path, ops) in paths {
        let documented: BTreeSet<String> = ops
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_uppercase())
            .collect();
        for method in METHODS {
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let r = http
                .request(m, format!("{base}{path}"))
                .bearer_auth(&key)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let allow = r
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body: Value = r.json().await.unwrap_or(Value::Null);
            if documented.contains(method) {
                assert_ne!(status, 405, "{method} {path} is documented but refused");
                assert_ne!(
                    body["error"], "Route not found",
                    "{method} {path} is documented but not routed"
                );
            } else {
                assert_eq!(
                    status, 405,
                    "{method} {path} is not documented but answered {status}"
                );
                let allowed: BTreeSet<String> = allow
                    .unwrap_or_default()
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty() && s != "HEAD")
                    .collect();
                assert_eq!(allowed, documented, "Allow of {path}");
            }
        }
    }

    // Every operation that needs a key documents the errors it can answer.
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            if op.get("security").is_some() {
                for status in ["401", "429", "503"] {
                    assert!(
                        op["responses"].get(status).is_some(),
                        "{method} {path} documents {status}"
                    );
                }
            }
        }
    }

    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("ref {r}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{r} resolves"
        );
    }

    // Real answers have what the document requires.
    for (path, schema) in [
        ("/accounts", "AccountsResponse"),
        ("/conversations", "ConversationsResponse"),
        ("/contacts", "ContactsResponse"),
        ("/health", "HealthResponse"),
        ("/ping", "PingResponse"),
    ] {
        let body: Value = http
            .get(format!("{base}{path}"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for field in required(&doc, schema) {
            assert!(
                body.get(&field).is_some(),
                "{path} answers {field} ({schema})"
            );
        }
    }
    let err: Value = http
        .get(format!("{base}/accounts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for field in required(&doc, "ErrorBody") {
        assert!(err.get(&field).is_some(), "errors carry {field}");
    }
    w.stop().await;
}

on_both_backends!(document_matches_routes);
