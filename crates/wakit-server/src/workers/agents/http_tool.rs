//! The HTTP `request` tool: `{url, method, headers?, body?}` → `{status, body}`, allowed
//! only for the agent's `http` tools (`{"type": "http", "label", "config": {"url":
//! prefix, "methods": [...], "headers": {...}}}`): the URL must start with a configured
//! prefix (any URL when a tool names none) and use one of its methods (GET when none).
//! Like outbound webhooks it never reaches wakit's own network: every address the host
//! resolves to must be public (unless private addresses are allowed), the connection is
//! pinned to the checked address, redirects are not followed, and the answer is cut.

use serde_json::{Map, Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use wakit_core::AgentConfig;

use crate::deliveries::ssrf;

/// Longest wait for the answer.
const TIMEOUT: Duration = Duration::from_secs(15);
/// Most bytes of the answer's body given to the model.
const MAX_BODY: usize = 16 * 1024;

/// The agent's `http` tools' configurations.
fn http_tools(config: &AgentConfig) -> Vec<&Value> {
    config
        .tools
        .iter()
        .filter(|t| t["type"] == "http")
        .map(|t| &t["config"])
        .collect()
}

/// The `request` tool's definition, when the agent has an `http` tool.
pub fn definition(config: &AgentConfig) -> Option<Value> {
    (!http_tools(config).is_empty()).then(|| {
        json!({"type": "function", "function": {
            "name": "request",
            "description": "Make an HTTP request to an allowed URL; answers {status, body}.",
            "parameters": {"type": "object", "properties": {
                "url": {"type": "string"},
                "method": {"type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
                "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                "body": {}}, "required": ["url", "method"]}}})
    })
}

/// The configuration that allows `method` on `url`, if any.
fn allowing<'a>(config: &'a AgentConfig, url: &str, method: &str) -> Option<&'a Value> {
    http_tools(config).into_iter().find(|c| {
        let prefix_ok = c["url"].as_str().is_none_or(|p| url.starts_with(p));
        let method_ok = match c["methods"].as_array() {
            Some(ms) => ms
                .iter()
                .any(|m| m.as_str().is_some_and(|m| m.eq_ignore_ascii_case(method))),
            None => method == "GET",
        };
        prefix_ok && method_ok
    })
}

/// A client for `url` (http or https only) that reaches only the public address its host
/// resolves to now (any address when `allow_private`), follows no redirect and gives up
/// after `timeout`.
pub async fn guarded_client(
    url: &reqwest::Url,
    allow_private: bool,
    timeout: Duration,
) -> Result<reqwest::Client, String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http and https URLs are allowed".into());
    }
    let host = url.host_str().ok_or("the URL has no host")?.to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|_| format!("{host} does not resolve"))?
        .collect();
    let ips: Vec<_> = addresses.iter().map(SocketAddr::ip).collect();
    ssrf::check(&host, &ips, allow_private)?;
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&host, addresses[0])
        .timeout(timeout)
        .build()
        .map_err(|_| "cannot make the request".to_string())
}

/// Runs a `request` call; the result (or the refusal) as text for the model.
pub async fn run(config: &AgentConfig, arguments: &Value, allow_private: bool) -> String {
    match request(config, arguments, allow_private).await {
        Ok(v) => v.to_string(),
        Err(e) => format!("error: {e}"),
    }
}

async fn request(
    config: &AgentConfig,
    arguments: &Value,
    allow_private: bool,
) -> Result<Value, String> {
    let raw = arguments["url"].as_str().unwrap_or_default();
    let method = arguments["method"]
        .as_str()
        .unwrap_or("GET")
        .to_ascii_uppercase();
    let tool = allowing(config, raw, &method)
        .ok_or_else(|| format!("{method} {raw} is not allowed for this agent"))?;
    let url = reqwest::Url::parse(raw).map_err(|_| format!("{raw} is not a URL"))?;
    let client = guarded_client(&url, allow_private, TIMEOUT).await?;
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| "bad method")?;
    let mut req = client.request(method, url);
    let empty = Map::new();
    let headers = [&tool["headers"], &arguments["headers"]];
    for (name, value) in headers.iter().flat_map(|h| h.as_object().unwrap_or(&empty)) {
        if let Some(v) = value.as_str() {
            req = req.header(name.as_str(), v);
        }
    }
    if !arguments["body"].is_null() {
        req = req.json(&arguments["body"]);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| format!("the request failed: {}", without_url(&e)))?;
    let status = resp.status().as_u16();
    let bytes = resp
        .bytes()
        .await
        .map_err(|_| "the answer could not be read")?;
    let cut = &bytes[..bytes.len().min(MAX_BODY)];
    let text = String::from_utf8_lossy(cut);
    let body = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text.into_owned()));
    Ok(json!({"status": status, "body": body}))
}

/// reqwest's error without the URL (it may carry credentials in its query).
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else {
        "error".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(tools: Value) -> AgentConfig {
        AgentConfig::from_json(json!({ "tools": tools }))
            .expect("config")
            .0
    }

    #[test]
    fn only_configured_prefixes_and_methods_are_allowed() {
        let a = agent(
            json!([{"provider": "local", "type": "http", "label": "shop",
            "config": {"url": "https://api.shop.example/v1/", "methods": ["GET", "post"]}}]),
        );
        assert!(definition(&a).is_some());
        assert!(allowing(&a, "https://api.shop.example/v1/orders/7", "GET").is_some());
        assert!(allowing(&a, "https://api.shop.example/v1/orders", "POST").is_some());
        assert!(allowing(&a, "https://api.shop.example/v1/orders", "DELETE").is_none());
        assert!(allowing(&a, "https://api.shop.example/v2/x", "GET").is_none());
        let any = agent(json!([{"type": "http", "label": "web", "config": {}}]));
        assert!(allowing(&any, "https://example.com/", "GET").is_some());
        assert!(allowing(&any, "https://example.com/", "POST").is_none());
        assert!(definition(&agent(json!([]))).is_none());
    }

    #[tokio::test]
    async fn internal_addresses_are_refused() {
        let a = agent(json!([{"type": "http", "label": "web", "config": {}}]));
        let out = run(
            &a,
            &json!({"url": "http://127.0.0.1:9/x", "method": "GET"}),
            false,
        )
        .await;
        assert!(
            out.starts_with("error:") && out.contains("loopback"),
            "{out}"
        );
        let out = run(
            &a,
            &json!({"url": "ftp://example.com/", "method": "GET"}),
            false,
        )
        .await;
        assert!(out.contains("not allowed") || out.contains("http"), "{out}");
    }
}
