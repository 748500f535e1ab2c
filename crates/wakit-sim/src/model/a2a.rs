//! `POST /a2a`: the sandbox model as an A2A agent (A2A 0.3, JSON-RPC 2.0 `message/send`).
//! It answers with the model's scripted steps (queued for the model name [`A2A_MODEL`] or
//! any model): `Respond` → a completed task whose artifact holds the texts, `Text` → an
//! agent message, `Error` → that HTTP status, `Hang` → no answer; without a step it
//! echoes the message's text parts (`You said: ...`). Requests are recorded with the
//! chat-completions ones (model [`A2A_MODEL`]).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

use super::routes::{answered, bearer};
use super::{ModelRequest, ModelStep};
use crate::core::Core;

/// The model name A2A requests are recorded and scripted under.
pub const A2A_MODEL: &str = "a2a";

fn rpc_error(id: &Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// The text parts of `params.message`, joined by newlines; `None` when the request is
/// not a valid `message/send`.
fn message_text(body: &Value) -> Result<String, (i64, &'static str)> {
    if body["jsonrpc"] != "2.0" || body.get("id").is_none() {
        return Err((-32600, "Invalid Request"));
    }
    if body["method"] != "message/send" {
        return Err((-32601, "Method not found"));
    }
    let message = &body["params"]["message"];
    let parts = message["parts"].as_array();
    let valid = message["role"] == "user"
        && message["messageId"].as_str().is_some_and(|m| !m.is_empty())
        && parts.is_some_and(|p| !p.is_empty() && p.iter().all(|p| p["kind"].is_string()));
    if !valid {
        return Err((
            -32602,
            "Invalid params: message needs role user, messageId and parts",
        ));
    }
    let texts: Vec<&str> = parts
        .into_iter()
        .flatten()
        .filter(|p| p["kind"] == "text")
        .filter_map(|p| p["text"].as_str())
        .collect();
    Ok(texts.join("\n"))
}

fn text_parts(texts: &[String]) -> Vec<Value> {
    texts
        .iter()
        .map(|t| json!({"kind": "text", "text": t}))
        .collect()
}

/// The JSON-RPC result for `step`: a task or a message.
fn result(step: &ModelStep, context: &Value, call: u64) -> Value {
    match step {
        ModelStep::Respond { texts, .. } => json!({
            "kind": "task", "id": format!("task-{call}"), "contextId": context,
            "status": {"state": "completed", "timestamp": chrono::Utc::now().to_rfc3339()},
            "artifacts": [{"artifactId": format!("artifact-{call}"), "parts": text_parts(texts)}],
        }),
        ModelStep::Text { text, .. } => json!({
            "kind": "message", "role": "agent", "messageId": format!("msg-{call}"),
            "contextId": context, "parts": text_parts(std::slice::from_ref(text)),
        }),
        _ => Value::Null,
    }
}

pub(crate) async fn send(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let id = body.get("id").cloned().unwrap_or(Value::Null);
    let record = |answered: String, scripted: bool| ModelRequest {
        model: A2A_MODEL.into(),
        api_key: bearer(&headers),
        body: body.clone(),
        answered,
        scripted,
        at: chrono::Utc::now(),
    };
    let settings = core.model.settings();
    if settings.api_key.is_some() && settings.api_key != bearer(&headers) {
        core.model.record(record("unauthorized".into(), false));
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let text = match message_text(&body) {
        Ok(text) => text,
        Err((code, message)) => {
            core.model.record(record("invalid".into(), false));
            return Json(rpc_error(&id, code, message)).into_response();
        }
    };
    let (scripted, call) = core.model.next(A2A_MODEL);
    let is_scripted = scripted.is_some();
    let step = scripted.unwrap_or_else(|| ModelStep::Text {
        text: format!("You said: {}", text.trim()),
        delay_ms: 0,
    });
    core.model.record(record(answered(&step), is_scripted));
    let wait = Duration::from_millis(settings.latency_ms) + step.delay();
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = core.cancel.cancelled() => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
    let context = body["params"]["message"]["contextId"].clone();
    match &step {
        ModelStep::Error { status, .. } => StatusCode::from_u16(*status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        ModelStep::Hang => StatusCode::GATEWAY_TIMEOUT.into_response(),
        ModelStep::Tool { .. } => {
            Json(rpc_error(&id, -32603, "tool calls are not part of A2A")).into_response()
        }
        _ => Json(json!({"jsonrpc": "2.0", "id": id, "result": result(&step, &context, call)}))
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_valid_message_send_is_read() {
        let ok = json!({"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {"message":
            {"role": "user", "messageId": "m1", "parts": [{"kind": "text", "text": "hola"},
             {"kind": "text", "text": "¿hay citas?"}]}}});
        assert_eq!(message_text(&ok), Ok("hola\n¿hay citas?".into()));
        let mut old = ok.clone();
        old["method"] = json!("tasks/send");
        assert_eq!(message_text(&old).map_err(|e| e.0), Err(-32601));
        let mut no_id = ok.clone();
        no_id["params"]["message"]["messageId"] = Value::Null;
        assert_eq!(message_text(&no_id).map_err(|e| e.0), Err(-32602));
    }
}
