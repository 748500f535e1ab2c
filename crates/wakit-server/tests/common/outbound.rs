//! Helpers of the outbound webhook tests: a server with the sandbox and outbound
//! settings for tests, API calls with a key, checks of a delivery's signature.

use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use wakit_server::ApiConfig;
use wakit_server::deliveries::OutboundConfig;
use wakit_server::deliveries::signature::sign;
use wakit_sim::Quirks;
use wakit_store_tests::fixture::secret_box;
use wakit_store_tests::{Backend, TestStore};

use super::receiver::Hit;
use super::sandbox::{World, fast_dispatch, world_with};

/// Outbound settings for tests: 127.0.0.1 allowed unless `private` is false, the retry
/// schedule compressed 5,000 times (5 s → 1 ms, 5 min → 60 ms).
pub fn outbound(private: bool) -> OutboundConfig {
    OutboundConfig {
        secrets: Some(secret_box()),
        allow_private: private,
        timeout: Duration::from_secs(5),
        retry_scale: 0.0002,
        poll: Duration::from_millis(20),
        ..OutboundConfig::default()
    }
}

/// The world on `backend` with [`outbound`] settings.
pub async fn start(backend: Backend, private: bool) -> Option<World> {
    start_with(backend, outbound(private)).await
}

/// The world on `backend` with these outbound settings (no API rate limit).
pub async fn start_with(backend: Backend, webhooks: OutboundConfig) -> Option<World> {
    let ts = TestStore::fresh(backend).await?;
    let api = ApiConfig {
        webhooks,
        rate_limit: None,
        ..ApiConfig::default()
    };
    Some(world_with(ts, Quirks::none(), fast_dispatch(), api).await)
}

/// `METHOD {base}{path}` with `key` and an optional JSON body: status and JSON answer.
pub async fn call(
    w: &World,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let url = format!("{}{path}", w.server.base);
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = reqwest::Client::new().request(method, url).bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("the server answers");
    let status = resp.status();
    let text = resp.text().await.expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Creates an endpoint; returns its view (with the secret).
pub async fn create(w: &World, key: &str, body: Value) -> Value {
    let (status, view) = call(w, key, "POST", "/webhooks", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    view
}

/// Asserts the hit's signature is `secret`'s over its id, timestamp and body.
pub fn assert_signed(hit: &Hit, secret: &str) {
    let (id, ts) = (hit.header("webhook-id"), hit.header("webhook-timestamp"));
    assert!(id.starts_with("msg_"), "{id}");
    let ts: i64 = ts.parse().expect("a unix time");
    let expected = sign(&[secret], id, ts, hit.body.as_bytes()).expect("a valid secret");
    assert_eq!(hit.header("webhook-signature"), expected);
    assert_eq!(hit.header("content-type"), "application/json");
}

/// The deliveries list of `path` once `done` holds for it (bounded).
pub async fn deliveries_until(
    w: &World,
    key: &str,
    path: &str,
    done: impl Fn(&Vec<Value>) -> bool,
) -> Vec<Value> {
    for _ in 0..1500 {
        let (_, body) = call(w, key, "GET", path, None).await;
        let list = body["deliveries"].as_array().cloned().unwrap_or_default();
        if !list.is_empty() && done(&list) {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{path}: not there in time");
}
