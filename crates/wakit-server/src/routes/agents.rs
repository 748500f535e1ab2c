//! `/agents`, `/agent-settings`, `/conversations/{id}/agent`: AI agents and their
//! routing settings, for admin and owner keys and signed-in admins and owners (their
//! access token; `organization_id` picks the organization). A provider key is sealed on
//! the way in and never returned.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wakit_api::{
    AgentPatchBody, AgentSettingsBody, AgentView, AgentsResponse, ConversationAgentBody,
    ConversationAgentView, NewAgentBody,
};
use wakit_core::{AgentConfig, AgentId, ConversationId, HIDDEN_HEADER, KeyChange, OrgId, Role};
use wakit_store::{
    AiAgent, AiAgentChange, NewAiAgent, SealedKeyChange, agent_extra, tool_header_context,
};

use super::body::JsonBody;
use crate::AppState;
use crate::caller::OrgCaller;
use crate::error::ApiError;

/// The agent routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update))
        .routes(routes!(settings, change_settings))
        .routes(routes!(conversation_agent_state, conversation_agent))
}

fn admin(auth: &wakit_store::AuthContext) -> Result<OrgId, ApiError> {
    if auth.role < Role::Admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "AI agents are managed by admins and owners (an admin or owner API key or person)",
        ));
    }
    Ok(auth.org_id)
}

pub(super) fn parse<T: DeserializeOwned>(body: JsonBody) -> Result<T, ApiError> {
    serde_json::from_value(Value::Object(body.0))
        .map_err(|e| ApiError::bad_request(format!("Invalid body: {e}")))
}

pub(super) fn uuid_param(raw: &str, what: &str) -> Result<uuid::Uuid, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::bad_request(format!("{what} must be a UUID")))
}

fn view(a: AiAgent) -> AgentView {
    AgentView {
        id: a.id.to_string(),
        name: a.name,
        ai: true,
        extra: agent_extra(&a.config.redacted()),
        has_api_key: a.has_api_key,
        created_at: a.created_at.to_rfc3339(),
    }
}

fn config_error(e: wakit_core::AgentConfigError) -> ApiError {
    ApiError::bad_request(e.0)
}

fn name_of(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_request("name must be 1 to 200 characters"));
    }
    Ok(name.to_string())
}

/// Seals a plain key to the agent it belongs to.
fn seal(state: &AppState, id: AgentId, change: KeyChange) -> Result<SealedKeyChange, ApiError> {
    Ok(match change {
        KeyChange::Keep => SealedKeyChange::Keep,
        KeyChange::Clear => SealedKeyChange::Clear,
        KeyChange::Set(plain) => {
            let Some(meta) = &state.meta else {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "api_key cannot be stored: the server has no WAKIT_SECRET_KEY",
                ));
            };
            SealedKeyChange::Set(meta.secrets.seal(&plain, &id.to_string()))
        }
    })
}

/// Seals the tool header values of `config` given in plain. A value given as
/// [`HIDDEN_HEADER`] keeps `before`'s value of the same tool's header (sealed); a value
/// already sealed for this agent (kept by a merge) stays as it is.
fn seal_headers(
    state: &AppState,
    id: AgentId,
    config: &mut AgentConfig,
    before: Option<&AgentConfig>,
) -> Result<(), ApiError> {
    let context = tool_header_context(id);
    let secrets = state.meta.as_ref().map(|m| &m.secrets);
    for (i, name, value) in config.tool_headers_mut() {
        let given = value.as_str().unwrap_or_default().to_string();
        if given == HIDDEN_HEADER {
            *value = before
                .and_then(|b| b.tool_header(i, name))
                .cloned()
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "tools[{i}].config.headers.{name} is {HIDDEN_HEADER}: give its value"
                    ))
                })?;
            continue;
        }
        let Some(secrets) = secrets else {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "tool headers cannot be stored: the server has no WAKIT_SECRET_KEY",
            ));
        };
        if secrets.open_inline(&given, &context).is_err() {
            *value = Value::String(secrets.seal_inline(&given, &context));
        }
    }
    Ok(())
}

/// The org's AI agents, oldest first.
#[utoipa::path(get, path = "/agents", operation_id = "listAgents", tag = "agents", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam),
    responses((status = 200, description = "AI agents (keys never shown)", body = AgentsResponse),
        super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn list(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
) -> Result<Json<AgentsResponse>, ApiError> {
    let org = admin(&auth)?;
    let agents = state.store.list_ai_agents(org).await?;
    Ok(Json(AgentsResponse {
        agents: agents.into_iter().map(view).collect(),
    }))
}

/// Creates an AI agent from the hosted `AgentExtra`; `extra.api_key` is sealed.
#[utoipa::path(post, path = "/agents", operation_id = "createAgent", tag = "agents", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam),
    request_body = NewAgentBody,
    responses((status = 201, description = "The agent", body = AgentView), super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn create(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    body: JsonBody,
) -> Result<(StatusCode, Json<AgentView>), ApiError> {
    let org = admin(&auth)?;
    let body: NewAgentBody = parse(body)?;
    let extra = if body.extra.is_null() {
        Value::Object(Default::default())
    } else {
        body.extra
    };
    let (mut config, key) = AgentConfig::from_json(extra).map_err(config_error)?;
    let id = AgentId::new();
    seal_headers(&state, id, &mut config, None)?;
    let api_key = match seal(&state, id, key)? {
        SealedKeyChange::Set(sealed) => Some(sealed),
        _ => None,
    };
    let new = NewAiAgent {
        id,
        name: name_of(&body.name)?,
        config,
        api_key,
    };
    let agent = state.store.create_ai_agent(org, new).await?;
    Ok((StatusCode::CREATED, Json(view(agent))))
}

/// One AI agent.
#[utoipa::path(get, path = "/agents/{id}", operation_id = "getAgent", tag = "agents", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam, ("id" = String, Path, description = "The agent's id")),
    responses((status = 200, description = "The agent", body = AgentView), super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn show(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    Path(id): Path<String>,
) -> Result<Json<AgentView>, ApiError> {
    let org = admin(&auth)?;
    let id = AgentId(uuid_param(&id, "id")?);
    Ok(Json(view(state.store.get_ai_agent(org, id).await?)))
}

/// Renames an agent and/or deep-merges `extra` into its configuration.
#[utoipa::path(patch, path = "/agents/{id}", operation_id = "updateAgent", tag = "agents", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam, ("id" = String, Path, description = "The agent's id")), request_body = AgentPatchBody,
    responses((status = 200, description = "The agent", body = AgentView), super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn update(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Json<AgentView>, ApiError> {
    let org = admin(&auth)?;
    let id = AgentId(uuid_param(&id, "id")?);
    let patch: AgentPatchBody = parse(body)?;
    let before = state.store.get_ai_agent(org, id).await?;
    let (mut config, key) = match patch.extra {
        Some(extra) => before.config.merged(extra).map_err(config_error)?,
        None => (before.config.clone(), KeyChange::Keep),
    };
    seal_headers(&state, id, &mut config, Some(&before.config))?;
    let change = AiAgentChange {
        name: patch.name.as_deref().map(name_of).transpose()?,
        config,
        api_key: seal(&state, id, key)?,
    };
    Ok(Json(view(
        state.store.update_ai_agent(org, id, change).await?,
    )))
}

/// The org's agent settings.
#[utoipa::path(get, path = "/agent-settings", operation_id = "getAgentSettings", tag = "agents", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam),
    responses((status = 200, description = "The settings", body = AgentSettingsBody), super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn settings(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
) -> Result<Json<AgentSettingsBody>, ApiError> {
    let org = admin(&auth)?;
    Ok(Json(super::agent_settings::to_body(
        state.store.agent_settings(org).await?,
    )))
}

/// Changes the fields given of the org's agent settings.
#[utoipa::path(patch, path = "/agent-settings", operation_id = "updateAgentSettings", tag = "agents", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam),
    request_body = AgentSettingsBody,
    responses((status = 200, description = "The settings", body = AgentSettingsBody), super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn change_settings(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    body: JsonBody,
) -> Result<Json<AgentSettingsBody>, ApiError> {
    let org = admin(&auth)?;
    let body: AgentSettingsBody = parse(body)?;
    let current = state.store.agent_settings(org).await?;
    let next = super::agent_settings::apply(&state, org, current, body).await?;
    state.store.set_agent_settings(org, &next).await?;
    Ok(Json(super::agent_settings::to_body(next)))
}

/// Pauses or resumes agents in a conversation, and/or chooses its agent.
#[utoipa::path(post, path = "/conversations/{id}/agent", operation_id = "setConversationAgent", tag = "agents", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam, ("id" = String, Path, description = "The conversation's id")), request_body = ConversationAgentBody,
    responses((status = 200, description = "The conversation's agent state", body = ConversationAgentView),
        super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn conversation_agent(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Json<ConversationAgentView>, ApiError> {
    let org = admin(&auth)?;
    let conversation = ConversationId(uuid_param(&id, "id")?);
    let body: ConversationAgentBody = parse(body)?;
    let mut current = state.store.conversation_agent(org, conversation).await?;
    match body.paused {
        Some(true) => current.paused_at = Some(Utc::now()),
        Some(false) => current.paused_at = None,
        None => {}
    }
    if let Some(raw) = body.default_agent_id.as_deref() {
        current.default_agent_id =
            super::agent_settings::agent_choice(&state, org, raw, "default_agent_id").await?;
    }
    state
        .store
        .set_conversation_agent(org, conversation, &current)
        .await?;
    agent_view(&state, org, conversation, current).await
}

/// A conversation's agent state, for any member (the dashboard shows it).
#[utoipa::path(get, path = "/conversations/{id}/agent", operation_id = "getConversationAgent", tag = "agents", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam, ("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation's agent state", body = ConversationAgentView),
        super::openapi::ReadErrors))]
async fn conversation_agent_state(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    Path(id): Path<String>,
) -> Result<Json<ConversationAgentView>, ApiError> {
    let org = auth.org_id;
    let conversation = ConversationId(uuid_param(&id, "id")?);
    let current = state.store.conversation_agent(org, conversation).await?;
    agent_view(&state, org, conversation, current).await
}

async fn agent_view(
    state: &AppState,
    org: OrgId,
    conversation: ConversationId,
    current: wakit_store::ConversationAgent,
) -> Result<Json<ConversationAgentView>, ApiError> {
    let hours = state.store.agent_settings(org).await?.pause_hours;
    let agents = state.store.list_ai_agents(org).await?;
    let active = agents.iter().filter(|a| a.config.is_routed()).count();
    Ok(Json(ConversationAgentView {
        conversation_id: conversation.to_string(),
        default_agent_id: current.default_agent_id.map(|a| a.to_string()),
        paused_at: current.paused_at.map(|t| t.to_rfc3339()),
        paused: current.is_paused(Utc::now(), hours),
        active_agents: u32::try_from(active).unwrap_or(u32::MAX),
    }))
}
