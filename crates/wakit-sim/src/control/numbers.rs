//! Control routes for numbers, tokens and templates.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

use super::{handle, parse};
use crate::core::Core;
use crate::error::{SimError, invalid};
use crate::number::{CanSend, DEFAULT_MPS, MAX_MPS, MessagingLimit, NumberSpec, Quality};
use crate::template::TemplateSpec;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NumberIn {
    phone_number_id: Option<String>,
    display_phone_number: Option<String>,
    verified_name: Option<String>,
    waba_id: Option<String>,
    access_token: Option<String>,
    quality_rating: Option<String>,
    messaging_limit: Option<String>,
    throughput: Option<Value>,
}

fn quality_of(s: &str) -> Result<Quality, SimError> {
    Quality::parse(s)
        .ok_or_else(|| invalid("quality_rating must be GREEN, YELLOW, RED, NA or UNKNOWN"))
}

fn limit_of(s: &str) -> Result<MessagingLimit, SimError> {
    MessagingLimit::parse(s).ok_or_else(|| {
        invalid("messaging_limit must be TIER_250, TIER_2K, TIER_10K, TIER_100K or TIER_UNLIMITED")
    })
}

/// `throughput`: messages per second, or `STANDARD` (80) / `HIGH` (1000).
fn mps_of(v: &Value) -> Result<u32, SimError> {
    let bad = || {
        invalid(format!(
            "throughput must be 1..={MAX_MPS} messages per second, STANDARD or HIGH"
        ))
    };
    match v {
        Value::Number(n) => n
            .as_u64()
            .filter(|m| (1..=u64::from(MAX_MPS)).contains(m))
            .map(|m| m as u32)
            .ok_or_else(bad),
        Value::String(s) if s.eq_ignore_ascii_case("STANDARD") => Ok(DEFAULT_MPS),
        Value::String(s) if s.eq_ignore_ascii_case("HIGH") => Ok(MAX_MPS),
        _ => Err(bad()),
    }
}

pub(crate) async fn list(State(core): State<Arc<Core>>) -> Json<Value> {
    Json(json!({ "data": handle(&core).numbers() }))
}

pub(crate) async fn show(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, SimError> {
    let n = handle(&core)
        .number(&id)
        .ok_or(SimError::UnknownNumber(id))?;
    Ok(Json(json!(n)))
}

pub(crate) async fn create(
    State(core): State<Arc<Core>>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), SimError> {
    let input: NumberIn = parse(&body)?;
    let digits = input
        .display_phone_number
        .ok_or_else(|| invalid("display_phone_number (digits) is required"))?;
    let mut spec = NumberSpec::new(digits);
    spec.phone_number_id = input.phone_number_id;
    spec.verified_name = input.verified_name;
    spec.waba_id = input.waba_id;
    spec.access_token = input.access_token;
    if let Some(q) = input.quality_rating {
        spec.quality_rating = quality_of(&q)?;
    }
    if let Some(l) = input.messaging_limit {
        spec.messaging_limit = limit_of(&l)?;
    }
    if let Some(t) = &input.throughput {
        spec.throughput_mps = mps_of(t)?;
    }
    let n = handle(&core).add_number(spec)?;
    Ok((StatusCode::CREATED, Json(json!(n))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QualityIn {
    quality_rating: String,
}

pub(crate) async fn quality(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let input: QualityIn = parse(&body)?;
    let n = handle(&core).set_quality(&id, quality_of(&input.quality_rating)?)?;
    Ok(Json(json!(n)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitIn {
    messaging_limit: Option<String>,
    throughput: Option<Value>,
}

pub(crate) async fn limit(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let input: LimitIn = parse(&body)?;
    if input.messaging_limit.is_none() && input.throughput.is_none() {
        return Err(invalid("give messaging_limit and/or throughput"));
    }
    let limit = input.messaging_limit.as_deref().map(limit_of).transpose()?;
    let mps = input.throughput.as_ref().map(mps_of).transpose()?;
    let n = core.set_limit(&id, limit, mps)?;
    Ok(Json(json!(n)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthIn {
    can_send_message: String,
}

pub(crate) async fn health(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let input: HealthIn = parse(&body)?;
    let h = CanSend::parse(&input.can_send_message)
        .ok_or_else(|| invalid("can_send_message must be AVAILABLE, LIMITED or BLOCKED"))?;
    Ok(Json(json!(handle(&core).set_health(&id, h)?)))
}

pub(crate) async fn expire_token(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, SimError> {
    Ok(Json(json!(handle(&core).expire_token(&id)?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenIn {
    access_token: Option<String>,
}

pub(crate) async fn renew_token(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let input: TokenIn = parse(&body)?;
    Ok(Json(json!(
        handle(&core).renew_token(&id, input.access_token)?
    )))
}

pub(crate) async fn templates(
    State(core): State<Arc<Core>>,
    Path(waba_id): Path<String>,
) -> Result<Json<Value>, SimError> {
    if !core.state().waba_exists(&waba_id) {
        return Err(SimError::UnknownWaba(waba_id));
    }
    let data: Vec<Value> = handle(&core)
        .templates(&waba_id)
        .iter()
        .map(|t| t.to_graph())
        .collect();
    Ok(Json(json!({ "data": data })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateIn {
    name: String,
    language: String,
    category: Option<String>,
    status: Option<String>,
    parameter_format: Option<String>,
    components: Option<Vec<Value>>,
    /// Shorthand for one BODY component.
    body: Option<String>,
}

pub(crate) async fn add_template(
    State(core): State<Arc<Core>>,
    Path(waba_id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), SimError> {
    let input: TemplateIn = parse(&body)?;
    let components = match (input.components, input.body) {
        (Some(_), Some(_)) => return Err(invalid("give components or body, not both")),
        (Some(c), None) => c,
        (None, Some(b)) => vec![json!({"type": "BODY", "text": b})],
        (None, None) => return Err(invalid("components or body is required")),
    };
    let spec = TemplateSpec {
        name: input.name,
        language: input.language,
        category: input.category.unwrap_or_else(|| "UTILITY".into()),
        status: input.status.unwrap_or_else(|| "APPROVED".into()),
        parameter_format: input.parameter_format,
        components,
    };
    let t = handle(&core).add_template(&waba_id, spec)?;
    Ok((StatusCode::CREATED, Json(t.to_graph())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusIn {
    status: String,
}

pub(crate) async fn template_status(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let input: StatusIn = parse(&body)?;
    let t = handle(&core).set_template_status(&id, &input.status)?;
    Ok(Json(t.to_graph()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateQualityIn {
    quality_score: String,
}

/// `POST /_sim/templates/{id}/quality`: `{"quality_score": "RED"}`.
pub(crate) async fn template_quality(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let input: TemplateQualityIn = parse(&body)?;
    let q = Quality::parse(&input.quality_score)
        .ok_or_else(|| invalid("quality_score must be GREEN, YELLOW, RED or UNKNOWN"))?;
    let t = handle(&core).set_template_quality(&id, q)?;
    Ok(Json(t.to_graph()))
}
