//! AI agents' configuration: the hosted product's `AgentExtra` (stored in `agents.extra`
//! for `ai = true` rows), validated, with the provider API key split off so it can be
//! sealed and never stored or shown in plain text.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The most history messages an agent may be given.
pub const MAX_MESSAGES_LIMIT: u32 = 500;
/// History messages sent when `max_messages` is not set.
pub const DEFAULT_MAX_MESSAGES: u32 = 50;

/// How wakit talks to the agent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// OpenAI-compatible `POST {base}/chat/completions`.
    #[default]
    ChatCompletions,
    /// A2A JSON-RPC `message/send`.
    A2a,
}

/// Whether the agent answers. Only `active` agents are routed (the hosted source also
/// routes `draft`, against its own docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentMode {
    /// Answers customers.
    #[default]
    Active,
    /// Being prepared: never routed.
    Draft,
    /// Switched off: never routed.
    Inactive,
}

/// An AI agent's configuration, as `agents.extra` holds it (never the API key).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentConfig {
    /// Chat completions or A2A.
    #[serde(default)]
    pub protocol: Protocol,
    /// `openai`, `anthropic`, `google`, `groq`, or an http(s) base URL.
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// The model name (a provider default when not given).
    #[serde(default)]
    pub model: String,
    /// The system prompt.
    #[serde(default)]
    pub instructions: String,
    /// Sampling temperature, 0..=2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Completion token cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// History messages given to the model (at most 500; 50 when not set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_messages: Option<u32>,
    /// The hosted `ToolConfig` list.
    #[serde(default)]
    pub tools: Vec<Value>,
    /// Active, draft or inactive.
    #[serde(default)]
    pub mode: AgentMode,
    /// Other hosted fields (`description`, `thinking`, ...), kept as given.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Default for AgentConfig {
    /// The hosted defaults: chat completions with OpenAI's `gpt-5-mini`, active.
    fn default() -> Self {
        AgentConfig {
            protocol: Protocol::default(),
            api_url: default_api_url(),
            model: "gpt-5-mini".into(),
            instructions: String::new(),
            temperature: None,
            max_tokens: None,
            max_messages: None,
            tools: Vec::new(),
            mode: AgentMode::default(),
            other: Map::new(),
        }
    }
}

fn default_api_url() -> String {
    "openai".into()
}

/// Why a configuration was refused; the sentence names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AgentConfigError(pub String);

fn refuse<T>(msg: impl Into<String>) -> Result<T, AgentConfigError> {
    Err(AgentConfigError(msg.into()))
}

/// What a configuration change does to the sealed API key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyChange {
    /// Untouched.
    Keep,
    /// Replaced by this plain key (to be sealed at once).
    Set(String),
    /// Removed (`"api_key": null`).
    Clear,
}

const TOOL_TYPES: [&str; 5] = ["function", "custom", "mcp", "sql", "http"];

/// What reads show in place of a tool header's value (the stored value is sealed). Given
/// back in a change, it keeps the stored value of the same tool's header.
pub const HIDDEN_HEADER: &str = "[hidden]";

impl AgentConfig {
    /// Parses and validates an `extra` object; `api_key` is taken out of it.
    pub fn from_json(value: Value) -> Result<(AgentConfig, KeyChange), AgentConfigError> {
        let Value::Object(mut map) = value else {
            return refuse("the agent configuration must be a JSON object");
        };
        let key = match map.remove("api_key") {
            None => KeyChange::Keep,
            Some(Value::Null) => KeyChange::Clear,
            Some(Value::String(k)) if !k.trim().is_empty() => KeyChange::Set(k.trim().into()),
            Some(_) => return refuse("api_key must be a non-empty string or null"),
        };
        map.retain(|_, v| !v.is_null());
        check_fields(&map)?;
        let mut config: AgentConfig = serde_json::from_value(Value::Object(map))
            .map_err(|e| AgentConfigError(format!("invalid agent configuration: {e}")))?;
        config.validate()?;
        if config.model.trim().is_empty() {
            config.model = config.default_model().to_string();
        }
        Ok((config, key))
    }

    /// This configuration with `patch` deep-merged into it (objects merge, other values
    /// replace, `null` removes), as the hosted product updates `extra`.
    pub fn merged(&self, patch: Value) -> Result<(AgentConfig, KeyChange), AgentConfigError> {
        if !patch.is_object() {
            return refuse("the agent configuration must be a JSON object");
        }
        let key = patch.get("api_key").cloned();
        let mut base = serde_json::to_value(self).unwrap_or_default();
        merge(&mut base, patch);
        if let Some(k) = key {
            base["api_key"] = k;
        }
        AgentConfig::from_json(base)
    }

    fn validate(&self) -> Result<(), AgentConfigError> {
        let url = self.api_url.trim();
        let shortcut = provider_base(url).is_some();
        if !(shortcut || url.starts_with("http://") || url.starts_with("https://")) {
            return refuse(
                "api_url must be openai, anthropic, google, groq or an http(s) base URL",
            );
        }
        if self.temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
            return refuse("temperature must be between 0 and 2");
        }
        if self.max_tokens == Some(0) {
            return refuse("max_tokens must be at least 1");
        }
        if self
            .max_messages
            .is_some_and(|m| m == 0 || m > MAX_MESSAGES_LIMIT)
        {
            return refuse(format!("max_messages must be in 1..={MAX_MESSAGES_LIMIT}"));
        }
        if self.instructions.len() > 100_000 {
            return refuse("instructions must be at most 100000 bytes");
        }
        for (i, tool) in self.tools.iter().enumerate() {
            let kind = tool.get("type").and_then(Value::as_str).unwrap_or_default();
            if !TOOL_TYPES.contains(&kind) {
                return refuse(format!(
                    "tools[{i}].type must be one of {}",
                    TOOL_TYPES.join(", ")
                ));
            }
            let headers = tool.get("config").and_then(|c| c.get("headers"));
            let strings = |h: &Map<String, Value>| h.values().all(Value::is_string);
            if headers.is_some_and(|h| !h.is_null() && !h.as_object().is_some_and(strings)) {
                return refuse(format!(
                    "tools[{i}].config.headers must be an object of strings"
                ));
            }
        }
        Ok(())
    }

    /// Every tool's `config.headers` value with the tool's position and the header name.
    /// The values are secrets (an `Authorization` header, say): sealed in storage, hidden
    /// on reads.
    pub fn tool_headers_mut(&mut self) -> impl Iterator<Item = (usize, &String, &mut Value)> {
        self.tools.iter_mut().enumerate().flat_map(|(i, tool)| {
            let headers = tool
                .get_mut("config")
                .and_then(|c| c.get_mut("headers"))
                .and_then(Value::as_object_mut);
            headers
                .into_iter()
                .flat_map(move |h| h.iter_mut().map(move |(name, value)| (i, name, value)))
        })
    }

    /// Tool `i`'s header `name` as this configuration holds it.
    pub fn tool_header(&self, i: usize, name: &str) -> Option<&Value> {
        self.tools.get(i)?.get("config")?.get("headers")?.get(name)
    }

    /// This configuration as reads show it: every tool header value hidden.
    pub fn redacted(&self) -> AgentConfig {
        let mut shown = self.clone();
        for (_, _, value) in shown.tool_headers_mut() {
            *value = Value::String(HIDDEN_HEADER.into());
        }
        shown
    }

    /// The model a provider shortcut defaults to.
    fn default_model(&self) -> &'static str {
        match self.api_url.trim() {
            "anthropic" => "claude-sonnet-4-6",
            "google" => "gemini-2.5-flash",
            "groq" => "openai/gpt-oss-20b",
            _ => "gpt-5-mini",
        }
    }

    /// The OpenAI-compatible base URL: a shortcut's, or the URL given without a trailing
    /// `/` or `/chat/completions`.
    pub fn base_url(&self) -> String {
        let url = self.api_url.trim();
        match provider_base(url) {
            Some(base) => base.to_string(),
            None => url
                .trim_end_matches('/')
                .trim_end_matches("/chat/completions")
                .trim_end_matches('/')
                .to_string(),
        }
    }

    /// Whether the agent answers customers.
    pub fn is_routed(&self) -> bool {
        self.mode == AgentMode::Active
    }

    /// History messages given to the model.
    pub fn history_limit(&self) -> u32 {
        self.max_messages.unwrap_or(DEFAULT_MAX_MESSAGES)
    }
}

/// Names the field whose value has the wrong type (serde's `flatten` loses the name).
fn check_fields(map: &Map<String, Value>) -> Result<(), AgentConfigError> {
    fn is<T: serde::de::DeserializeOwned>(v: &Value) -> bool {
        v.is_null() || serde_json::from_value::<T>(v.clone()).is_ok()
    }
    type Check = (&'static str, fn(&Value) -> bool, &'static str);
    let checks: [Check; 9] = [
        ("protocol", is::<Protocol>, "chat_completions or a2a"),
        ("mode", is::<AgentMode>, "active, draft or inactive"),
        ("api_url", is::<String>, "a string"),
        ("model", is::<String>, "a string"),
        ("instructions", is::<String>, "a string"),
        ("temperature", is::<f64>, "a number"),
        ("max_tokens", is::<u32>, "a positive integer"),
        ("max_messages", is::<u32>, "a positive integer"),
        (
            "tools",
            is::<Vec<Map<String, Value>>>,
            "an array of objects",
        ),
    ];
    for (field, ok, what) in checks {
        if map.get(field).is_some_and(|v| !ok(v)) {
            return refuse(format!("{field} must be {what}"));
        }
    }
    Ok(())
}

fn provider_base(shortcut: &str) -> Option<&'static str> {
    Some(match shortcut {
        "openai" => "https://api.openai.com/v1",
        "anthropic" => "https://api.anthropic.com/v1",
        "google" => "https://generativelanguage.googleapis.com/v1beta/openai",
        "groq" => "https://api.groq.com/openai/v1",
        _ => return None,
    })
}

fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    b.remove(&k);
                } else {
                    merge(b.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hosted_examples_parse_with_defaults_and_the_key_split_off() {
        let (c, key) = AgentConfig::from_json(json!({"api_url": "openai"})).expect("ok");
        assert_eq!(
            (c.model.as_str(), c.protocol, c.mode, key),
            (
                "gpt-5-mini",
                Protocol::ChatCompletions,
                AgentMode::Active,
                KeyChange::Keep
            )
        );
        assert_eq!(c.base_url(), "https://api.openai.com/v1");
        let (c, key) = AgentConfig::from_json(json!({
            "api_url": "https://your-agent.example.com/v1/chat/completions",
            "api_key": "your-api-key", "model": "your-model", "protocol": "chat_completions",
            "description": "kept", "thinking": "low"}))
        .expect("ok");
        assert_eq!(key, KeyChange::Set("your-api-key".into()));
        assert_eq!(c.base_url(), "https://your-agent.example.com/v1");
        let stored = serde_json::to_value(&c).expect("json");
        assert_eq!(stored.get("api_key"), None);
        assert_eq!(stored["description"], "kept");
        let (c, _) = AgentConfig::from_json(json!({"api_url": "groq"})).expect("ok");
        assert_eq!(c.model, "openai/gpt-oss-20b");
    }

    #[test]
    fn invalid_fields_are_refused_with_their_name() {
        for (bad, field) in [
            (json!({"api_url": "ftp://x"}), "api_url"),
            (json!({"temperature": 3.5}), "temperature"),
            (json!({"max_messages": 0}), "max_messages"),
            (json!({"mode": "sleeping"}), "mode"),
            (json!({"protocol": "soap"}), "protocol"),
            (json!({"tools": [{"type": "shell"}]}), "tools[0].type"),
            (
                json!({"tools": [{"type": "http", "config": {"headers": {"a": 1}}}]}),
                "tools[0].config.headers",
            ),
            (json!({"api_key": 42}), "api_key"),
            (json!([1]), "object"),
        ] {
            let err = AgentConfig::from_json(bad.clone()).expect_err("refused");
            assert!(err.0.contains(field), "{bad}: {err}");
        }
    }

    #[test]
    fn merge_updates_fields_and_clears_the_key_with_null() {
        let (c, _) =
            AgentConfig::from_json(json!({"instructions": "Be brief", "temperature": 0.2}))
                .expect("ok");
        let (c2, key) = c
            .merged(json!({"temperature": null, "mode": "inactive", "api_key": null}))
            .expect("ok");
        assert_eq!(
            (
                c2.instructions.as_str(),
                c2.temperature,
                c2.is_routed(),
                key
            ),
            ("Be brief", None, false, KeyChange::Clear)
        );
    }

    #[test]
    fn reads_hide_every_tool_header_value() {
        let tools = json!([
            {"type": "http", "config": {"url": "https://x", "headers": {"Authorization": "Bearer s"}}},
            {"type": "mcp", "config": {"url": "https://m", "headers": {"X-Key": "k"}}},
            {"type": "function"}
        ]);
        let (c, _) = AgentConfig::from_json(json!({"tools": tools})).expect("ok");
        let shown = serde_json::to_string(&c.redacted()).expect("json");
        assert!(
            !shown.contains("Bearer s") && !shown.contains("\"k\""),
            "{shown}"
        );
        assert_eq!(
            c.redacted().tool_header(1, "X-Key"),
            Some(&json!(HIDDEN_HEADER))
        );
        assert_eq!(c.tool_header(0, "Authorization"), Some(&json!("Bearer s")));
    }
}
