//! Meta webhook bodies as stored (the inbox) and what processing them ended in.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use wakit_core::JobId;

use crate::error::StoreResult;

/// A raw webhook body as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct InboxItem {
    /// Row id.
    pub id: Uuid,
    /// The exact bytes Meta sent (signature verified before storing).
    pub body: Vec<u8>,
    /// The `X-Hub-Signature-256` header value.
    pub signature: Option<String>,
    /// When wakit received it.
    pub received_at: DateTime<Utc>,
    /// `pending`, `done`, `ignored` or `failed` (see [`InboxOutcome`]).
    pub state: String,
    /// Processing attempts recorded so far.
    pub attempts: u32,
    /// Last processing error, or for an `ignored` body what was not applied.
    pub last_error: Option<String>,
}

/// How processing a stored body ended (see [`crate::InboxStore::inbox_finish_batch`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InboxOutcome {
    /// Everything in it was applied: state `done`.
    Done,
    /// Everything wakit handles was applied, but it also held items wakit does not
    /// handle (yet), listed in the text (`ignored: field X; ...`): state `ignored`, so
    /// nothing Meta sent disappears silently, and the body can be replayed once they are
    /// handled ([`crate::InboxStore::inbox_retry_ignored`]).
    Ignored(String),
    /// Some items could not be applied (the text says which, with any ignored ones):
    /// state `failed`, kept for a retry.
    Failed(String),
}

impl InboxOutcome {
    /// The state the row ends in.
    pub fn state(&self) -> &'static str {
        match self {
            InboxOutcome::Done => "done",
            InboxOutcome::Ignored(_) => "ignored",
            InboxOutcome::Failed(_) => "failed",
        }
    }

    /// The text the row keeps (`last_error`).
    pub fn note(&self) -> Option<&str> {
        match self {
            InboxOutcome::Done => None,
            InboxOutcome::Ignored(note) | InboxOutcome::Failed(note) => Some(note),
        }
    }
}

/// The digest a webhook body is stored under (hex SHA-256): a replay of the same bytes
/// is recognized by it and not stored again.
pub fn body_digest(body: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(body))
}

/// A verified webhook body to store (see [`crate::InboxStore::inbox_put_batch`]).
#[derive(Clone, Debug, PartialEq)]
pub struct NewInboxItem {
    /// The exact bytes Meta sent.
    pub body: Vec<u8>,
    /// The `X-Hub-Signature-256` header value.
    pub signature: Option<String>,
    /// When wakit received it.
    pub received_at: DateTime<Utc>,
}

/// The raw Meta webhook inbox: bodies are stored before Meta gets its 200, and
/// processed afterwards by a `process_webhook` job, so nothing acknowledged is lost.
#[async_trait]
pub trait InboxStore: Send + Sync {
    /// Stores a verified webhook body and queues its `process_webhook` job (payload
    /// `{"inbox_id": ...}`, priority [`Priority::Interactive`]) in one transaction.
    /// Returns once both are durable.
    async fn inbox_put(
        &self,
        body: &[u8],
        signature: Option<&str>,
        received_at: DateTime<Utc>,
    ) -> StoreResult<InboxItem>;
    /// Group commit: stores several verified bodies and queues ONE `process_webhook` job
    /// for all of them (payload `{"inbox_ids": [...]}` in input order, priority
    /// [`Priority::Interactive`]) in one transaction, so the whole group costs one durable
    /// commit. Returns the items in input order once everything is durable; on error
    /// nothing of the group is stored. An empty group stores nothing and queues no job.
    /// A body already stored (the same bytes, [`crate::body_digest`]) is not stored or
    /// queued again: its item carries the stored one's id, and a group of nothing but
    /// replays queues no job. [`inbox_put`](Self::inbox_put) likewise.
    async fn inbox_put_batch(&self, items: Vec<NewInboxItem>) -> StoreResult<Vec<InboxItem>>;
    /// Queues the oldest `limit` bodies whose processing left an error (`failed`, e.g. a
    /// message for a number not connected yet) for processing again — ONE
    /// `process_webhook` job for all of them, in one transaction — and marks them
    /// pending. Processing is idempotent, so what was stored the first time is not
    /// stored twice. Returns how many were queued.
    async fn inbox_retry_failed(&self, limit: u32, at: DateTime<Utc>) -> StoreResult<usize>;
    /// As [`inbox_retry_failed`](Self::inbox_retry_failed), for the bodies that held
    /// items wakit did not handle (`ignored`), to replay them once it does.
    async fn inbox_retry_ignored(&self, limit: u32, at: DateTime<Utc>) -> StoreResult<usize>;
    /// When the oldest body still waiting to be processed arrived (ingest lag).
    async fn inbox_oldest_pending(&self) -> StoreResult<Option<DateTime<Utc>>>;
    /// Reads a stored body.
    async fn inbox_get(&self, id: Uuid) -> StoreResult<InboxItem>;
    /// Reads several stored bodies, in the order of `ids`; unknown ids are left out.
    async fn inbox_get_batch(&self, ids: &[Uuid]) -> StoreResult<Vec<InboxItem>>;
    /// Records the outcome of processing: `error = None` → done; otherwise the row keeps
    /// the error (and stays for a retry or for an operator).
    async fn inbox_finish(
        &self,
        id: Uuid,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The end of processing, for many bodies at once: records each outcome (its state
    /// and text, see [`InboxOutcome`]) and marks done the leased
    /// `process_webhook` jobs that named them (`(job, lease_token)`, as
    /// [`JobStore::complete_job`]), in one transaction, so a worker pays one commit for
    /// all the jobs it claimed. An unknown inbox id is `NotFound` and then nothing is
    /// recorded. Returns, per job in order, false when its lease was lost.
    async fn inbox_finish_batch(
        &self,
        outcomes: &[(Uuid, InboxOutcome)],
        jobs: &[(JobId, Uuid)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<bool>>;
}
