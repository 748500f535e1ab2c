//! `POST /v1/chat/completions` and the model's control routes under `/_sim/model`.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::reply::{completion, default_step, error_body};
use super::step::StepIn;
use super::{ModelRequest, ModelStep};
use crate::control::{handle, parse};
use crate::core::Core;
use crate::error::{SimError, invalid};

/// The chat-completions route and the model's control routes.
pub(crate) fn router() -> Router<Arc<Core>> {
    Router::new()
        .route("/v1/chat/completions", post(completions))
        .route("/a2a", post(super::a2a::send))
        .route("/_sim/model", get(status).post(settings))
        .route("/_sim/model/script", post(script))
        .route("/_sim/model/requests", get(requests))
        .route("/_sim/model/reset", post(reset))
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// Why a request is refused before any step is used.
fn refusal(body: &Value) -> Option<&'static str> {
    if body["model"].as_str().is_none_or(|m| m.trim().is_empty()) {
        return Some("you must provide a model parameter");
    }
    if body["messages"].as_array().is_none_or(Vec::is_empty) {
        return Some("messages must be a non-empty array");
    }
    None
}

async fn completions(State(core): State<Arc<Core>>, headers: HeaderMap, raw: Bytes) -> Response {
    let api_key = bearer(&headers);
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let model = body["model"].as_str().unwrap_or_default().to_string();
    let settings = core.model.settings();
    let record = |answered: String, scripted: bool| ModelRequest {
        model: model.clone(),
        api_key: api_key.clone(),
        body: body.clone(),
        answered,
        scripted,
        at: chrono::Utc::now(),
    };
    if settings.api_key.is_some() && settings.api_key != api_key {
        core.model.record(record("unauthorized".into(), false));
        let err = error_body(
            "Incorrect API key provided",
            "invalid_request_error",
            Some("invalid_api_key"),
        );
        return (StatusCode::UNAUTHORIZED, Json(err)).into_response();
    }
    if let Some(why) = refusal(&body) {
        core.model.record(record("invalid".into(), false));
        let err = error_body(why, "invalid_request_error", None);
        return (StatusCode::BAD_REQUEST, Json(err)).into_response();
    }
    let (scripted, call) = core.model.next(&model);
    let is_scripted = scripted.is_some();
    let step = scripted.unwrap_or_else(|| default_step(&body));
    core.model.record(record(answered(&step), is_scripted));
    let wait = Duration::from_millis(settings.latency_ms) + step.delay();
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = core.cancel.cancelled() => {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    match &step {
        ModelStep::Error {
            status, message, ..
        } => {
            let kind = if *status < 500 {
                "invalid_request_error"
            } else {
                "server_error"
            };
            let code = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (code, Json(error_body(message, kind, None))).into_response()
        }
        ModelStep::Hang => StatusCode::GATEWAY_TIMEOUT.into_response(),
        _ => Json(completion(&body, &step, call)).into_response(),
    }
}

pub(super) fn answered(step: &ModelStep) -> String {
    match step {
        ModelStep::Respond { .. } => "respond".into(),
        ModelStep::Tool { name, .. } => format!("tool:{name}"),
        ModelStep::Text { .. } => "text".into(),
        ModelStep::Error { status, .. } => format!("error:{status}"),
        ModelStep::Hang => "hang".into(),
    }
}

async fn status(State(core): State<Arc<Core>>) -> Json<Value> {
    Json(json!(handle(&core).model_status()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsIn {
    #[serde(default)]
    latency_ms: u64,
    api_key: Option<String>,
}

async fn settings(State(core): State<Arc<Core>>, body: Bytes) -> Result<Json<Value>, SimError> {
    let input: SettingsIn = parse(&body)?;
    let h = handle(&core);
    h.set_model(Duration::from_millis(input.latency_ms), input.api_key)?;
    Ok(Json(json!(h.model_status())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptIn {
    model: Option<String>,
    steps: Vec<StepIn>,
}

async fn script(
    State(core): State<Arc<Core>>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), SimError> {
    let input: ScriptIn = parse(&body)?;
    if input.model.as_deref().is_some_and(|m| m.trim().is_empty()) {
        return Err(invalid("model must not be empty"));
    }
    let steps = input
        .steps
        .into_iter()
        .enumerate()
        .map(|(i, s)| ModelStep::try_from(s).map_err(|e| invalid(format!("steps[{i}]: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let h = handle(&core);
    h.script_model(input.model.as_deref(), steps);
    Ok((StatusCode::CREATED, Json(json!(h.model_status()))))
}

async fn requests(
    State(core): State<Arc<Core>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, SimError> {
    let limit = crate::control::query_usize(&q, "limit", 100)?;
    let all = handle(&core).model_requests();
    let skip = all.len().saturating_sub(limit);
    let data: Vec<_> = all
        .into_iter()
        .skip(skip)
        .filter(|r| q.get("model").is_none_or(|m| *m == r.model))
        .collect();
    Ok(Json(json!({ "data": data })))
}

async fn reset(State(core): State<Arc<Core>>) -> Json<Value> {
    let h = handle(&core);
    h.reset_model();
    Json(json!(h.model_status()))
}
