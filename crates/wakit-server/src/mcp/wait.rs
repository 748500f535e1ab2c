//! `wait_for_message`: the next incoming message from a contact, for an assistant that
//! holds a conversation. wakit has no per-conversation push to wait on here, so this reads
//! the conversation (the REST API's read, cached until the store changes) every
//! [`POLL`] until a message arrives that was not there when the wait began, or the
//! bounded timeout passes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use wakit_api::{ConversationQuery, MessageItem};

use super::backend::{Backend, Outcome};

/// Pause between reads of the conversation.
const POLL: Duration = Duration::from_millis(250);
/// Default and longest wait, seconds (clients time a request out after 60 s).
pub const TIMEOUT_S: (u32, u32) = (25, 50);
/// Messages read each time (a burst longer than this between two reads is seen in part).
const WINDOW: u32 = 50;

/// `wait_for_message`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct WaitForMessage {
    /// The contact's phone number with country code.
    pub contact_phone: String,
    /// How long to wait, in seconds (default 25, at most 50).
    #[serde(default)]
    pub timeout_s: Option<u32>,
    /// The org's number (required when the org has several).
    #[serde(default)]
    pub account_phone: Option<String>,
}

/// What `wait_for_message` answers.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Waited {
    /// The contact waited on.
    pub contact_phone: String,
    /// The first incoming message that arrived during the wait; null when none did.
    pub message: Option<MessageItem>,
    /// Whether the wait ended without a message.
    pub timed_out: bool,
}

/// The wait's length: `timeout_s` (1 to the longest), else the default.
pub fn timeout(timeout_s: Option<u32>) -> Outcome<Duration> {
    match timeout_s.unwrap_or(TIMEOUT_S.0) {
        s @ 1.. if s <= TIMEOUT_S.1 => Ok(Duration::from_secs(u64::from(s))),
        s => Err(format!(
            "timeout_s must be between 1 and {} (got {s})",
            TIMEOUT_S.1
        )),
    }
}

/// The conversation's incoming messages, none when there is no conversation yet.
async fn incoming(backend: &dyn Backend, q: &ConversationQuery) -> Outcome<Vec<MessageItem>> {
    match backend.conversation(q.clone()).await {
        Ok(conv) => Ok(conv
            .messages
            .into_iter()
            .filter(|m| m.direction == "incoming")
            .collect()),
        Err(e) if e.starts_with("Conversation with contact") => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Waits for a message from `contact` that is not among those there now.
pub async fn next_incoming(
    backend: &dyn Backend,
    contact: String,
    account_phone: Option<String>,
    wait: Duration,
) -> Outcome<Waited> {
    let q = ConversationQuery {
        contact_phone: Some(contact.clone()),
        group_id: None,
        limit: Some(WINDOW),
        account_phone,
    };
    let seen: HashSet<String> = incoming(backend, &q)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::sleep(POLL.min(left)).await;
        let fresh = incoming(backend, &q)
            .await?
            .into_iter()
            .find(|m| !seen.contains(&m.id));
        if fresh.is_some() || left.is_zero() {
            return Ok(Waited {
                contact_phone: contact,
                timed_out: fresh.is_none(),
                message: fresh,
            });
        }
    }
}
