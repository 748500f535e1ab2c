//! The job queue's records and the job kinds wakit runs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
use wakit_core::{JobId, OrgId};

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
