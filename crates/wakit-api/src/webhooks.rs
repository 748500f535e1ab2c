//! Outbound webhooks (`/webhooks`, `/deliveries`): the org's endpoints, which receive
//! `{data, entity, action, type, timestamp}` signed per Standard Webhooks, and the log
//! of their deliveries.

use serde::{Deserialize, Serialize};

/// `POST /webhooks`: a new endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWebhookBody {
    /// Where deliveries go (`https://...`; `http://` too).
    pub url: String,
    /// `messages`, `conversations` or `contacts`.
    pub table_name: String,
    /// `insert`, `update` (default both).
    #[serde(default)]
    pub operations: Vec<String>,
    /// Only events of this number (its phone, digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_phone: Option<String>,
    /// Sent as `Authorization: Bearer <token>`; stored sealed, never shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// `PATCH /webhooks/{id}`: the fields given change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookPatchBody {
    /// New URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// New table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    /// New operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<Vec<String>>,
    /// New token (`""` removes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Only events of this number from now on (`""`: every number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_phone: Option<String>,
    /// `true` enables a disabled endpoint again; `false` disables it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// An endpoint (its token and secret never shown, but on creation and rotation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookView {
    /// Its id.
    pub id: String,
    /// Target URL.
    pub url: String,
    /// `messages`, `conversations` or `contacts`.
    pub table_name: String,
    /// `insert`, `update` (empty: both).
    pub operations: Vec<String>,
    /// The number filter (account id), if any.
    pub account_id: Option<String>,
    /// Whether a Bearer token is sent.
    pub has_token: bool,
    /// Whether deliveries go out.
    pub enabled: bool,
    /// When and why it was disabled.
    pub disabled_at: Option<String>,
    /// `410 Gone`, `failing since ...`, `disabled by hand`.
    pub disabled_reason: Option<String>,
    /// First failure since the last success.
    pub failing_since: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// The `whsec_` signing secret: only in the answers of creation and rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// `GET /webhooks`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhooksResponse {
    /// Oldest first.
    pub webhooks: Vec<WebhookView>,
}

/// One delivery and its last attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryView {
    /// Its id.
    pub id: String,
    /// The endpoint.
    pub webhook_id: String,
    /// The `webhook-id` header (stable across retries).
    pub msg_id: String,
    /// `messages.insert`, ..., `webhook.test`.
    pub event_type: String,
    /// The event's seq (none for a test).
    pub event_seq: Option<i64>,
    /// `pending`, `delivered`, `failed`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i32,
    /// When the next attempt is due (pending).
    pub next_attempt_at: String,
    /// Last HTTP status.
    pub last_status: Option<i32>,
    /// Last latency.
    pub last_latency_ms: Option<i64>,
    /// The start of the last answer (≤ 1 KiB).
    pub last_response: Option<String>,
    /// The last error (timeout, refused address, ...).
    pub last_error: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// When it was delivered.
    pub delivered_at: Option<String>,
    /// Every attempt, oldest first (the delivery log, kept 7 days).
    #[serde(default)]
    pub attempt_log: Vec<AttemptView>,
}

/// One attempt of a delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptView {
    /// Which attempt (1 for the first).
    pub attempt: i32,
    /// The HTTP status, when one came.
    pub status: Option<i32>,
    /// How long it took.
    pub latency_ms: i64,
    /// The start of the answer's body (≤ 1 KiB).
    pub response: Option<String>,
    /// Why it failed (timeout, refused address, non-2xx).
    pub error: Option<String>,
    /// When it ended (RFC 3339).
    pub at: String,
}

/// `GET /webhooks/{id}/deliveries`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveriesResponse {
    /// Newest first.
    pub deliveries: Vec<DeliveryView>,
}

/// `POST /webhooks/{id}/recover`: retry every failed delivery created since `since`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecoverBody {
    /// RFC 3339.
    pub since: String,
}

/// `POST /webhooks/{id}/recover`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoverResponse {
    /// Deliveries queued again.
    pub recovered: u64,
}
