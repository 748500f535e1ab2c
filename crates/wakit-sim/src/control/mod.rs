//! The control API under `/_sim/...` (documented in `docs/sim.md`): what a person or a
//! test uses to play customers and change numbers. Errors are `{"error","code"}` JSON.

mod customers;
mod numbers;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Chatty, Quirks};
use crate::core::Core;
use crate::error::{SimError, invalid};
use crate::sim::SimHandle;

/// Every control route.
pub(crate) fn router() -> Router<Arc<Core>> {
    Router::new()
        .route("/_sim", get(index))
        .route("/_sim/numbers", get(numbers::list).post(numbers::create))
        .route("/_sim/numbers/{id}", get(numbers::show))
        .route("/_sim/numbers/{id}/quality", post(numbers::quality))
        .route("/_sim/numbers/{id}/limit", post(numbers::limit))
        .route("/_sim/numbers/{id}/health", post(numbers::health))
        .route(
            "/_sim/numbers/{id}/expire-token",
            post(numbers::expire_token),
        )
        .route("/_sim/numbers/{id}/renew-token", post(numbers::renew_token))
        .route(
            "/_sim/wabas/{waba_id}/templates",
            get(numbers::templates).post(numbers::add_template),
        )
        .route(
            "/_sim/templates/{id}/status",
            post(numbers::template_status),
        )
        .route(
            "/_sim/templates/{id}/quality",
            post(numbers::template_quality),
        )
        .route("/_sim/messages", post(customers::sender_write))
        .route("/_sim/customers/{phone}", get(customers::show))
        .route("/_sim/customers/{phone}/messages", post(customers::write))
        .route("/_sim/customers/{phone}/window", post(customers::window))
        .route(
            "/_sim/customers/{phone}/settings",
            post(customers::settings),
        )
        .route("/_sim/batch", post(customers::batch))
        .route("/_sim/storm", post(customers::storm))
        .route("/_sim/sent", get(sent))
        .route("/_sim/reads", get(reads))
        .route("/_sim/stats", get(stats))
        .route("/_sim/webhooks", get(webhooks))
        .route("/_sim/webhooks/idle", get(idle))
        .route("/_sim/webhook-url", post(webhook_url))
        .route("/_sim/webhook-url/verify", post(verify))
        .route("/_sim/quirks", post(quirks))
        .route("/_sim/chatty", post(chatty))
        .route("/_sim/{*rest}", any(fallback))
}

/// Whether `path` belongs to the control API.
pub(crate) fn is_control(path: &str) -> bool {
    path == "/_sim" || path.starts_with("/_sim/")
}

/// Unknown paths: a control-style 404 under `/_sim`, Meta's error elsewhere.
pub(crate) async fn fallback(uri: OriginalUri) -> Response {
    if is_control(uri.path()) {
        let body =
            json!({"error": format!("no control route {}", uri.path()), "code": "not_found"});
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    }
    crate::graph::unknown_path(uri).await
}

/// A control route with the wrong method.
pub(crate) fn wrong_method(method: &str, path: &str) -> Response {
    let body = json!({"error": format!("{method} is not allowed on {path}"), "code": "method_not_allowed"});
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}

/// Parses a JSON body (an empty body reads as `{}`) with a clear 400 on failure.
pub(crate) fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, SimError> {
    let raw: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(raw).map_err(|e| invalid(format!("invalid JSON body: {e}")))
}

pub(crate) fn handle(core: &Arc<Core>) -> SimHandle {
    SimHandle::view(core.clone())
}

pub(crate) fn query_usize(
    q: &HashMap<String, String>,
    key: &str,
    default: usize,
) -> Result<usize, SimError> {
    match q.get(key) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| invalid(format!("{key} must be a non-negative integer"))),
    }
}

async fn index(State(core): State<Arc<Core>>) -> Json<Value> {
    let h = handle(&core);
    Json(json!({
        "base_url": h.base_url(),
        "control_url": h.control_url(),
        "webhook_url": h.webhook_url(),
        "numbers": h.numbers(),
        "docs": "docs/sim.md",
    }))
}

async fn sent(
    State(core): State<Arc<Core>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, SimError> {
    let limit = query_usize(&q, "limit", usize::MAX)?;
    let all = handle(&core).sent_messages();
    let matching: Vec<_> = all
        .into_iter()
        .filter(|m| {
            q.get("phone_number_id")
                .is_none_or(|p| *p == m.phone_number_id)
        })
        .filter(|m| q.get("to").is_none_or(|t| *t == m.wa_id || *t == m.to))
        .collect();
    let skip = matching.len().saturating_sub(limit);
    let data: Vec<_> = matching.into_iter().skip(skip).collect();
    Ok(Json(json!({ "data": data })))
}

async fn reads(State(core): State<Arc<Core>>) -> Json<Value> {
    Json(json!({ "data": handle(&core).read_receipts() }))
}

async fn stats(State(core): State<Arc<Core>>) -> Json<Value> {
    Json(json!(handle(&core).stats()))
}

async fn webhooks(
    State(core): State<Arc<Core>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, SimError> {
    let limit = query_usize(&q, "limit", 100)?;
    Ok(Json(
        json!({ "data": handle(&core).webhook_records(limit) }),
    ))
}

async fn idle(
    State(core): State<Arc<Core>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, SimError> {
    let ms = query_usize(&q, "timeout_ms", 5000)?.min(60_000);
    let h = handle(&core);
    let idle = h.wait_webhooks_idle(Duration::from_millis(ms as u64)).await;
    let status = if idle {
        StatusCode::OK
    } else {
        StatusCode::GATEWAY_TIMEOUT
    };
    Ok((
        status,
        Json(json!({"idle": idle, "webhooks": h.stats().webhooks})),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UrlIn {
    url: Option<String>,
}

async fn webhook_url(State(core): State<Arc<Core>>, body: Bytes) -> Result<Json<Value>, SimError> {
    let input: UrlIn = parse(&body)?;
    let h = handle(&core);
    match input.url {
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => h.set_webhook_url(u),
        Some(_) => return Err(invalid("url must be an http(s) URL")),
        None => h.clear_webhook_url(),
    }
    Ok(Json(json!({ "webhook_url": h.webhook_url() })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyIn {
    verify_token: String,
}

async fn verify(State(core): State<Arc<Core>>, body: Bytes) -> Result<Json<Value>, SimError> {
    let input: VerifyIn = parse(&body)?;
    let (status, ok) = core
        .webhooks
        .handshake(&input.verify_token)
        .await
        .map_err(SimError::Invalid)?;
    Ok(Json(json!({"verified": ok, "status": status})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuirksIn {
    preset: Option<String>,
    duplicate_status: Option<f64>,
    duplicate_inbound: Option<f64>,
    reorder_statuses: Option<f64>,
    skip_delivered: Option<f64>,
    status_before_response: Option<f64>,
    unordered_delivery: Option<bool>,
}

async fn quirks(State(core): State<Arc<Core>>, body: Bytes) -> Result<Json<Value>, SimError> {
    let input: QuirksIn = parse(&body)?;
    let mut q = match input.preset.as_deref() {
        None => core.state().quirks.clone(),
        Some("none" | "off") => Quirks::none(),
        Some("meta_like" | "on") => Quirks::meta_like(),
        Some("always") => Quirks::always(),
        Some(other) => {
            return Err(invalid(format!(
                "unknown preset {other:?} (none, meta_like, always)"
            )));
        }
    };
    let prob = |v: Option<f64>, name: &str, slot: &mut f64| -> Result<(), SimError> {
        match v {
            Some(p) if (0.0..=1.0).contains(&p) => {
                *slot = p;
                Ok(())
            }
            Some(_) => Err(invalid(format!("{name} must be a probability in 0..=1"))),
            None => Ok(()),
        }
    };
    prob(
        input.duplicate_status,
        "duplicate_status",
        &mut q.duplicate_status,
    )?;
    prob(
        input.duplicate_inbound,
        "duplicate_inbound",
        &mut q.duplicate_inbound,
    )?;
    prob(
        input.reorder_statuses,
        "reorder_statuses",
        &mut q.reorder_statuses,
    )?;
    prob(
        input.skip_delivered,
        "skip_delivered",
        &mut q.skip_delivered,
    )?;
    prob(
        input.status_before_response,
        "status_before_response",
        &mut q.status_before_response,
    )?;
    if let Some(u) = input.unordered_delivery {
        q.unordered_delivery = u;
    }
    handle(&core).set_quirks(q.clone());
    Ok(Json(json!({
        "duplicate_status": q.duplicate_status, "duplicate_inbound": q.duplicate_inbound,
        "reorder_statuses": q.reorder_statuses,
        "skip_delivered": q.skip_delivered, "status_before_response": q.status_before_response,
        "unordered_delivery": q.unordered_delivery,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChattyIn {
    enabled: bool,
    reply_probability: Option<f64>,
    min_delay_ms: Option<u64>,
    max_delay_ms: Option<u64>,
    lines: Option<Vec<String>>,
}

async fn chatty(State(core): State<Arc<Core>>, body: Bytes) -> Result<Json<Value>, SimError> {
    let input: ChattyIn = parse(&body)?;
    if !input.enabled {
        handle(&core).set_chatty(None);
        return Ok(Json(json!({"enabled": false})));
    }
    let mut c = Chatty::default();
    if let Some(p) = input.reply_probability {
        if !(0.0..=1.0).contains(&p) {
            return Err(invalid("reply_probability must be in 0..=1"));
        }
        c.reply_probability = p;
    }
    let min = input
        .min_delay_ms
        .map(Duration::from_millis)
        .unwrap_or(c.delay.start);
    let max = input
        .max_delay_ms
        .map(Duration::from_millis)
        .unwrap_or(c.delay.end.max(min));
    if max < min {
        return Err(invalid("max_delay_ms must be >= min_delay_ms"));
    }
    c.delay = min..max;
    if let Some(lines) = input.lines {
        if lines.is_empty() {
            return Err(invalid("lines must not be empty"));
        }
        c.lines = lines;
    }
    handle(&core).set_chatty(Some(c.clone()));
    Ok(Json(
        json!({"enabled": true, "reply_probability": c.reply_probability,
        "min_delay_ms": c.delay.start.as_millis() as u64, "max_delay_ms": c.delay.end.as_millis() as u64,
        "lines": c.lines}),
    ))
}
