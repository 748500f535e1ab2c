//! Processes stored Meta webhook bodies (`process_webhook` jobs, one body or a
//! group-committed group of bodies each): parses every item, ingests the messages of all
//! the job's bodies together (one transaction per chunk when possible), applies statuses
//! monotonically. Items for a number wakit does not know are not lost: the inbox row
//! keeps the body and says why it was not applied.

use chrono::{Duration, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use wakit_core::Phone;
use wakit_meta::WebhookEvent;
use wakit_store::{
    Account, InboundMessage, InboxItem, Job, PROCESS_WEBHOOK, StatusUpdate, Store, StoreError,
    StoreResult,
};

/// Jobs claimed per tick.
const BATCH: u32 = 16;
/// Most messages per ingest transaction: bounds the transaction, and what the
/// one-at-a-time fallback redoes, when a job's bodies carry many messages.
const INGEST_CHUNK: usize = 1000;

/// A message to ingest, with the index of the body it came from (for its problems).
type Tagged = (usize, wakit_core::OrgId, InboundMessage);
/// How long a claimed job is ours before another worker may take it.
const LEASE_SECONDS: i64 = 60;
/// Idle wait between polls.
const IDLE: StdDuration = StdDuration::from_millis(100);

/// The webhook-processing worker.
#[derive(Clone)]
pub struct WebhookProcessor {
    store: Arc<dyn Store>,
}

impl WebhookProcessor {
    /// A processor over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        WebhookProcessor { store }
    }

    /// Claims and processes up to one batch of jobs; returns how many it handled.
    pub async fn tick(&self) -> StoreResult<usize> {
        let jobs = self
            .store
            .claim_jobs(
                &[PROCESS_WEBHOOK],
                BATCH,
                Duration::seconds(LEASE_SECONDS),
                Utc::now(),
            )
            .await?;
        for job in &jobs {
            self.handle(job).await?;
        }
        Ok(jobs.len())
    }

    /// Runs until `cancel` fires; finishes the batch in hand before returning.
    pub async fn run(self, cancel: CancellationToken) {
        while !cancel.is_cancelled() {
            let idle = match self.tick().await {
                Ok(0) => true,
                Ok(_) => false,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook processing failed; retrying");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(IDLE) => {}
                }
            }
        }
    }

    async fn handle(&self, job: &Job) -> StoreResult<()> {
        let Some(token) = job.lease_token else {
            return Ok(());
        };
        let Some(ids) = inbox_ids(&job.payload) else {
            self.store
                .fail_job(job.id, token, "job payload has no inbox_id", None)
                .await?;
            return Ok(());
        };
        match self.process_all(&ids).await {
            Ok(outcomes) => {
                self.store.inbox_finish_batch(&outcomes, Utc::now()).await?;
                self.store.complete_job(job.id, token).await?;
            }
            Err(e @ StoreError::Unavailable(_)) => {
                // The database hiccuped: try the whole job again later (ingest is idempotent).
                let backoff = Duration::seconds(2i64.saturating_pow(job.attempts.min(8)));
                self.store
                    .fail_job(job.id, token, &e.to_string(), Some(Utc::now() + backoff))
                    .await?;
            }
            Err(e) => {
                let outcomes: Vec<_> = ids.iter().map(|id| (*id, Some(e.to_string()))).collect();
                if let Err(also) = self.store.inbox_finish_batch(&outcomes, Utc::now()).await {
                    tracing::warn!(error = %also, "cannot record the failure on the inbox rows");
                }
                self.store
                    .fail_job(job.id, token, &e.to_string(), None)
                    .await?;
            }
        }
        Ok(())
    }

    /// Applies a job's bodies; returns each stored body's outcome (None = fully applied,
    /// or the items it could not apply, which stay in the inbox row).
    async fn process_all(&self, ids: &[Uuid]) -> StoreResult<Vec<(Uuid, Option<String>)>> {
        let items = self.store.inbox_get_batch(ids).await?;
        if items.len() < ids.len() {
            tracing::warn!(
                missing = ids.len() - items.len(),
                "process_webhook job names inbox rows that do not exist"
            );
        }
        let mut accounts = HashMap::new();
        let mut inbound = Vec::new();
        let mut problems = Vec::with_capacity(items.len());
        for (slot, item) in items.iter().enumerate() {
            match self.process(slot, item, &mut accounts, &mut inbound).await {
                Ok(found) => problems.push(found),
                Err(e @ StoreError::Unavailable(_)) => return Err(e),
                // One bad body must not take the others with it.
                Err(e) => problems.push(vec![e.to_string()]),
            }
        }
        while !inbound.is_empty() {
            let rest = inbound.split_off(inbound.len().min(INGEST_CHUNK));
            let chunk = std::mem::replace(&mut inbound, rest);
            self.ingest(chunk, &mut problems).await?;
        }
        Ok(items
            .iter()
            .zip(problems)
            .map(|(item, p)| (item.id, (!p.is_empty()).then(|| p.join("; "))))
            .collect())
    }

    /// Applies one stored body's statuses and adds its messages (tagged with `slot`) to
    /// `inbound` for the job's batched ingest. Returns the items it could not apply.
    async fn process(
        &self,
        slot: usize,
        item: &InboxItem,
        accounts: &mut HashMap<String, Option<Account>>,
        inbound: &mut Vec<Tagged>,
    ) -> StoreResult<Vec<String>> {
        let mut problems = Vec::new();
        for event in wakit_meta::parse_webhook(&item.body) {
            match event {
                WebhookEvent::Message {
                    phone_number_id,
                    from,
                    profile_name,
                    wamid,
                    timestamp,
                    content,
                    ..
                } => {
                    let Some(account) = self.route(accounts, &phone_number_id).await? else {
                        problems.push(format!(
                            "message {wamid} for unknown phone-number id {phone_number_id}"
                        ));
                        continue;
                    };
                    match Phone::parse(&from) {
                        Ok(from) => inbound.push((
                            slot,
                            account.org_id,
                            InboundMessage {
                                account_id: account.id,
                                from,
                                profile_name,
                                wamid,
                                timestamp,
                                content,
                            },
                        )),
                        Err(e) => problems.push(format!("message {wamid}: {e}")),
                    }
                }
                WebhookEvent::Status {
                    phone_number_id,
                    wamid,
                    status,
                    timestamp,
                    errors,
                    ..
                } => {
                    let Some(account) = self.route(accounts, &phone_number_id).await? else {
                        problems.push(format!(
                            "status for {wamid} on unknown phone-number id {phone_number_id}"
                        ));
                        continue;
                    };
                    let update = StatusUpdate {
                        account_id: account.id,
                        wamid,
                        status,
                        at: timestamp,
                        error: errors,
                    };
                    self.store.apply_status(account.org_id, update).await?;
                }
                WebhookEvent::Invalid { reason, .. } => {
                    problems.push(format!("invalid item: {reason}"))
                }
                other => {
                    tracing::debug!(event = ?other, "webhook event kept in the inbox, not applied yet")
                }
            }
        }
        Ok(problems)
    }

    /// The number a phone-number id names, looked up once per job.
    async fn route(
        &self,
        cache: &mut HashMap<String, Option<Account>>,
        phone_number_id: &str,
    ) -> StoreResult<Option<Account>> {
        if let Some(known) = cache.get(phone_number_id) {
            return Ok(known.clone());
        }
        let found = self
            .store
            .account_by_phone_number_id(phone_number_id)
            .await?;
        cache.insert(phone_number_id.to_string(), found.clone());
        Ok(found)
    }

    /// One transaction for the chunk's messages; if that fails, one message at a time so
    /// a bad item cannot take the others with it (its body's outcome names it).
    async fn ingest(&self, batch: Vec<Tagged>, problems: &mut [Vec<String>]) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let plain = batch
            .iter()
            .map(|(_, org, msg)| (*org, msg.clone()))
            .collect();
        match self.store.ingest_inbound_batch(plain).await {
            Ok(_) => Ok(()),
            Err(e @ StoreError::Unavailable(_)) => Err(e),
            Err(_) => {
                for (slot, org, msg) in batch {
                    let wamid = msg.wamid.clone();
                    match self.store.ingest_inbound(org, msg).await {
                        Ok(_) => {}
                        Err(e @ StoreError::Unavailable(_)) => return Err(e),
                        Err(e) => problems[slot].push(format!("message {wamid}: {e}")),
                    }
                }
                Ok(())
            }
        }
    }
}

/// The inbox rows a job names: `{"inbox_ids": [...]}` (a group) or `{"inbox_id": ...}`.
fn inbox_ids(payload: &serde_json::Value) -> Option<Vec<Uuid>> {
    let parse = |v: &serde_json::Value| v.as_str().and_then(|s| s.parse::<Uuid>().ok());
    if let Some(one) = payload.get("inbox_id") {
        return parse(one).map(|id| vec![id]);
    }
    payload
        .get("inbox_ids")?
        .as_array()?
        .iter()
        .map(parse)
        .collect()
}
