//! Processes stored Meta webhook bodies (`process_webhook` jobs): parses every item,
//! ingests messages (one transaction for the whole body when possible), applies
//! statuses monotonically. Items for a number wakit does not know are not lost: the
//! inbox row keeps the body and says why it was not applied.

use chrono::{Duration, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use wakit_core::Phone;
use wakit_meta::WebhookEvent;

use super::meta_events;
use wakit_store::{
    Account, InboundMessage, Job, PROCESS_WEBHOOK, StatusUpdate, Store, StoreError, StoreResult,
};

/// Jobs claimed per tick.
const BATCH: u32 = 16;
/// How long a claimed job is ours before another worker may take it (default).
const LEASE_SECONDS: i64 = 30;
/// Idle wait between polls.
const IDLE: StdDuration = StdDuration::from_millis(100);

/// The webhook-processing worker.
#[derive(Clone)]
pub struct WebhookProcessor {
    store: Arc<dyn Store>,
    lease: Duration,
}

impl WebhookProcessor {
    /// A processor over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        WebhookProcessor {
            store,
            lease: Duration::seconds(LEASE_SECONDS),
        }
    }

    /// Sets how long a claimed job is ours.
    pub fn with_lease(mut self, lease: StdDuration) -> Self {
        self.lease = Duration::from_std(lease).unwrap_or(self.lease);
        self
    }

    /// Claims and processes up to one batch of jobs; returns how many it handled.
    pub async fn tick(&self) -> StoreResult<usize> {
        let jobs = self
            .store
            .claim_jobs(&[PROCESS_WEBHOOK], BATCH, self.lease, Utc::now())
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
        let inbox_id = job
            .payload
            .get("inbox_id")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse::<Uuid>().ok());
        let Some(inbox_id) = inbox_id else {
            self.store
                .fail_job(job.id, token, "job payload has no inbox_id", None)
                .await?;
            return Ok(());
        };
        match self.process(inbox_id).await {
            Ok(problems) => {
                let note = (!problems.is_empty()).then(|| problems.join("; "));
                self.store
                    .inbox_finish(inbox_id, note.as_deref(), Utc::now())
                    .await?;
                self.store.complete_job(job.id, token).await?;
            }
            Err(e @ StoreError::Unavailable(_)) => {
                // The database hiccuped: try the whole body again later (ingest is idempotent).
                let backoff = Duration::seconds(2i64.saturating_pow(job.attempts.min(8)));
                self.store
                    .fail_job(job.id, token, &e.to_string(), Some(Utc::now() + backoff))
                    .await?;
            }
            Err(e) => {
                self.store
                    .inbox_finish(inbox_id, Some(&e.to_string()), Utc::now())
                    .await?;
                self.store
                    .fail_job(job.id, token, &e.to_string(), None)
                    .await?;
            }
        }
        Ok(())
    }

    /// Applies one stored body. Returns the items it could not apply (kept in the inbox).
    async fn process(&self, inbox_id: Uuid) -> StoreResult<Vec<String>> {
        let item = self.store.inbox_get(inbox_id).await?;
        let mut problems = Vec::new();
        let mut inbound = Vec::new();
        let mut accounts = HashMap::new();
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
                    let Some(account) = self.route(&mut accounts, &phone_number_id).await? else {
                        problems.push(format!(
                            "message {wamid} for unknown phone-number id {phone_number_id}"
                        ));
                        continue;
                    };
                    match Phone::parse(&from) {
                        Ok(from) => inbound.push((
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
                    biz_opaque_callback_data,
                    ..
                } => {
                    let Some(account) = self.route(&mut accounts, &phone_number_id).await? else {
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
                    let biz = biz_opaque_callback_data.as_deref();
                    meta_events::apply_status(&*self.store, &account, update, biz).await?;
                }
                WebhookEvent::Errors {
                    phone_number_id: Some(pnid),
                    errors,
                } => match self.route(&mut accounts, &pnid).await? {
                    Some(account) => meta_events::errors(&*self.store, &account, &errors).await?,
                    None => problems.push(format!("errors for unknown phone-number id {pnid}")),
                },
                WebhookEvent::TemplateStatus {
                    waba_id,
                    name,
                    event,
                    ..
                } => {
                    tracing::info!(%waba_id, template = %name, %event, "template status changed");
                    if meta_events::template_changed(&*self.store, &waba_id).await? == 0 {
                        problems.push(format!("template update for unknown WABA {waba_id}"));
                    }
                }
                WebhookEvent::NumberUpdate {
                    waba_id,
                    display_phone_number,
                    field,
                    value,
                } => {
                    let display = display_phone_number.as_deref();
                    let n =
                        meta_events::number_update(&*self.store, &waba_id, display, &field, &value)
                            .await?;
                    if n == 0 {
                        problems.push(format!("{field} for unknown WABA {waba_id}"));
                    }
                }
                WebhookEvent::Invalid { reason, .. } => {
                    problems.push(format!("invalid item: {reason}"))
                }
                other => {
                    tracing::debug!(event = ?other, "webhook event kept in the inbox, not applied yet")
                }
            }
        }
        self.ingest(inbound, &mut problems).await?;
        Ok(problems)
    }

    /// The number a phone-number id names, looked up once per body.
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

    /// One transaction for the body's messages; if that fails, one message at a time so a
    /// bad item cannot take the others with it.
    async fn ingest(
        &self,
        batch: Vec<(wakit_core::OrgId, InboundMessage)>,
        problems: &mut Vec<String>,
    ) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        match self.store.ingest_inbound_batch(batch.clone()).await {
            Ok(_) => Ok(()),
            Err(e @ StoreError::Unavailable(_)) => Err(e),
            Err(_) => {
                for (org, msg) in batch {
                    let wamid = msg.wamid.clone();
                    match self.store.ingest_inbound(org, msg).await {
                        Ok(_) => {}
                        Err(e @ StoreError::Unavailable(_)) => return Err(e),
                        Err(e) => problems.push(format!("message {wamid}: {e}")),
                    }
                }
                Ok(())
            }
        }
    }
}
