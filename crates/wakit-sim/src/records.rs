//! What the sandbox remembers for tests to assert on: accepted sends, read receipts,
//! rejections, webhook deliveries.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One accepted `POST /messages` send.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SentMessage {
    /// The wamid handed back.
    pub wamid: String,
    /// The sending number.
    pub phone_number_id: String,
    /// `to` as given.
    pub to: String,
    /// The resolved WhatsApp id (digits); empty for a send to a BSUID (`recipient`).
    pub wa_id: String,
    /// The recipient's BSUID (whichever way the send addressed them).
    pub user_id: String,
    /// The message `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The full request body.
    pub request: Value,
    /// `biz_opaque_callback_data`, echoed in every status webhook.
    pub biz_opaque_callback_data: Option<String>,
    /// When it was accepted.
    pub at: DateTime<Utc>,
    /// The error code of the `failed` status it will get (131047 outside the window,
    /// 131053 for unusable media), if any.
    pub failure: Option<i64>,
}

/// One mark-as-read call.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReadReceipt {
    /// The number it was made on.
    pub phone_number_id: String,
    /// The inbound message marked read.
    pub message_id: String,
    /// Whether a typing indicator was asked for.
    pub typing_indicator: bool,
    /// When.
    pub at: DateTime<Utc>,
}

/// Webhook delivery counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WebhookStats {
    /// Bodies queued for delivery (duplicates count twice).
    pub queued: u64,
    /// Bodies acknowledged with 200.
    pub delivered: u64,
    /// POST attempts made.
    pub attempts: u64,
    /// Attempts not answered with 200 (error, timeout, other status).
    pub failed_attempts: u64,
    /// Bodies not yet acknowledged nor given up.
    pub pending: u64,
    /// Bodies abandoned after the retry horizon.
    pub given_up: u64,
    /// Webhooks planned for later (statuses not yet due, customer replies).
    pub scheduled: u64,
}

impl WebhookStats {
    /// Nothing queued, in flight or planned.
    pub fn is_idle(&self) -> bool {
        self.pending == 0 && self.scheduled == 0
    }
}

/// Everything countable about a running sandbox.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SimStats {
    /// Sends accepted (200 with a wamid).
    pub accepted: u64,
    /// Synchronous Graph errors returned, by Meta error code.
    pub rejected: BTreeMap<i64, u64>,
    /// `failed` status webhooks emitted, by error code.
    pub failed_statuses: BTreeMap<i64, u64>,
    /// Mark-as-read calls accepted.
    pub read_receipts: u64,
    /// Customer messages sent to businesses.
    pub inbound: u64,
    /// Webhook delivery counters.
    pub webhooks: WebhookStats,
}

impl SimStats {
    /// How often error `code` was returned synchronously.
    pub fn rejected_with(&self, code: i64) -> u64 {
        self.rejected.get(&code).copied().unwrap_or(0)
    }
}

/// One webhook body and how its delivery went.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WebhookRecord {
    /// Sequence number (order of queueing).
    pub seq: u64,
    /// The exact bytes posted (ASCII JSON).
    pub body: String,
    /// Attempts so far.
    pub attempts: u32,
    /// Acknowledged with 200.
    pub delivered: bool,
    /// Abandoned after the retry horizon.
    pub given_up: bool,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
}
