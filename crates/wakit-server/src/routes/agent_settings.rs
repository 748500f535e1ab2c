//! Validating the agent settings a request changes.

use wakit_api::AgentSettingsBody;
use wakit_core::{AgentId, OrgId};
use wakit_store::AgentSettings;

use crate::AppState;
use crate::error::ApiError;

/// The longest debounce (seconds) and pause (hours) accepted.
const MAX_DELAY_SECONDS: u32 = 300;
const MAX_PAUSE_HOURS: u32 = 720;

/// The wire form of the settings.
pub(crate) fn to_body(s: AgentSettings) -> AgentSettingsBody {
    AgentSettingsBody {
        response_delay_seconds: Some(s.response_delay_seconds),
        welcome_message: s.welcome_message,
        pause_hours: Some(s.pause_hours),
        default_agent_id: s.default_agent_id.map(|a| a.to_string()),
    }
}

/// `raw` as an agent choice: `""` for none, else one of the org's AI agents.
pub(crate) async fn agent_choice(
    state: &AppState,
    org: OrgId,
    raw: &str,
    field: &str,
) -> Result<Option<AgentId>, ApiError> {
    if raw.is_empty() {
        return Ok(None);
    }
    let id = raw
        .parse()
        .map(AgentId)
        .map_err(|_| ApiError::bad_request(format!("{field} must be an agent id or \"\"")))?;
    match state.store.get_ai_agent(org, id).await {
        Ok(_) => Ok(Some(id)),
        Err(wakit_store::StoreError::NotFound(_)) => Err(ApiError::bad_request(format!(
            "{field}: no AI agent {raw} in this organization"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// `current` with the fields of `body` applied, validated.
pub(crate) async fn apply(
    state: &AppState,
    org: OrgId,
    mut current: AgentSettings,
    body: AgentSettingsBody,
) -> Result<AgentSettings, ApiError> {
    if let Some(d) = body.response_delay_seconds {
        if d > MAX_DELAY_SECONDS {
            return Err(ApiError::bad_request(format!(
                "response_delay_seconds must be in 0..={MAX_DELAY_SECONDS}"
            )));
        }
        current.response_delay_seconds = d;
    }
    if let Some(h) = body.pause_hours {
        if !(1..=MAX_PAUSE_HOURS).contains(&h) {
            return Err(ApiError::bad_request(format!(
                "pause_hours must be in 1..={MAX_PAUSE_HOURS}"
            )));
        }
        current.pause_hours = h;
    }
    if let Some(w) = body.welcome_message {
        if w.chars().count() > 4096 {
            return Err(ApiError::bad_request(
                "welcome_message must be at most 4096 characters (WhatsApp's text limit)",
            ));
        }
        current.welcome_message = Some(w).filter(|w| !w.trim().is_empty());
    }
    if let Some(raw) = body.default_agent_id.as_deref() {
        current.default_agent_id = agent_choice(state, org, raw, "default_agent_id").await?;
    }
    Ok(current)
}
