//! Records read from and written to the store.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
use wakit_core::{
    AccountId, AgentId, ApiKeyId, ContactId, ConversationId, CustomerRef, Direction, JobId,
    MessageContent, MessageId, MessageStatus, OrgId, Phone, Role, Sender, StatusHistory,
};

use crate::secrets::{KeyHash, SealedSecret};

/// An organization (tenant).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Org {
    /// Its id.
    pub id: OrgId,
    /// Display name.
    pub name: String,
    /// IANA timezone for human time labels (default `UTC`).
    pub timezone: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A number to connect (`organizations_addresses`).
#[derive(Clone, Debug)]
pub struct NewAccount {
    /// The number's digits.
    pub phone: Phone,
    /// Verified/display name.
    pub name: String,
    /// Meta's phone-number id (the `address`; globally unique).
    pub phone_number_id: String,
    /// WhatsApp Business Account id.
    pub waba_id: String,
    /// The Meta access token, already sealed with the server's secret key.
    pub access_token: SealedSecret,
}

/// Whether a connected number is usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    /// Connected and listed.
    Connected,
    /// Disconnected (offboarded); not listed by the API.
    Disconnected,
}

impl AccountStatus {
    /// Database/wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            AccountStatus::Connected => "connected",
            AccountStatus::Disconnected => "disconnected",
        }
    }
    /// Parses the database name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "connected" => Some(AccountStatus::Connected),
            "disconnected" => Some(AccountStatus::Disconnected),
            _ => None,
        }
    }
}

/// A connected number.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Account {
    /// Row id.
    pub id: AccountId,
    /// Owning org.
    pub org_id: OrgId,
    /// The number's digits.
    pub phone: Phone,
    /// Verified/display name.
    pub name: String,
    /// Meta's phone-number id.
    pub phone_number_id: String,
    /// WABA id.
    pub waba_id: String,
    /// Connected or not.
    pub status: AccountStatus,
    /// When it was connected.
    pub created_at: DateTime<Utc>,
    /// The send rate wakit paces this number to (messages/s); `None` = the default.
    pub max_mps: Option<u32>,
    /// What Meta last told wakit about the number, by topic (`token`, `quality`,
    /// `messaging_limit`, `account_update`, `errors`, ...): each a JSON object with `at`.
    pub health: serde_json::Map<String, Value>,
}

impl Account {
    /// Reads `max_mps` and `health` from the row's `extra` JSON.
    pub fn with_extra(mut self, extra: &Value) -> Self {
        self.max_mps = extra
            .get("max_mps")
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok());
        self.health = extra
            .get("health")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        self
    }

    /// True when Meta refused the number's token (190) and no new token was set since.
    pub fn token_invalid(&self) -> bool {
        self.health
            .get("token")
            .and_then(|t| t.get("status"))
            .and_then(Value::as_str)
            == Some("error")
    }
}

/// Highest per-number send rate wakit paces to (Meta's top throughput tier).
pub const MAX_MPS: u32 = 1000;

/// An API key to store: only its hash and a visible prefix.
#[derive(Clone, Debug)]
pub struct NewApiKey {
    /// Human name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// SHA-256 of the full key.
    pub hash: KeyHash,
    /// The first characters of the key, shown in listings (`sk_AbCd1234`).
    pub prefix: String,
}

/// A stored API key (never the key itself).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApiKeyRecord {
    /// Row id.
    pub id: ApiKeyId,
    /// Owning org.
    pub org_id: OrgId,
    /// Human name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Visible prefix.
    pub prefix: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Who a valid key authenticates as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthContext {
    /// The key's org.
    pub org_id: OrgId,
    /// The key row.
    pub key_id: ApiKeyId,
    /// The key's role.
    pub role: Role,
}

/// A message received from a contact (already parsed from Meta's webhook).
#[derive(Clone, Debug)]
pub struct InboundMessage {
    /// The org number it arrived on.
    pub account_id: AccountId,
    /// The sender, as Meta wrote it: phone (`from` / `wa_id`), BSUID
    /// (`from_user_id`), or both, with the username when Meta sent one.
    pub from: Sender,
    /// The sender's WhatsApp profile name, if given.
    pub profile_name: Option<String>,
    /// Meta's message id.
    pub wamid: String,
    /// When the contact sent it (Meta's timestamp).
    pub timestamp: DateTime<Utc>,
    /// Normalized content.
    pub content: MessageContent,
}

/// Result of ingesting an inbound message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ingested {
    /// The stored message (the existing one if it was a duplicate).
    pub message_id: MessageId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// False when the wamid was already stored (nothing changed).
    pub created: bool,
}

/// A status report for an outgoing message, from Meta's webhook or the send response.
#[derive(Clone, Debug)]
pub struct StatusUpdate {
    /// The org number that sent the message.
    pub account_id: AccountId,
    /// Meta's message id.
    pub wamid: String,
    /// The reported status.
    pub status: MessageStatus,
    /// When Meta says it happened.
    pub at: DateTime<Utc>,
    /// Meta's error object(s), for `failed`.
    pub error: Option<Value>,
}

/// What applying a status did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusOutcome {
    /// The message moved to `status`.
    Applied {
        /// The message.
        message_id: MessageId,
        /// Its status now.
        status: MessageStatus,
    },
    /// Already at or past it (a duplicate or a late report); history may have gained a time.
    Unchanged {
        /// The message.
        message_id: MessageId,
        /// Its status now.
        status: MessageStatus,
    },
    /// No message has that wamid yet; the status is kept and applied when one does.
    Deferred,
}

/// Where a send attempt stands, read when the dispatcher is about to call Meta.
#[derive(Clone, Debug, PartialEq)]
pub enum DispatchStart {
    /// Pending and never attempted (or the last attempt definitely failed): the marker
    /// is now set; call Meta.
    Send(MessageRecord),
    /// Already sent, failed or delivered: nothing to do.
    Done(MessageRecord),
    /// An attempt began at `since` and its outcome is unknown (the process died or the
    /// connection broke mid-request): do not send again; wait for the status webhook
    /// to reconcile it through `biz_opaque_callback_data`.
    Interrupted {
        /// The message.
        message: MessageRecord,
        /// When that attempt began.
        since: DateTime<Utc>,
    },
}

/// Meta accepted a send: what [`crate::Store::finish_sends`] records.
#[derive(Clone, Debug, PartialEq)]
pub struct SendAccepted {
    /// The message's org.
    pub org: OrgId,
    /// The message.
    pub message: MessageId,
    /// Meta's wamid for it.
    pub wamid: String,
    /// When Meta accepted it.
    pub at: DateTime<Utc>,
    /// Its `send_message` job.
    pub job: JobId,
    /// The job's lease.
    pub lease_token: Uuid,
}

/// Scheduling class of an outgoing message: replies to a waiting contact go ahead of bulk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Campaigns and imports.
    Bulk = 0,
    /// Default.
    Normal = 1,
    /// A reply in a live conversation.
    Interactive = 2,
}

impl Priority {
    /// Numeric value stored in `jobs.priority` (higher runs first).
    pub fn value(&self) -> i16 {
        *self as i16
    }
}

/// Connections of the store's pools (summed over pools).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PoolStatus {
    /// Open connections.
    pub size: u32,
    /// Open and idle.
    pub idle: u32,
    /// The most that may be open.
    pub max: u32,
}

/// An outgoing message to store as pending and queue for dispatch.
#[derive(Clone, Debug)]
pub struct NewOutgoing {
    /// The org number to send from.
    pub account_id: AccountId,
    /// Recipient: a phone number or a BSUID.
    pub to: CustomerRef,
    /// Content.
    pub content: MessageContent,
    /// Not before this time (scheduled message); `None` = now.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Authoring agent, if any.
    pub agent_id: Option<AgentId>,
    /// Queue class.
    pub priority: Priority,
    /// The API's `Idempotency-Key`, stored with the message in its transaction.
    pub idempotency: Option<crate::Idempotency>,
}

/// A stored outgoing message and the job that will send it.
#[derive(Clone, Debug)]
pub struct Enqueued {
    /// The message row (status pending).
    pub message: MessageRecord,
    /// The dispatch job.
    pub job_id: JobId,
}

/// A message as read back.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageRecord {
    /// Row id.
    pub id: MessageId,
    /// Conversation.
    pub conversation_id: ConversationId,
    /// Org number.
    pub account_id: AccountId,
    /// The contact's number (the form Meta uses), or its BSUID when it shared no number.
    pub contact_phone: CustomerRef,
    /// incoming/outgoing/internal.
    pub direction: Direction,
    /// Normalized content.
    pub content: MessageContent,
    /// Current status word.
    pub status: MessageStatus,
    /// Every status with its first time.
    pub status_history: StatusHistory,
    /// The wamid, once known.
    pub external_id: Option<String>,
    /// Meta's error for failed messages.
    pub error: Option<Value>,
    /// Message time: when sent (incoming) or scheduled/created (outgoing).
    pub timestamp: DateTime<Utc>,
    /// When the row was written.
    pub created_at: DateTime<Utc>,
    /// Authoring agent.
    pub agent_id: Option<AgentId>,
}

/// A contact as shown in lists: name (address book, else WhatsApp profile) and phone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContactRef {
    /// The address-book entry, when there is one.
    pub contact_id: Option<ContactId>,
    /// Display name.
    pub name: Option<String>,
    /// The number (the form Meta uses), or the BSUID of a customer who shared none.
    pub phone: CustomerRef,
    /// The customer's business-scoped user ID, when known.
    pub user_id: Option<String>,
    /// The customer's WhatsApp username, when known.
    pub username: Option<String>,
}

/// A conversation with what a list needs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConversationSummary {
    /// Conversation id.
    pub id: ConversationId,
    /// The other side.
    pub contact: ContactRef,
    /// Incoming messages after the last outgoing one.
    pub unread: u32,
    /// Newest non-internal message, if any.
    pub last_message: Option<MessageRecord>,
}

/// An active conversation's identity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conversation {
    /// Conversation id.
    pub id: ConversationId,
    /// Org number.
    pub account_id: AccountId,
    /// The other side.
    pub contact: ContactRef,
    /// active/archived.
    pub status: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Position in a conversation's messages: page older than this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageCursor {
    /// Message time of the oldest message already returned.
    pub timestamp: DateTime<Utc>,
    /// Its id (tie-break for equal times).
    pub id: MessageId,
}

/// One page of a conversation, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct MessagePage {
    /// Up to `limit` messages, oldest first, internal ones excluded.
    pub messages: Vec<MessageRecord>,
    /// Cursor for the next older page, when there may be one.
    pub older: Option<MessageCursor>,
}

/// A conversation as `GET /conversation` shows it: the conversation, its newest page and
/// the contact's newest incoming message time (the service window's source).
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationRead {
    /// The conversation.
    pub conversation: Conversation,
    /// Its newest messages, oldest first.
    pub page: MessagePage,
    /// The contact's newest incoming message to the number, across the whole history.
    pub newest_incoming: Option<DateTime<Utc>>,
}

/// A template as cached from Meta.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateRecord {
    /// Meta's template id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Language code (`es`, `en_US`).
    pub language: String,
    /// APPROVED, PENDING, REJECTED, PAUSED, ...
    pub status: String,
    /// MARKETING, UTILITY, AUTHENTICATION.
    pub category: String,
    /// Meta's component definitions.
    pub components: Value,
}

/// An event appended by a write, for outbound webhooks and live views.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// Increasing per organization in commit order: a reader that has seen `seq` N has
    /// seen every event of the org numbered below N.
    pub seq: i64,
    /// Org.
    pub org_id: OrgId,
    /// `messages` or `conversations`.
    pub entity: String,
    /// `insert` or `update`.
    pub action: String,
    /// The row's id.
    pub row_id: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}
