//! `/webhooks`, `/deliveries`: the org's outbound webhook endpoints and their delivery
//! log, for admin and owner keys and signed-in admins and owners (their access token;
//! `organization_id` picks the organization). The `whsec_` secret is answered once, on
//! creation and rotation; secrets and tokens are stored sealed to the endpoint.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use wakit_api::{
    AttemptView, DeliveriesResponse, DeliveryView, NewWebhookBody, RecoverBody, RecoverResponse,
    WebhookPatchBody, WebhookView, WebhooksResponse,
};
use wakit_core::{AccountId, OrgId, Role};
use wakit_store::secrets::{SealedSecret, SecretBox};
use wakit_store::{
    Delivery, DeliveryAttempt, NewDelivery, NewWebhook, WebhookChange, WebhookEndpoint,
};

use super::agents::{parse, uuid_param};
use super::body::JsonBody;
use super::params::select_account;
use crate::AppState;
use crate::caller::OrgCaller;
use crate::deliveries::sender::Sender;
use crate::deliveries::signature::new_secret;
use crate::error::ApiError;

/// How long the previous secret keeps signing after a rotation.
const ROTATION_OVERLAP: chrono::Duration = chrono::Duration::hours(24);
/// Deliveries listed at most.
const LIST: u32 = 100;

/// The webhook routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
        .routes(routes!(test))
        .routes(routes!(deliveries))
        .routes(routes!(recover))
        .routes(routes!(rotate))
        .routes(routes!(retry))
}

fn admin(auth: &wakit_store::AuthContext) -> Result<OrgId, ApiError> {
    if auth.role < Role::Admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Webhooks are managed by admins and owners (an admin or owner API key or person)",
        ));
    }
    Ok(auth.org_id)
}

/// The org of an admin key and the id in the path.
fn admin_and_id(auth: &wakit_store::AuthContext, id: &str) -> Result<(OrgId, Uuid), ApiError> {
    Ok((admin(auth)?, uuid_param(id, "id")?))
}

fn secret_box(state: &AppState) -> Result<&SecretBox, ApiError> {
    state.api.webhooks.secrets.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "webhooks cannot be stored: the server has no WAKIT_SECRET_KEY",
        )
    })
}

fn time(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339())
}

fn view(w: WebhookEndpoint, secret: Option<String>) -> WebhookView {
    WebhookView {
        id: w.id.to_string(),
        url: w.url,
        table_name: w.table_name,
        operations: w.operations,
        account_id: w.account_id.map(|a| a.to_string()),
        has_token: w.token.is_some(),
        enabled: w.disabled_at.is_none(),
        disabled_at: time(w.disabled_at),
        disabled_reason: w.disabled_reason,
        failing_since: time(w.failing_since),
        created_at: w.created_at.to_rfc3339(),
        secret,
    }
}

fn attempt_view(a: DeliveryAttempt) -> AttemptView {
    AttemptView {
        attempt: a.attempt,
        status: a.status,
        latency_ms: a.latency_ms,
        response: a.response,
        error: a.error,
        at: a.at.to_rfc3339(),
    }
}

/// `d` with its attempts among `log` (the delivery log, by delivery then attempt).
fn delivery_view(d: Delivery, log: &[DeliveryAttempt]) -> DeliveryView {
    let attempt_log = log
        .iter()
        .filter(|a| a.delivery_id == d.id)
        .cloned()
        .map(attempt_view)
        .collect();
    DeliveryView {
        attempt_log,
        id: d.id.to_string(),
        webhook_id: d.webhook_id.to_string(),
        msg_id: d.msg_id,
        event_type: d.event_type,
        event_seq: d.event_seq,
        state: d.state,
        attempts: d.attempts,
        next_attempt_at: d.next_attempt_at.to_rfc3339(),
        last_status: d.last_status,
        last_latency_ms: d.last_latency_ms,
        last_response: d.last_response,
        last_error: d.last_error,
        created_at: d.created_at.to_rfc3339(),
        delivered_at: time(d.delivered_at),
    }
}

fn table(raw: &str) -> Result<String, ApiError> {
    match raw {
        "messages" | "conversations" | "contacts" => Ok(raw.to_string()),
        _ => Err(ApiError::bad_request(
            "table_name must be messages, conversations or contacts",
        )),
    }
}

fn operations(raw: Vec<String>) -> Result<Vec<String>, ApiError> {
    let mut ops = Vec::new();
    for op in raw {
        if !matches!(op.as_str(), "insert" | "update") {
            return Err(ApiError::bad_request(format!(
                "Unknown operation {op:?}; operations are insert and update"
            )));
        }
        if !ops.contains(&op) {
            ops.push(op);
        }
    }
    Ok(ops)
}

fn url(state: &AppState, raw: &str) -> Result<String, ApiError> {
    let url = raw.trim();
    Sender::check_url(url, state.api.webhooks.allow_private).map_err(ApiError::bad_request)?;
    Ok(url.to_string())
}

fn token(secrets: &SecretBox, id: Uuid, raw: Option<String>) -> Option<SealedSecret> {
    raw.filter(|t| !t.is_empty())
        .map(|t| secrets.seal(&t, &id.to_string()))
}

/// The org's webhook endpoints, oldest first (secrets and tokens never shown).
#[utoipa::path(get, path = "/webhooks", operation_id = "listWebhooks", tag = "webhooks", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam),
    responses((status = 200, description = "Endpoints", body = WebhooksResponse),
        super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn list(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
) -> Result<Json<WebhooksResponse>, ApiError> {
    let org = admin(&auth)?;
    let webhooks = state.store.list_webhooks(org).await?;
    Ok(Json(WebhooksResponse {
        webhooks: webhooks.into_iter().map(|w| view(w, None)).collect(),
    }))
}

/// Adds an endpoint; the answer carries its `whsec_` signing secret, shown only here.
/// It receives the events committed from now on. 409 when the org has the most
/// endpoints allowed.
#[utoipa::path(post, path = "/webhooks", operation_id = "createWebhook", tag = "webhooks", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam),
    request_body = NewWebhookBody,
    responses((status = 201, description = "The endpoint, with its secret", body = WebhookView),
        (status = 409, description = "Too many endpoints", body = wakit_api::ErrorBody),
        super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn create(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    body: JsonBody,
) -> Result<(StatusCode, Json<WebhookView>), ApiError> {
    let org = admin(&auth)?;
    let body: NewWebhookBody = parse(body)?;
    let account_id = match body.account_phone.as_deref() {
        Some(p) => Some(select_account(&state, org, Some(p)).await?.id),
        None => None,
    };
    let endpoint = Endpoint {
        account_id,
        table_name: body.table_name,
        operations: body.operations,
        url: body.url,
        token: body.token,
    };
    let (created, secret) = create_endpoint(&state, org, endpoint).await?;
    Ok((StatusCode::CREATED, Json(view(created, Some(secret)))))
}

/// An endpoint to create, as a caller describes it.
pub(crate) struct Endpoint {
    /// Only events of this number.
    pub account_id: Option<AccountId>,
    /// `messages` or `conversations`.
    pub table_name: String,
    /// `insert` and/or `update`.
    pub operations: Vec<String>,
    /// Where deliveries go (checked against internal addresses).
    pub url: String,
    /// Sent as `Authorization: Bearer` when set.
    pub token: Option<String>,
}

/// Creates `org`'s endpoint (checked, its token and a new `whsec_` secret sealed, its
/// cursor at the log's end, within the org's cap); answers it and the secret, shown once.
/// The management API and `/rest/v1/webhooks` both create endpoints here.
pub(crate) async fn create_endpoint(
    state: &AppState,
    org: OrgId,
    e: Endpoint,
) -> Result<(WebhookEndpoint, String), ApiError> {
    let secrets = secret_box(state)?;
    let id = Uuid::new_v4();
    let secret = new_secret();
    let new = NewWebhook {
        id,
        account_id: e.account_id,
        table_name: table(&e.table_name)?,
        operations: operations(e.operations)?,
        url: url(state, &e.url)?,
        token: token(secrets, id, e.token),
        secret: secrets.seal(&secret, &id.to_string()),
    };
    let max = state.api.webhooks.max_endpoints;
    let created = state
        .store
        .create_webhook(org, new, max)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "too_many_webhooks",
                format!("The organization has {max} webhook endpoints, the most allowed"),
            )
        })?;
    Ok((created, secret))
}

/// One endpoint.
#[utoipa::path(get, path = "/webhooks/{id}", operation_id = "getWebhook", tag = "webhooks", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam, ("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint", body = WebhookView),
        super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn show(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    Path(id): Path<String>,
) -> Result<Json<WebhookView>, ApiError> {
    let (org, id) = admin_and_id(&auth, &id)?;
    Ok(Json(view(state.store.get_webhook(org, id).await?, None)))
}

/// Changes the fields given; `enabled: true` enables a disabled endpoint again;
/// `account_phone` sets the number filter (`""`: every number).
#[utoipa::path(patch, path = "/webhooks/{id}", operation_id = "updateWebhook", tag = "webhooks", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam, ("id" = String, Path, description = "The endpoint's id")), request_body = WebhookPatchBody,
    responses((status = 200, description = "The endpoint", body = WebhookView),
        super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn update(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Json<WebhookView>, ApiError> {
    let (org, id) = admin_and_id(&auth, &id)?;
    let patch: WebhookPatchBody = parse(body)?;
    let secrets = secret_box(&state)?;
    let account_id = match patch.account_phone.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(p) => Some(Some(select_account(&state, org, Some(p)).await?.id)),
    };
    let change = WebhookChange {
        account_id,
        url: patch.url.as_deref().map(|u| url(&state, u)).transpose()?,
        table_name: patch.table_name.as_deref().map(table).transpose()?,
        operations: patch.operations.map(operations).transpose()?,
        token: patch.token.map(|t| token(secrets, id, Some(t))),
        enabled: patch.enabled,
        ..WebhookChange::default()
    };
    let updated = state
        .store
        .update_webhook(org, id, change, Utc::now())
        .await?;
    Ok(Json(view(updated, None)))
}

/// Deletes an endpoint and its deliveries.
#[utoipa::path(delete, path = "/webhooks/{id}", operation_id = "deleteWebhook", tag = "webhooks", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam, ("id" = String, Path, description = "The endpoint's id")),
    responses((status = 204, description = "Deleted"), super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn remove(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (org, id) = admin_and_id(&auth, &id)?;
    state.store.delete_webhook(org, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Queues a test delivery (`type: webhook.test`) to the endpoint, signed like any.
#[utoipa::path(post, path = "/webhooks/{id}/test", operation_id = "testWebhook", tag = "webhooks", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam, ("id" = String, Path, description = "The endpoint's id")),
    responses((status = 202, description = "The queued delivery", body = DeliveryView),
        super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn test(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DeliveryView>), ApiError> {
    let (org, id) = admin_and_id(&auth, &id)?;
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let ping = NewDelivery {
        webhook_id: id,
        event_seq: None,
        event_type: "webhook.test".into(),
        conversation_id: None,
        payload: json!({"type": "webhook.test", "entity": null, "action": "test", "data": {"webhook_id": id}, "timestamp": now}).to_string(),
    };
    let queued = state.store.add_delivery(org, ping).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery_view(queued, &[]))))
}

/// The endpoint's latest deliveries (up to 100, newest first), each with its last
/// attempt and every attempt of the delivery log (`attempt_log`, kept 7 days).
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", operation_id = "listDeliveries", tag = "webhooks", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam, ("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, description = "Deliveries", body = DeliveriesResponse),
        super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn deliveries(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    Path(id): Path<String>,
) -> Result<Json<DeliveriesResponse>, ApiError> {
    let (org, id) = admin_and_id(&auth, &id)?;
    state.store.get_webhook(org, id).await?;
    let list = state.store.list_deliveries(org, id, LIST).await?;
    let ids: Vec<Uuid> = list.iter().map(|d| d.id).collect();
    let log = state.store.list_attempts(org, &ids).await?;
    Ok(Json(DeliveriesResponse {
        deliveries: list.into_iter().map(|d| delivery_view(d, &log)).collect(),
    }))
}

/// Queues again every failed delivery of the endpoint created since `since`.
#[utoipa::path(post, path = "/webhooks/{id}/recover", operation_id = "recoverWebhook", tag = "webhooks", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam, ("id" = String, Path, description = "The endpoint's id")), request_body = RecoverBody,
    responses((status = 200, description = "How many were queued again", body = RecoverResponse),
        super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn recover(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Json<RecoverResponse>, ApiError> {
    let (org, id) = admin_and_id(&auth, &id)?;
    let body: RecoverBody = parse(body)?;
    let since = DateTime::parse_from_rfc3339(body.since.trim())
        .map_err(|_| ApiError::bad_request("since must be an RFC 3339 time"))?
        .with_timezone(&Utc);
    state.store.get_webhook(org, id).await?;
    let recovered = state
        .store
        .recover_deliveries(org, id, since, Utc::now())
        .await?;
    Ok(Json(RecoverResponse { recovered }))
}

/// A new signing secret, answered once; the previous one keeps signing (both
/// signatures are sent) for 24 hours.
#[utoipa::path(post, path = "/webhooks/{id}/rotate-secret", operation_id = "rotateWebhookSecret", tag = "webhooks", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam, ("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint, with its new secret", body = WebhookView),
        super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn rotate(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    Path(id): Path<String>,
) -> Result<Json<WebhookView>, ApiError> {
    let (org, id) = admin_and_id(&auth, &id)?;
    let secrets = secret_box(&state)?;
    let secret = new_secret();
    let now = Utc::now();
    let change = WebhookChange {
        rotate: Some((
            secrets.seal(&secret, &id.to_string()),
            now + ROTATION_OVERLAP,
        )),
        ..WebhookChange::default()
    };
    let updated = state.store.update_webhook(org, id, change, now).await?;
    Ok(Json(view(updated, Some(secret))))
}

/// Queues one delivery again now, whatever its state.
#[utoipa::path(post, path = "/deliveries/{id}/retry", operation_id = "retryDelivery", tag = "webhooks", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam, ("id" = String, Path, description = "The delivery's id")),
    responses((status = 202, description = "The delivery, due now", body = DeliveryView),
        super::openapi::ReadErrors, super::openapi::AdminOnly))]
async fn retry(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DeliveryView>), ApiError> {
    let (org, id) = admin_and_id(&auth, &id)?;
    let d = state.store.retry_delivery(org, id, Utc::now()).await?;
    let log = state.store.list_attempts(org, &[d.id]).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery_view(d, &log))))
}
