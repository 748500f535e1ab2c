//! The MCP server: WhatsApp for AI assistants. `/functions/v1/mcp` serves the tools over
//! stateless Streamable HTTP to callers with an API key (the REST API's key check), with
//! the `Host`/`Origin` checks against DNS rebinding; `wakit mcp` serves the same tools
//! over stdio against a server's REST API.

mod allowed;
mod backend;
mod inputs;
mod tools;
mod wait;

pub use allowed::{ALLOWED_ACCOUNTS, ALLOWED_CONTACTS, Allowed};
pub use backend::{Backend, InProcess, Outcome};
pub use tools::{Caller, Connect, WakitMcp};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::model::Extensions;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use std::sync::Arc;
use wakit_store::AuthContext;

use crate::AppState;
use crate::auth::ApiKeyAuth;

/// Where the MCP server is mounted.
pub const MCP_PATH: &str = "/functions/v1/mcp";

/// `WAKIT_MCP_ALLOWED_HOSTS`: the `Host` names (optionally `host:port`) the MCP endpoint
/// answers; browser `Origin`s must name one of them too. `*` turns the checks off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McpConfig {
    /// Allowed hosts; empty = any (not recommended).
    pub allowed_hosts: Vec<String>,
}

impl Default for McpConfig {
    /// Loopback only.
    fn default() -> Self {
        McpConfig {
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
        }
    }
}

impl McpConfig {
    /// A comma list (`api.example.com,localhost`); `*` for any host.
    pub fn parse(raw: &str) -> McpConfig {
        let hosts: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_string)
            .collect();
        if hosts.iter().any(|h| h == "*") {
            return McpConfig {
                allowed_hosts: Vec::new(),
            };
        }
        McpConfig {
            allowed_hosts: hosts,
        }
    }

    /// The browser origins of the allowed hosts (http and https; any port unless named).
    fn origins(&self) -> Vec<String> {
        let mut origins = Vec::new();
        for host in &self.allowed_hosts {
            let bare = host.contains("::") && !host.starts_with('[');
            let authority = if bare {
                format!("[{host}]")
            } else {
                host.clone()
            };
            let has_port = !bare
                && authority
                    .rsplit_once(':')
                    .is_some_and(|(_, p)| p.parse::<u16>().is_ok());
            let port = if has_port { "" } else { ":*" };
            for scheme in ["http", "https"] {
                origins.push(format!("{scheme}://{authority}{port}"));
            }
        }
        origins
    }
}

/// The tool calls' caller over HTTP: the org of the key the request authenticated with,
/// limited by the request's allowed lists.
struct HttpConnect {
    state: AppState,
}

impl Connect for HttpConnect {
    fn caller(&self, extensions: &Extensions) -> Outcome<Caller> {
        let parts = extensions
            .get::<Parts>()
            .ok_or("The request is missing its HTTP parts")?;
        let auth = parts
            .extensions
            .get::<AuthContext>()
            .ok_or("The request is not authenticated")?;
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        Ok(Caller {
            backend: Arc::new(InProcess {
                state: self.state.clone(),
                auth: *auth,
            }),
            allowed: Allowed::parse(header(ALLOWED_CONTACTS), header(ALLOWED_ACCOUNTS)),
        })
    }
}

/// The MCP endpoint: the API key checked (401 without one, 401 for an unknown or revoked
/// key, never echoed), then the Streamable HTTP service (stateless, JSON answers).
pub fn router(state: &AppState) -> axum::Router<AppState> {
    let config = &state.api.mcp;
    let http = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(crate::MAX_BODY)
        .with_allowed_hosts(config.allowed_hosts.clone());
    let http = match config.allowed_hosts.is_empty() {
        true => http.disable_allowed_hosts(),
        false => http.with_allowed_origins(config.origins()),
    };
    let connect: Arc<dyn Connect> = Arc::new(HttpConnect {
        state: state.clone(),
    });
    let service = StreamableHttpService::new(
        move || Ok(WakitMcp::new(Arc::clone(&connect))),
        Arc::new(NeverSessionManager::default()),
        http,
    );
    axum::Router::new()
        .nest_service(MCP_PATH, service)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authenticate,
        ))
}

/// Lets only requests with a valid key through, with its [`AuthContext`] attached.
async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    match ApiKeyAuth::from_request_parts(&mut parts, &state).await {
        Ok(ApiKeyAuth(auth)) => {
            parts.extensions.insert(auth);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_hosts_come_from_a_comma_list_and_star_turns_the_checks_off() {
        let config = McpConfig::parse(" api.example.com , localhost:8080,::1,");
        assert_eq!(
            config.allowed_hosts,
            ["api.example.com", "localhost:8080", "::1"]
        );
        assert_eq!(
            config.origins(),
            [
                "http://api.example.com:*",
                "https://api.example.com:*",
                "http://localhost:8080",
                "https://localhost:8080",
                "http://[::1]:*",
                "https://[::1]:*",
            ]
        );
        assert!(McpConfig::parse("*").allowed_hosts.is_empty());
    }
}
