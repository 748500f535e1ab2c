//! Idempotency keys of API sends.

use chrono::{DateTime, Utc};
use wakit_core::MessageId;

/// An idempotency key and the fingerprint of the request that first used it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idempotency {
    /// The key the client chose.
    pub key: String,
    /// A hash of the request; a reuse with a different request is refused.
    pub request_hash: String,
}

/// How long an idempotency key names its first message.
pub const IDEMPOTENCY_TTL_HOURS: i64 = 24;

/// The message an idempotency key named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotentSend {
    /// The first request's hash.
    pub request_hash: String,
    /// The message it stored.
    pub message_id: MessageId,
    /// When.
    pub created_at: DateTime<Utc>,
}
