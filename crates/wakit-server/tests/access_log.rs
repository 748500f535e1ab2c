//! One info line per request, for an operator's log pipeline: request id (echoed in the
//! response), method, route, status, latency and organization — and never the query
//! string, a phone number, the API key or message text.

mod common;

use common::log::Captured;
use common::start;
use wakit_store_tests::{Backend, TestStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_is_one_line_without_secrets() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_writer(move || writer.clone())
        .init();
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let org = ts.store.create_org("Logs", "UTC").await.expect("org");
    let key = common::sandbox::new_key(&*ts.store, org.id).await;
    let srv = start(&ts, false).await;
    let answer = reqwest::Client::new()
        .get(format!(
            "{}/conversation?contact_phone=5215551234567",
            srv.base
        ))
        .bearer_auth(&key)
        .header("x-request-id", "req-abc-123")
        .send()
        .await
        .expect("GET");
    assert_eq!(answer.headers()["x-request-id"], "req-abc-123");
    let status = answer.status().as_u16();
    let text = log.text();
    let line: serde_json::Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["request_id"] == "req-abc-123")
        .unwrap_or_else(|| panic!("no line for the request in:\n{text}"));
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["message"], "request");
    assert_eq!(line["method"], "GET");
    assert_eq!(line["route"], "/functions/v1/api/conversation");
    assert_eq!(line["status"], status);
    assert_eq!(line["org_id"], org.id.to_string());
    assert!(line["latency_ms"].as_f64().is_some());
    for secret in ["5215551234567", key.as_str()] {
        assert!(
            !text.contains(secret),
            "{secret} leaked into the log:\n{text}"
        );
    }
}
