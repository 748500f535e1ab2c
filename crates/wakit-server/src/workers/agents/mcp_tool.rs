//! Remote MCP servers' tools: for each `{"type": "mcp", "label", "config": {"url",
//! "headers"?, "allowed_tools"?}}` of the agent, a turn connects with rmcp's client over
//! Streamable HTTP ([`mcp_http`]), lists the server's tools (only `allowed_tools` when
//! given) and offers them to the model as `<label>__<tool>`; calls are forwarded and the
//! result's text given back. The server URL passes the same SSRF guard as the HTTP tool,
//! every exchange is bounded in time, and a server that cannot be reached is left out of
//! the turn (logged) rather than failing it.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use rmcp::model::{CallToolRequestParams, Tool};
use rmcp::service::{RoleClient, RunningService, ServiceExt};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use wakit_core::AgentConfig;

use super::http_tool::guarded_client;
use super::mcp_http::{MAX_BODY, McpHttp};

/// Longest wait for one HTTP exchange with a server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest wait for connecting and listing a server's tools.
const LIST_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest wait for one tool call.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Most bytes of a result given to the model.
const MAX_RESULT: usize = 16 * 1024;
/// Headers the transport sets itself.
const RESERVED: [&str; 3] = ["accept", "mcp-session-id", "last-event-id"];

/// One connected server and the tools offered from it.
struct Server {
    prefix: String,
    client: RunningService<RoleClient, ()>,
    tools: Vec<Tool>,
}

/// The MCP servers of one turn.
#[derive(Default)]
pub struct McpTools {
    servers: Vec<Server>,
}

/// A label as the start of a function name (`[A-Za-z0-9_-]`).
fn name_prefix(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Whether `allowed` (the config's `allowed_tools`, absent: all) lets `name` through.
fn allowed(allowed: &Value, name: &str) -> bool {
    allowed
        .as_array()
        .is_none_or(|list| list.iter().any(|t| t.as_str() == Some(name)))
}

async fn connect_one(tool: &Value, allow_private: bool) -> Result<Server, String> {
    let config = &tool["config"];
    let raw = config["url"].as_str().ok_or("the MCP tool has no url")?;
    let url = reqwest::Url::parse(raw).map_err(|_| "the MCP url is not a URL".to_string())?;
    let http = guarded_client(&url, allow_private, REQUEST_TIMEOUT).await?;
    let mut headers = HashMap::new();
    for (name, value) in config["headers"].as_object().into_iter().flatten() {
        let (Ok(name), Some(Ok(value))) = (
            HeaderName::from_bytes(name.as_bytes()),
            value.as_str().map(HeaderValue::from_str),
        ) else {
            return Err(format!("the MCP header {name:?} is not a valid header"));
        };
        if !RESERVED.contains(&name.as_str()) {
            headers.insert(name, value);
        }
    }
    let mut transport_config =
        StreamableHttpClientTransportConfig::with_uri(url.as_str()).custom_headers(headers);
    transport_config.max_json_response_size = MAX_BODY;
    let transport = StreamableHttpClientTransport::with_client(McpHttp(http), transport_config);
    let listing = async {
        let client = ().serve(transport).await.map_err(|e| e.to_string())?;
        let tools = client.list_all_tools().await.map_err(|e| e.to_string())?;
        Ok::<_, String>((client, tools))
    };
    let (client, tools) = tokio::time::timeout(LIST_TIMEOUT, listing)
        .await
        .map_err(|_| "the MCP server did not answer in time".to_string())??;
    let label = tool["label"].as_str().unwrap_or("mcp");
    let tools = tools
        .into_iter()
        .filter(|t| allowed(&config["allowed_tools"], &t.name))
        .collect();
    Ok(Server {
        prefix: format!("{}__", name_prefix(label)),
        client,
        tools,
    })
}

impl McpTools {
    /// Connects to the agent's MCP servers; one that fails is left out.
    pub async fn connect(config: &AgentConfig, allow_private: bool) -> McpTools {
        let mut servers = Vec::new();
        for tool in config.tools.iter().filter(|t| t["type"] == "mcp") {
            match connect_one(tool, allow_private).await {
                Ok(server) => servers.push(server),
                Err(e) => tracing::warn!(label = %tool["label"], error = %e,
                    "an AI agent's MCP server is left out of this turn"),
            }
        }
        McpTools { servers }
    }

    /// The offered tools' definitions.
    pub fn definitions(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for server in &self.servers {
            for tool in &server.tools {
                out.push(json!({"type": "function", "function": {
                    "name": format!("{}{}", server.prefix, tool.name),
                    "description": tool.description.as_deref().unwrap_or_default(),
                    "parameters": Value::Object((*tool.input_schema).clone())}}));
            }
        }
        out
    }

    /// The server and tool name behind an offered function name.
    fn find<'a>(&self, name: &'a str) -> Option<(&Server, &'a str)> {
        self.servers.iter().find_map(|s| {
            let tool = name.strip_prefix(&s.prefix)?;
            s.tools.iter().any(|t| t.name == tool).then_some((s, tool))
        })
    }

    /// Runs the call when `name` is one of the offered tools: the result as text.
    pub async fn run(&self, name: &str, arguments: &Value) -> Option<String> {
        let (server, tool) = self.find(name)?;
        let mut params = CallToolRequestParams::new(tool.to_string());
        if let Some(args) = arguments.as_object() {
            params = params.with_arguments(args.clone());
        }
        let called = tokio::time::timeout(CALL_TIMEOUT, server.client.call_tool(params)).await;
        Some(match called {
            Err(_) => "error: the MCP server did not answer in time".into(),
            Ok(Err(e)) => format!("error: {e}"),
            Ok(Ok(result)) => {
                let texts: Vec<&str> = result
                    .content
                    .iter()
                    .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
                    .collect();
                let mut text = if texts.is_empty() {
                    result.structured_content.unwrap_or_default().to_string()
                } else {
                    texts.join("\n")
                };
                if result.is_error == Some(true) {
                    text = format!("error: {text}");
                }
                cut(text)
            }
        })
    }

    /// Ends the sessions.
    pub async fn close(self) {
        for server in self.servers {
            let _ = tokio::time::timeout(Duration::from_secs(2), server.client.cancel()).await;
        }
    }
}

fn cut(mut text: String) -> String {
    if text.len() > MAX_RESULT {
        let mut end = MAX_RESULT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_allowed_tools() {
        assert_eq!(name_prefix("my shop.api"), "my_shop_api");
        assert!(allowed(&Value::Null, "x"));
        assert!(allowed(&json!(["a", "x"]), "x"));
        assert!(!allowed(&json!(["a"]), "x"));
        assert_eq!(cut("é".repeat(MAX_RESULT)).len(), MAX_RESULT);
    }

    #[tokio::test]
    async fn an_internal_server_is_refused() {
        let config = AgentConfig::from_json(json!({"tools": [{"type": "mcp", "label": "x",
            "config": {"url": "http://127.0.0.1:9/mcp"}}]}))
        .expect("config")
        .0;
        let err = connect_one(&config.tools[0], false)
            .await
            .err()
            .expect("refused");
        assert!(err.contains("loopback"), "{err}");
        assert!(
            McpTools::connect(&config, false)
                .await
                .definitions()
                .is_empty()
        );
    }
}
