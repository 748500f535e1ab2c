//! AI agents (`/agents`), the org's agent settings (`/agent-settings`) and a
//! conversation's agent state (`/conversations/{id}/agent`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /agents`: a new AI agent. `extra` is the hosted `AgentExtra` (`api_url`,
/// `model`, `instructions`, `temperature`, `max_tokens`, `max_messages`, `tools`,
/// `mode`, `protocol`, `api_key`); `api_key` is sealed and never shown again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAgentBody {
    /// Display name.
    pub name: String,
    /// The configuration (`api_key` write-only).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extra: Value,
}

/// `PATCH /agents/{id}`: `extra` is deep-merged (`null` removes a field;
/// `"api_key": null` removes the key).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AgentPatchBody {
    /// A new display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Fields to merge into the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extra: Option<Value>,
}

/// An AI agent. Its provider key is never returned: only `has_api_key`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentView {
    /// The agent's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Always true here (human agents are members).
    pub ai: bool,
    /// The configuration as stored (never `api_key`).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extra: Value,
    /// Whether a sealed provider key is stored.
    pub has_api_key: bool,
    /// RFC 3339.
    pub created_at: String,
}

/// `GET /agents`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentsResponse {
    /// Oldest first.
    pub agents: Vec<AgentView>,
}

/// The org's agent settings (`PATCH` changes the fields given).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AgentSettingsBody {
    /// Seconds to wait for a customer's burst before answering (0..=300, default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_delay_seconds: Option<u32>,
    /// Sent on a contact's first conversation; `""` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_message: Option<String>,
    /// Hours agents stay paused in a conversation after a human or API send
    /// (1..=720, default 12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_hours: Option<u32>,
    /// The org-wide default agent; `""` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_agent_id: Option<String>,
}

/// `POST /conversations/{id}/agent`: pause or resume agents here, and/or choose the
/// conversation's agent (`""` removes the choice).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConversationAgentBody {
    /// `true` pauses agents now (for the org's `pause_hours`), `false` resumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    /// The agent that answers this conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_agent_id: Option<String>,
}

/// A conversation's agent state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationAgentView {
    /// The conversation.
    pub conversation_id: String,
    /// Its chosen agent, if any.
    pub default_agent_id: Option<String>,
    /// When agents were paused here (RFC 3339), if they are.
    pub paused_at: Option<String>,
    /// Whether agents are paused now.
    pub paused: bool,
    /// The org's AI agents that answer (mode `active`): none, and nothing answers here.
    #[serde(default)]
    pub active_agents: u32,
}
