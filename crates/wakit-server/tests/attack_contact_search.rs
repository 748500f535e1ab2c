//! Contact search cannot be weaponised (security review): an enormous `name` or `number`
//! used to become a huge FTS5 phrase (seconds of CPU and hundreds of MB per request) and
//! a NUL in `name` answered 500. Now each is a clear 400 before the database is touched,
//! on both backends; ordinary searches still work.
//!
//! The index itself was shared by every organization (the organization filter ran after
//! the match, so another tenant's contacts set a search's cost and timing). It is scoped
//! by organization inside the match since migration 0018; what a search reads is checked
//! where it can be counted: `another_orgs_rows_are_never_examined` (SQLite, virtual-machine
//! steps before and after another org gains matching contacts) and
//! `contact_search_reads_no_other_orgs_index_entries` (PostgreSQL, `EXPLAIN ANALYZE`), and
//! the answers by the conformance check `contact_search_is_scoped_by_org`.

mod common;

use common::sandbox::{fast_dispatch, world};
use wakit_sim::Quirks;
use wakit_store_tests::{Backend, TestStore};

async fn oversized_and_control_queries_are_refused(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    w.customer_writes("5215551234567", "hola").await;
    let key = w.api_key().await;
    let http = reqwest::Client::new();
    let get = |query: String| {
        let (http, key, base) = (http.clone(), key.clone(), w.server.base.clone());
        async move {
            let r = http
                .get(format!("{base}/contacts?{query}"))
                .bearer_auth(key)
                .send()
                .await
                .expect("request");
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await.expect("json body");
            (status, body)
        }
    };
    let cases = [
        (
            format!("number={}", "521".repeat(20_000)),
            "number must be at most 20 digits",
        ),
        (
            format!("name={}", "a".repeat(60_000)),
            "name must be at most 64 characters",
        ),
        (
            format!("name={}", "ab".repeat(33)),
            "name must be at most 64 characters",
        ),
        ("name=Mar%00ia".to_string(), "control characters"),
        ("name=%00".to_string(), "control characters"),
    ];
    for (query, sentence) in cases {
        let (status, body) = get(query.clone()).await;
        let shown = &query[..query.len().min(40)];
        assert_eq!(status, 400, "{shown}: {body}");
        assert_eq!(body["code"], "invalid_parameter", "{shown}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains(sentence)),
            "{shown}: {body}"
        );
    }
    // The limits leave real searches alone.
    let (status, body) = get(format!("name={}", "m".repeat(64))).await;
    assert_eq!(
        (status, body["contacts"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    let (status, body) = get("name=mar&number=5215551234567".into()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["contacts"].as_array().map(Vec::len), Some(1), "{body}");
    w.stop().await;
}

on_both_backends!(oversized_and_control_queries_are_refused);
