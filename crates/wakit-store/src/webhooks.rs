//! Outbound webhooks (migration 0016): an organization's endpoints (`webhooks` rows)
//! and their durable outbox (`webhook_deliveries`). Fan-out turns the event log into
//! deliveries, moving each endpoint's cursor in the same transaction; workers claim
//! due deliveries with leases, in order per endpoint and conversation.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;
use wakit_core::{AccountId, OrgId};

use crate::error::StoreResult;
use crate::secrets::SealedSecret;

/// An endpoint as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookEndpoint {
    /// Its id.
    pub id: Uuid,
    /// Its organization.
    pub org_id: OrgId,
    /// Only events of this number (`organization_address`), when set.
    pub account_id: Option<AccountId>,
    /// `messages`, `conversations` or `contacts`.
    pub table_name: String,
    /// `insert`, `update` (empty: both).
    pub operations: Vec<String>,
    /// Where deliveries go.
    pub url: String,
    /// The Bearer token sent, sealed with the endpoint id as context.
    pub token: Option<SealedSecret>,
    /// The signing secret (`whsec_...`), sealed with the endpoint id as context.
    pub secret: Option<SealedSecret>,
    /// The secret before the last rotation, still signing until `previous_secret_until`.
    pub previous_secret: Option<SealedSecret>,
    /// Until when the previous secret signs too.
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// When it was disabled (a 410, failing too long, or by hand).
    pub disabled_at: Option<DateTime<Utc>>,
    /// Why.
    pub disabled_reason: Option<String>,
    /// First failure since the last success.
    pub failing_since: Option<DateTime<Utc>>,
    /// The org's last event seq already fanned out to this endpoint.
    pub event_cursor: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A new endpoint. The id is chosen by the caller so secrets can be sealed to it.
#[derive(Clone, Debug)]
pub struct NewWebhook {
    /// The new row's id.
    pub id: Uuid,
    /// Number filter.
    pub account_id: Option<AccountId>,
    /// `messages`, `conversations` or `contacts`.
    pub table_name: String,
    /// `insert`, `update`.
    pub operations: Vec<String>,
    /// Target URL.
    pub url: String,
    /// Sealed Bearer token.
    pub token: Option<SealedSecret>,
    /// Sealed signing secret.
    pub secret: SealedSecret,
}

/// A change to an endpoint: `None` fields stay.
#[derive(Clone, Debug, Default)]
pub struct WebhookChange {
    /// New URL.
    pub url: Option<String>,
    /// New table.
    pub table_name: Option<String>,
    /// New operations.
    pub operations: Option<Vec<String>>,
    /// New number filter (`Some(None)`: every number).
    pub account_id: Option<Option<AccountId>>,
    /// New token (`Some(None)`: none).
    pub token: Option<Option<SealedSecret>>,
    /// `Some(true)`: enable again (clears the disabled and failing marks);
    /// `Some(false)`: disable by hand.
    pub enabled: Option<bool>,
    /// A new secret; the current one becomes the previous, valid until this time.
    pub rotate: Option<(SealedSecret, DateTime<Utc>)>,
}

/// A delivery to queue.
#[derive(Clone, Debug)]
pub struct NewDelivery {
    /// The endpoint.
    pub webhook_id: Uuid,
    /// The event it carries (`None`: a test ping).
    pub event_seq: Option<i64>,
    /// `messages.insert`, ..., `webhook.test`.
    pub event_type: String,
    /// The conversation the event is about: deliveries of one endpoint and
    /// conversation go out in seq order.
    pub conversation_id: Option<Uuid>,
    /// The body (JSON text), signed as is.
    pub payload: String,
}

/// One endpoint's share of a fan-out: the events after `from` up to `to`, and the
/// deliveries of those that match it.
#[derive(Clone, Debug)]
pub struct FanOut {
    /// The endpoint.
    pub webhook: Uuid,
    /// Its cursor as read.
    pub from: i64,
    /// Its cursor after these events.
    pub to: i64,
    /// Its deliveries (those of another endpoint are ignored).
    pub deliveries: Vec<NewDelivery>,
}

/// Where a delivery stands.
pub mod delivery_state {
    /// Waiting for its (next) attempt.
    pub const PENDING: &str = "pending";
    /// A 2xx answered.
    pub const DELIVERED: &str = "delivered";
    /// Given up (attempts exhausted or endpoint disabled).
    pub const FAILED: &str = "failed";
}

/// A delivery as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// Its id.
    pub id: Uuid,
    /// Its organization.
    pub org_id: OrgId,
    /// The endpoint.
    pub webhook_id: Uuid,
    /// The event (`None`: a ping).
    pub event_seq: Option<i64>,
    /// The event type.
    pub event_type: String,
    /// The conversation, when the event has one.
    pub conversation_id: Option<Uuid>,
    /// `webhook-id`: `msg_` + the id, stable across retries.
    pub msg_id: String,
    /// The body.
    pub payload: String,
    /// [`delivery_state`].
    pub state: String,
    /// Attempts so far.
    pub attempts: i32,
    /// When the next attempt is due.
    pub next_attempt_at: DateTime<Utc>,
    /// The claim's token while leased.
    pub lease_token: Option<Uuid>,
    /// Last HTTP status.
    pub last_status: Option<i32>,
    /// Last attempt's latency.
    pub last_latency_ms: Option<i64>,
    /// Last answer's start (≤ 1 KiB).
    pub last_response: Option<String>,
    /// Last error (timeout, refused address, ...).
    pub last_error: Option<String>,
    /// When a 2xx came.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Queued.
    pub created_at: DateTime<Utc>,
}

/// One attempt of a delivery, as the delivery log keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryAttempt {
    /// The delivery.
    pub delivery_id: Uuid,
    /// Which attempt (1 for the first).
    pub attempt: i32,
    /// The HTTP status, when one came.
    pub status: Option<i32>,
    /// How long it took.
    pub latency_ms: i64,
    /// The answer's start (≤ 1 KiB).
    pub response: Option<String>,
    /// Why it failed (timeout, refused address, non-2xx).
    pub error: Option<String>,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

/// What an attempt got, and what follows.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptOutcome {
    /// HTTP status, when one came.
    pub status: Option<i32>,
    /// How long it took.
    pub latency_ms: i64,
    /// The answer's start (≤ 1 KiB).
    pub response: Option<String>,
    /// The error, when no status came or it was not 2xx.
    pub error: Option<String>,
    /// What follows.
    pub next: NextStep,
}

/// What follows an attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum NextStep {
    /// Delivered: the endpoint is healthy again.
    Delivered,
    /// Try again at this time; the endpoint is failing (since now, if not already).
    RetryAt(DateTime<Utc>),
    /// Give up on this delivery (the endpoint is failing).
    GiveUp,
    /// Give up and disable the endpoint for this reason.
    Disable(String),
}

impl NextStep {
    /// The delivery's [`delivery_state`] after this step, and when its next attempt is
    /// due (a retry only).
    pub fn delivery(&self) -> (&'static str, Option<DateTime<Utc>>) {
        match self {
            NextStep::Delivered => (delivery_state::DELIVERED, None),
            NextStep::RetryAt(at) => (delivery_state::PENDING, Some(*at)),
            NextStep::GiveUp | NextStep::Disable(_) => (delivery_state::FAILED, None),
        }
    }

    /// The endpoint's health after this step: whether it is healthy again, and why it
    /// is disabled (if it is).
    pub fn endpoint(&self) -> (bool, Option<&str>) {
        match self {
            NextStep::Delivered => (true, None),
            NextStep::Disable(why) => (false, Some(why.as_str())),
            NextStep::RetryAt(_) | NextStep::GiveUp => (false, None),
        }
    }
}

/// Longest response excerpt kept (bytes).
pub const RESPONSE_EXCERPT: usize = 1024;

/// `s` cut to at most [`RESPONSE_EXCERPT`] bytes on a character boundary.
pub fn excerpt(s: &str) -> String {
    let mut end = s.len().min(RESPONSE_EXCERPT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The `webhook-id` of delivery `id`.
pub fn msg_id(id: Uuid) -> String {
    format!("msg_{}", id.simple())
}

/// Endpoints and deliveries.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Adds an endpoint of `org` whose cursor is the org's last event (it gets what
    /// comes next); `Ok(None)` when the org has `max` endpoints already.
    async fn create_webhook(
        &self,
        org: OrgId,
        new: NewWebhook,
        max: u32,
    ) -> StoreResult<Option<WebhookEndpoint>>;
    /// The org's endpoints, oldest first.
    async fn list_webhooks(&self, org: OrgId) -> StoreResult<Vec<WebhookEndpoint>>;
    /// The org's endpoint `id`; `NotFound` for another org's.
    async fn get_webhook(&self, org: OrgId, id: Uuid) -> StoreResult<WebhookEndpoint>;
    /// Applies `change` at `now`; `NotFound` for another org's.
    async fn update_webhook(
        &self,
        org: OrgId,
        id: Uuid,
        change: WebhookChange,
        now: DateTime<Utc>,
    ) -> StoreResult<WebhookEndpoint>;
    /// Deletes the endpoint and its deliveries; `NotFound` for another org's.
    async fn delete_webhook(&self, org: OrgId, id: Uuid) -> StoreResult<()>;
    /// Every enabled endpoint of every organization (fan-out; cross-tenant by design).
    async fn fanout_webhooks(&self) -> StoreResult<Vec<WebhookEndpoint>>;
    /// For each endpoint of `batch`, in one transaction: queues its deliveries and moves
    /// its cursor from `from` to `to`, only if the cursor is still `from` (`false` for
    /// that endpoint, and nothing of it queued, when another process moved it first).
    async fn enqueue_deliveries(&self, org: OrgId, batch: Vec<FanOut>) -> StoreResult<Vec<bool>>;
    /// Queues one delivery (a test ping), due now.
    async fn add_delivery(&self, org: OrgId, new: NewDelivery) -> StoreResult<Delivery>;
    /// Claims up to `n` deliveries due at `now` for `lease`, across organizations: pending,
    /// not leased (or the lease expired), endpoint enabled and not in `skip`, and no
    /// earlier pending delivery of the same endpoint and conversation. Each comes with its
    /// endpoint and a new lease token.
    async fn claim_deliveries(
        &self,
        n: u32,
        lease: Duration,
        now: DateTime<Utc>,
        skip: &[Uuid],
    ) -> StoreResult<Vec<(Delivery, WebhookEndpoint)>>;
    /// Records an attempt of a claimed delivery at `now` — on the delivery, in the
    /// delivery log ([`DeliveryAttempt`]) and in its endpoint's health; `Ok(false)`
    /// when the lease was lost (another process has it now).
    async fn finish_delivery(
        &self,
        id: Uuid,
        lease_token: Uuid,
        outcome: AttemptOutcome,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// [`WebhookStore::finish_delivery`] for several attempts `(id, lease token,
    /// outcome)` in one transaction (one commit); one answer per item, in order.
    async fn finish_deliveries(
        &self,
        items: Vec<(Uuid, Uuid, AttemptOutcome)>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<bool>>;
    /// The endpoint's deliveries, newest first.
    async fn list_deliveries(
        &self,
        org: OrgId,
        webhook: Uuid,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>>;
    /// The attempts of the org's deliveries `deliveries` (the delivery log), by delivery
    /// then attempt; another org's deliveries have none here.
    async fn list_attempts(
        &self,
        org: OrgId,
        deliveries: &[Uuid],
    ) -> StoreResult<Vec<DeliveryAttempt>>;
    /// Makes the org's delivery `id` due again at `now` (whatever its state); `NotFound`
    /// for another org's.
    async fn retry_delivery(
        &self,
        org: OrgId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<Delivery>;
    /// Makes every failed delivery of the endpoint created since `since` due again at
    /// `now`; how many.
    async fn recover_deliveries(
        &self,
        org: OrgId,
        webhook: Uuid,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}
