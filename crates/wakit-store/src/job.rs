//! The job queue's records and the job kinds wakit runs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
use wakit_core::{AccountId, JobId, MessageId, OrgId};

/// A job to queue.
#[derive(Clone, Debug)]
pub struct NewJob {
    /// Owning org (None for system jobs).
    pub org_id: Option<OrgId>,
    /// What to do (`send_message`, `read_receipt`, ...).
    pub kind: String,
    /// Arguments.
    pub payload: Value,
    /// Not before.
    pub run_at: DateTime<Utc>,
    /// Higher runs first.
    pub priority: i16,
}

/// Job lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for `run_at`.
    Queued,
    /// Leased by a worker until `lease_until`.
    Running,
    /// Finished.
    Done,
    /// Gave up; `last_error` says why. Kept for the retention policy's dead-job time.
    Dead,
}

impl JobState {
    /// Database name.
    pub fn as_str(&self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }
    /// Parses the database name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(JobState::Queued),
            "running" => Some(JobState::Running),
            "done" => Some(JobState::Done),
            "dead" => Some(JobState::Dead),
            _ => None,
        }
    }
}

/// A job as read back.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Job {
    /// Id.
    pub id: JobId,
    /// Owning org.
    pub org_id: Option<OrgId>,
    /// Kind.
    pub kind: String,
    /// Arguments.
    pub payload: Value,
    /// State.
    pub state: JobState,
    /// Priority.
    pub priority: i16,
    /// Claims so far (including the current one).
    pub attempts: u32,
    /// Not before.
    pub run_at: DateTime<Utc>,
    /// Lease end while running.
    pub lease_until: Option<DateTime<Utc>>,
    /// Proof of the current lease: complete/fail must present it, so a worker whose
    /// lease expired and was re-claimed cannot overwrite the new owner's result.
    pub lease_token: Option<Uuid>,
    /// Last failure.
    pub last_error: Option<String>,
}

/// Job kind that processes stored webhook bodies: one inbox row (payload
/// `{"inbox_id": ...}`) or a group committed together (payload `{"inbox_ids": [...]}`).
pub const PROCESS_WEBHOOK: &str = "process_webhook";
/// Job kind that sends one outgoing message (payload `{"message_id"}`).
pub const SEND_MESSAGE: &str = "send_message";
/// Job kind that sends a read receipt (payload `{"account_id", "wamid", "typing"}`).
pub const READ_RECEIPT: &str = "read_receipt";
/// Job kind that refreshes a number's template cache from Meta (payload `{"account_id"}`).
pub const SYNC_TEMPLATES: &str = "sync_templates";
/// Job kind that reads a number's quality, limit and health from Meta (payload `{"account_id"}`).
pub const SYNC_NUMBER: &str = "sync_number";

/// A job kind's arguments, typed: the store and the workers build and read payloads
/// through these types only, so the two cannot disagree on a field.
pub trait JobArgs: Serialize + serde::de::DeserializeOwned {
    /// The kind these arguments belong to.
    const KIND: &'static str;

    /// A job of this kind for `org`, to run at `run_at` with `priority`.
    fn job(&self, org: Option<OrgId>, run_at: DateTime<Utc>, priority: i16) -> NewJob {
        NewJob {
            org_id: org,
            kind: Self::KIND.into(),
            // Serializing these plain structs of ids and strings cannot fail.
            payload: serde_json::to_value(self).unwrap_or_default(),
            run_at,
            priority,
        }
    }
}

impl Job {
    /// The job's arguments as kind `A`, or why they cannot be read (another kind, a
    /// payload missing a field) — a job that says so is failed, not retried forever.
    pub fn args<A: JobArgs>(&self) -> Result<A, String> {
        if self.kind != A::KIND {
            return Err(format!("a {} job is not a {}", self.kind, A::KIND));
        }
        serde_json::from_value(self.payload.clone())
            .map_err(|e| format!("bad {} payload: {e}", A::KIND))
    }
}

/// [`PROCESS_WEBHOOK`]: one stored webhook body, or a group committed together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ProcessWebhook {
    /// One body (`{"inbox_id"}`).
    One {
        /// The inbox row.
        inbox_id: Uuid,
    },
    /// A group (`{"inbox_ids": [...]}`, in the order they were received).
    Group {
        /// The inbox rows.
        inbox_ids: Vec<Uuid>,
    },
}

impl ProcessWebhook {
    /// The job for these bodies: one names its row, several are a group.
    pub fn of(ids: Vec<Uuid>) -> ProcessWebhook {
        match ids[..] {
            [one] => ProcessWebhook::One { inbox_id: one },
            _ => ProcessWebhook::Group { inbox_ids: ids },
        }
    }

    /// The inbox rows, in order.
    pub fn ids(&self) -> Vec<Uuid> {
        match self {
            ProcessWebhook::One { inbox_id } => vec![*inbox_id],
            ProcessWebhook::Group { inbox_ids } => inbox_ids.clone(),
        }
    }
}

impl JobArgs for ProcessWebhook {
    const KIND: &'static str = PROCESS_WEBHOOK;
}

/// [`SEND_MESSAGE`]: one outgoing message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMessage {
    /// The message.
    pub message_id: MessageId,
    /// Its org.
    pub org_id: OrgId,
}

impl JobArgs for SendMessage {
    const KIND: &'static str = SEND_MESSAGE;
}

/// [`READ_RECEIPT`]: marks a customer's message read (and shows typing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadReceipt {
    /// The number the message arrived on.
    pub account_id: AccountId,
    /// The customer's message.
    pub wamid: String,
    /// Also show the typing indicator.
    #[serde(default)]
    pub typing: bool,
}

impl JobArgs for ReadReceipt {
    const KIND: &'static str = READ_RECEIPT;
}

/// [`SYNC_TEMPLATES`]: refresh a number's template cache from Meta.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncTemplates {
    /// The number.
    pub account_id: AccountId,
}

impl JobArgs for SyncTemplates {
    const KIND: &'static str = SYNC_TEMPLATES;
}

/// [`SYNC_NUMBER`]: read a number's quality, limit and health from Meta.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncNumber {
    /// The number.
    pub account_id: AccountId,
}

impl JobArgs for SyncNumber {
    const KIND: &'static str = SYNC_NUMBER;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_keep_their_wire_shape() {
        let id = Uuid::nil();
        let one = ProcessWebhook::of(vec![id]).job(None, Utc::now(), 2);
        assert_eq!(
            one.payload,
            serde_json::json!({ "inbox_id": id.to_string() })
        );
        let group = ProcessWebhook::of(vec![id, id]).job(None, Utc::now(), 2);
        assert_eq!(group.payload["inbox_ids"].as_array().map(Vec::len), Some(2));
        let receipt: ReadReceipt = serde_json::from_value(
            serde_json::json!({ "account_id": id.to_string(), "wamid": "wamid.1" }),
        )
        .expect("a receipt without typing");
        assert!(!receipt.typing, "typing defaults to off");
    }

    #[test]
    fn a_job_of_another_kind_or_without_its_fields_is_refused() {
        let job = |kind: &str, payload| Job {
            id: JobId(Uuid::nil()),
            org_id: None,
            kind: kind.into(),
            payload,
            state: JobState::Running,
            priority: 1,
            attempts: 1,
            run_at: Utc::now(),
            lease_until: None,
            lease_token: None,
            last_error: None,
        };
        let sync = job(
            SYNC_NUMBER,
            serde_json::json!({ "account_id": Uuid::nil() }),
        );
        assert!(sync.args::<SyncNumber>().is_ok());
        assert!(sync.args::<SyncTemplates>().is_err());
        let empty = job(SEND_MESSAGE, serde_json::json!({}));
        let why = empty.args::<SendMessage>().err().unwrap_or_default();
        assert!(why.contains("message_id"), "{why}");
    }
}
