//! AI agents (`agents` rows with `ai = true`), their sealed provider keys (`secrets`
//! rows named `api_key`, owner the agent), the org's agent settings (in
//! `organizations.extra`) and each conversation's agent state (in
//! `conversations.extra`). The JSON shapes are the hosted product's; the merging and
//! the routing rules live here once, the engines only load and write rows.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};
use wakit_core::{AgentConfig, AgentId, ConversationId, OrgId};

use crate::error::StoreResult;
use crate::secrets::SealedSecret;

/// The `secrets.name` of an agent's provider key.
pub const AGENT_KEY_SECRET: &str = "api_key";

/// An AI agent as stored (its key only as "has one").
#[derive(Clone, Debug, PartialEq)]
pub struct AiAgent {
    /// Its id (the `agents` row).
    pub id: AgentId,
    /// Its organization.
    pub org_id: OrgId,
    /// Display name.
    pub name: String,
    /// `extra`, validated.
    pub config: AgentConfig,
    /// Whether a sealed provider key is stored.
    pub has_api_key: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A new AI agent. The id is chosen by the caller so the key can be sealed to it.
#[derive(Clone, Debug)]
pub struct NewAiAgent {
    /// The new row's id.
    pub id: AgentId,
    /// Display name.
    pub name: String,
    /// The configuration.
    pub config: AgentConfig,
    /// The provider key, sealed with the agent id as context.
    pub api_key: Option<SealedSecret>,
}

/// What an update does to the sealed key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SealedKeyChange {
    /// Untouched.
    Keep,
    /// Replaced.
    Set(SealedSecret),
    /// Removed.
    Clear,
}

/// A change to an AI agent: the full new configuration (merged by the caller).
#[derive(Clone, Debug)]
pub struct AiAgentChange {
    /// The new name, if any.
    pub name: Option<String>,
    /// The new configuration.
    pub config: AgentConfig,
    /// The key change.
    pub api_key: SealedKeyChange,
}

/// The org's agent settings (`organizations.extra`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentSettings {
    /// Debounce before a turn (hosted `response_delay_seconds`, default 3).
    pub response_delay_seconds: u32,
    /// Sent on a contact's first conversation, if set.
    pub welcome_message: Option<String>,
    /// Hours an agent stays paused after a human or API send (`agent_pause_hours`,
    /// default 12).
    pub pause_hours: u32,
    /// The org-wide default agent (hosted `default_agent_id`).
    pub default_agent_id: Option<AgentId>,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings {
            response_delay_seconds: 3,
            welcome_message: None,
            pause_hours: 12,
            default_agent_id: None,
        }
    }
}

fn object(extra: &Value) -> Map<String, Value> {
    extra.as_object().cloned().unwrap_or_default()
}

fn agent_id(v: &Value) -> Option<AgentId> {
    v.as_str()?.parse().ok().map(AgentId)
}

fn set_or_remove(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    match value {
        Some(v) => map.insert(key.into(), v),
        None => map.remove(key),
    };
}

impl AgentSettings {
    /// Read from `organizations.extra` (missing or malformed fields take defaults).
    pub fn from_extra(extra: &Value) -> Self {
        let d = AgentSettings::default();
        let num = |k: &str, default: u32| {
            extra[k]
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(default)
        };
        AgentSettings {
            response_delay_seconds: num("response_delay_seconds", d.response_delay_seconds),
            welcome_message: extra["welcome_message"]
                .as_str()
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string),
            pause_hours: num("agent_pause_hours", d.pause_hours),
            default_agent_id: agent_id(&extra["default_agent_id"]),
        }
    }

    /// `extra` with these settings written in (other keys kept).
    pub fn apply(&self, extra: &Value) -> Value {
        let mut map = object(extra);
        map.insert(
            "response_delay_seconds".into(),
            json!(self.response_delay_seconds),
        );
        map.insert("agent_pause_hours".into(), json!(self.pause_hours));
        set_or_remove(
            &mut map,
            "welcome_message",
            self.welcome_message.clone().map(Value::String),
        );
        set_or_remove(
            &mut map,
            "default_agent_id",
            self.default_agent_id.map(|a| json!(a.to_string())),
        );
        Value::Object(map)
    }
}

/// A conversation's agent state (`conversations.extra`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConversationAgent {
    /// The agent that answers this conversation (hosted `default_agent_id`).
    pub default_agent_id: Option<AgentId>,
    /// When agents were paused here (hosted `paused`, an RFC 3339 time).
    pub paused_at: Option<DateTime<Utc>>,
}

impl ConversationAgent {
    /// Read from `conversations.extra`.
    pub fn from_extra(extra: &Value) -> Self {
        ConversationAgent {
            default_agent_id: agent_id(&extra["default_agent_id"]),
            paused_at: extra["paused"]
                .as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc)),
        }
    }

    /// `extra` with this state written in (other keys kept).
    pub fn apply(&self, extra: &Value) -> Value {
        let mut map = object(extra);
        set_or_remove(
            &mut map,
            "default_agent_id",
            self.default_agent_id.map(|a| json!(a.to_string())),
        );
        set_or_remove(
            &mut map,
            "paused",
            self.paused_at.map(|t| json!(t.to_rfc3339())),
        );
        Value::Object(map)
    }

    /// Whether agents are paused here at `now` (a pause lasts `hours`).
    pub fn is_paused(&self, now: DateTime<Utc>, hours: u32) -> bool {
        self.paused_at
            .is_some_and(|at| now < at + Duration::hours(i64::from(hours)))
    }
}

/// The agent that answers a conversation: the conversation's default agent, else the
/// org's, when routed; else the first routed agent by creation time, then id (a total
/// order, so every replica picks the same one).
pub fn choose_agent<'a>(
    agents: &'a [AiAgent],
    conversation: &ConversationAgent,
    settings: &AgentSettings,
) -> Option<&'a AiAgent> {
    let routed = |id: Option<AgentId>| {
        id.and_then(|id| agents.iter().find(|a| a.id == id && a.config.is_routed()))
    };
    routed(conversation.default_agent_id)
        .or_else(|| routed(settings.default_agent_id))
        .or_else(|| {
            agents
                .iter()
                .filter(|a| a.config.is_routed())
                .min_by_key(|a| (a.created_at, a.id))
        })
}

/// AI agents and their settings.
#[async_trait]
pub trait AgentStore: Send + Sync {
    /// Creates an AI agent (and its sealed key). `NotFound("organization")` for an
    /// unknown org.
    async fn create_ai_agent(&self, org: OrgId, new: NewAiAgent) -> StoreResult<AiAgent>;
    /// The org's AI agents, oldest first.
    async fn list_ai_agents(&self, org: OrgId) -> StoreResult<Vec<AiAgent>>;
    /// One AI agent; `NotFound("agent")` when absent, human, or another org's.
    async fn get_ai_agent(&self, org: OrgId, id: AgentId) -> StoreResult<AiAgent>;
    /// Updates an AI agent's name, configuration and key.
    async fn update_ai_agent(
        &self,
        org: OrgId,
        id: AgentId,
        change: AiAgentChange,
    ) -> StoreResult<AiAgent>;
    /// The agent's sealed provider key, if it has one.
    async fn ai_agent_key(&self, org: OrgId, id: AgentId) -> StoreResult<Option<SealedSecret>>;
    /// The org's agent settings.
    async fn agent_settings(&self, org: OrgId) -> StoreResult<AgentSettings>;
    /// Writes the org's agent settings (other `extra` keys kept).
    async fn set_agent_settings(&self, org: OrgId, settings: &AgentSettings) -> StoreResult<()>;
    /// A conversation's agent state; `NotFound("conversation")` for another org's.
    async fn conversation_agent(
        &self,
        org: OrgId,
        conversation: ConversationId,
    ) -> StoreResult<ConversationAgent>;
    /// Writes a conversation's agent state (other `extra` keys kept).
    async fn set_conversation_agent(
        &self,
        org: OrgId,
        conversation: ConversationId,
        state: &ConversationAgent,
    ) -> StoreResult<()>;
}

/// The context agent `id`'s tool header values are sealed with
/// ([`SecretBox::seal_inline`](crate::secrets::SecretBox::seal_inline)).
pub fn tool_header_context(id: AgentId) -> String {
    format!("{id}/tool-headers")
}

/// `extra` as stored for `config`.
pub fn agent_extra(config: &AgentConfig) -> Value {
    serde_json::to_value(config).unwrap_or_else(|_| json!({}))
}

/// `config` read back from a stored `extra`. A row written by other means may not
/// validate: it reads as inactive (never routed), with the reason in `invalid` and the
/// fields that are not configuration kept.
pub fn config_from_extra(extra: Value) -> AgentConfig {
    match AgentConfig::from_json(extra.clone()) {
        Ok((config, _)) => config,
        Err(e) => {
            const FIELDS: [&str; 10] = [
                "protocol",
                "api_url",
                "model",
                "instructions",
                "temperature",
                "max_tokens",
                "max_messages",
                "tools",
                "mode",
                "api_key",
            ];
            let mut other = object(&extra);
            other.retain(|k, _| !FIELDS.contains(&k.as_str()));
            other.insert("invalid".into(), json!(e.0));
            AgentConfig {
                mode: wakit_core::AgentMode::Inactive,
                other,
                ..AgentConfig::default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_stored_configuration_reads_as_inactive_with_its_reason() {
        let config =
            config_from_extra(json!({"mode": "active", "temperature": 9, "description": "d"}));
        assert!(!config.is_routed());
        let shown = agent_extra(&config);
        assert_eq!(shown["mode"], "inactive");
        assert_eq!(shown["description"], "d");
        assert!(
            shown["invalid"]
                .as_str()
                .is_some_and(|r| r.contains("temperature"))
        );
    }
}
