//! Meta webhook bodies and signed POSTs for tests.

use serde_json::{Value, json};
use std::time::{Duration, Instant};

use super::APP_SECRET;

/// A `messages` webhook body for `phone_number_id`: one message per `(wamid, text)`,
/// all from `from`.
pub fn messages_body(phone_number_id: &str, from: &str, items: &[(&str, &str)]) -> Vec<u8> {
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "5215588392274", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": "María García"}, "wa_id": from}],
        "messages": items.iter().map(|(wamid, text)| json!({
            "from": from, "id": wamid, "timestamp": "1763900000", "type": "text", "text": {"body": text}
        })).collect::<Vec<Value>>()
    });
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "waba-1", "changes": [{"field": "messages", "value": value}]}]});
    serde_json::to_vec(&body).expect("json")
}

/// POSTs `body` signed with the test app secret; the response, or the transport error.
pub async fn post_signed(
    http: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
) -> reqwest::Result<reqwest::Response> {
    http.post(url)
        .header(
            "X-Hub-Signature-256",
            wakit_meta::signature::sign(APP_SECRET, &body),
        )
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
}

/// Polls `check` until it holds or 20 s pass (bounded: a broken worker fails the test).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
