//! The OpenAI-compatible chat-completions client: `POST {base}/chat/completions` over
//! reqwest (rustls) with a per-call timeout, the provider key as a bearer token (never
//! logged), retries with backoff for failures that may pass (timeouts, connection
//! errors, 429, 5xx), and the answer read into what the turn does next.

use serde_json::{Value, json};
use std::time::Duration;
use wakit_core::AgentConfig;

use super::AgentRuntimeConfig;

/// Why a model call failed, for the log line and the metric (never the key).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ModelError {
    /// A short sentence (status and the provider's message, or the transport error).
    pub message: String,
    /// Whether trying again may help.
    pub retryable: bool,
    /// The HTTP status the provider answered with, if it answered.
    pub status: Option<u16>,
}

impl ModelError {
    /// A failure without an HTTP status.
    pub fn new(message: impl Into<String>, retryable: bool) -> Self {
        ModelError {
            message: message.into(),
            retryable,
            status: None,
        }
    }
}

/// One tool call the model asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolCall {
    /// The provider's call id (echoed in the tool result).
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// Its arguments (a JSON object; `{}` when the model sent something unreadable).
    pub arguments: Value,
}

/// What the model answered.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// Send these texts (empty: stay silent): a `respond` call or plain content.
    Respond(Vec<String>),
    /// Run these tools and call again; `message` is the assistant message to replay.
    Tools {
        /// The assistant message with its `tool_calls`.
        message: Value,
        /// The calls.
        calls: Vec<ToolCall>,
    },
}

/// The model call's answer and its token usage.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    /// What to do.
    pub reply: Reply,
    /// `usage.total_tokens`, when the provider said.
    pub total_tokens: Option<u64>,
}

/// The request body: the hosted runtime's shape (`tool_choice: "required"`, the
/// `respond` tool as the only way to answer).
pub fn request_body(config: &AgentConfig, messages: &[Value], tools: &[Value]) -> Value {
    let mut body = json!({
        "model": config.model,
        "messages": messages,
        "tools": tools,
        "tool_choice": "required",
    });
    if let Some(t) = config.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(m) = config.max_tokens {
        body["max_completion_tokens"] = json!(m);
    }
    body
}

/// Calls the model, retrying what may pass (`config.retries` times, backoff doubling
/// from `config.backoff`).
pub async fn complete(
    http: &reqwest::Client,
    runtime: &AgentRuntimeConfig,
    base_url: &str,
    api_key: Option<&str>,
    body: &Value,
) -> Result<Completion, ModelError> {
    let url = format!("{base_url}/chat/completions");
    let answer = post_json(http, runtime, &url, api_key, body, &[]).await?;
    let reply = read_reply(&answer)
        .ok_or_else(|| ModelError::new("the model's answer has no message", false))?;
    Ok(Completion {
        reply,
        total_tokens: answer["usage"]["total_tokens"].as_u64(),
    })
}

/// POSTs `body` to `url` and reads the JSON answer, retrying what may pass (timeouts,
/// connection errors, 429, 5xx: `runtime.retries` times, backoff doubling from
/// `runtime.backoff`), with `headers` added. An error answer's `error.message` is quoted
/// in the error.
pub async fn post_json(
    http: &reqwest::Client,
    runtime: &AgentRuntimeConfig,
    url: &str,
    api_key: Option<&str>,
    body: &Value,
    headers: &[(&str, &str)],
) -> Result<Value, ModelError> {
    let mut wait = runtime.backoff;
    let mut attempt = 0;
    loop {
        let mut req = http.post(url).timeout(runtime.model_timeout).json(body);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        match post_once(req, runtime.model_timeout, api_key).await {
            Ok(answer) => return Ok(answer),
            Err(e) if e.retryable && attempt < runtime.retries => {
                tracing::info!(error = %e, attempt, "model call failed; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(30));
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn post_once(
    mut req: reqwest::RequestBuilder,
    timeout: Duration,
    api_key: Option<&str>,
) -> Result<Value, ModelError> {
    if let Some(key) = api_key {
        req = req.bearer_auth(key);
    }
    let resp = req.send().await.map_err(|e| {
        let what = if e.is_timeout() {
            "timed out"
        } else {
            "could not be reached"
        };
        ModelError::new(format!("the model {what}"), true)
    })?;
    let status = resp.status();
    let text = tokio::time::timeout(timeout, resp.text())
        .await
        .map_err(|_| ModelError::new("the model's answer timed out", true))?
        .map_err(|_| ModelError::new("the model's answer could not be read", true))?;
    let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if !status.is_success() {
        let said = answer["error"]["message"]
            .as_str()
            .unwrap_or("no error message");
        let said: String = said.chars().take(300).collect();
        let retryable = status.as_u16() == 429 || status.is_server_error();
        return Err(ModelError {
            status: Some(status.as_u16()),
            ..ModelError::new(
                format!("the model answered {}: {said}", status.as_u16()),
                retryable,
            )
        });
    }
    Ok(answer)
}

/// `choices[0].message` read: `respond` calls (their texts, in order) win; other tool
/// calls are to be run; plain content is an answer.
pub fn read_reply(answer: &Value) -> Option<Reply> {
    let message = answer["choices"].get(0)?.get("message")?;
    let calls: Vec<ToolCall> = message["tool_calls"]
        .as_array()
        .map(|calls| calls.iter().map(tool_call).collect())
        .unwrap_or_default();
    if calls.is_empty() {
        let text = message["content"].as_str().unwrap_or_default().trim();
        let texts = if text.is_empty() {
            Vec::new()
        } else {
            vec![text.to_string()]
        };
        return Some(Reply::Respond(texts));
    }
    if calls.iter().any(|c| c.name == "respond") {
        let texts = calls
            .iter()
            .filter(|c| c.name == "respond")
            .flat_map(|c| respond_texts(&c.arguments))
            .collect();
        return Some(Reply::Respond(texts));
    }
    Some(Reply::Tools {
        message: json!({"role": "assistant", "content": message["content"],
                        "tool_calls": message["tool_calls"]}),
        calls,
    })
}

fn tool_call(call: &Value) -> ToolCall {
    let arguments = call["function"]["arguments"]
        .as_str()
        .and_then(|a| serde_json::from_str(a).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    ToolCall {
        id: call["id"].as_str().unwrap_or_default().to_string(),
        name: call["function"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        arguments,
    }
}

/// The non-empty texts of a `respond` call's `messages` (file parts are not sent yet).
fn respond_texts(arguments: &Value) -> Vec<String> {
    arguments["messages"]
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| p.as_str().or_else(|| p["text"].as_str()))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(message: Value) -> Value {
        json!({"choices": [{"index": 0, "message": message}]})
    }

    #[test]
    fn respond_calls_tools_and_plain_content_are_read() {
        let respond = answer(json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "respond",
             "arguments": "{\"messages\":[{\"type\":\"text\",\"text\":\"Hi\"},{\"type\":\"text\",\"text\":\" \"}]}"}}]}));
        assert_eq!(
            read_reply(&respond),
            Some(Reply::Respond(vec!["Hi".into()]))
        );
        let tool = answer(json!({"role": "assistant", "tool_calls": [
            {"id": "c2", "type": "function", "function": {"name": "calculator",
             "arguments": "{\"expression\":\"1+1\"}"}}]}));
        let Some(Reply::Tools { calls, .. }) = read_reply(&tool) else {
            panic!("tools expected");
        };
        assert_eq!(calls[0].arguments, json!({"expression": "1+1"}));
        let text = answer(json!({"role": "assistant", "content": "Plain"}));
        assert_eq!(
            read_reply(&text),
            Some(Reply::Respond(vec!["Plain".into()]))
        );
        assert_eq!(read_reply(&json!({"choices": []})), None);
    }
}
