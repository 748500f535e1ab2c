//! Processes stored Meta webhook bodies (`process_webhook` jobs, each naming one body or
//! a group-committed group of bodies): parses every item, ingests the messages of all
//! the claimed jobs' bodies together (one transaction per chunk when possible), applies
//! their statuses monotonically, likewise batched ([`statuses`]), then records every
//! body's outcome and completes the jobs in one call. Items for a number wakit does not know are not lost: the inbox row keeps
//! the body and says why it was not applied; items wakit does not handle leave it
//! `ignored` ([`ignored`]).

use chrono::{Duration, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use wakit_core::{JobId, Sender};
use wakit_meta::WebhookEvent;

mod ignored;
mod statuses;

use super::meta_events;
use statuses::Reported;
use wakit_store::{
    Account, InboundMessage, InboxItem, InboxOutcome, PROCESS_WEBHOOK, ProcessWebhook,
    StatusUpdate, Store, StoreError, StoreResult,
};

/// Jobs claimed per tick.
const BATCH: u32 = 16;
/// Most bodies processed together (one ingest, one finish). Bigger passes flush less
/// often, but on SQLite an ingest holds the one writer while POSTs wait for their group
/// commit: in the webhook benchmark, passes of 256 single-message bodies cut the accept
/// rate by a third against 64, for about the same processing rate.
const PASS_BODIES: usize = 64;
/// Most messages per ingest transaction, for the same reason when bodies carry many
/// messages (1000 stalled POSTs for half a second); it also bounds what the
/// one-at-a-time fallback redoes.
const INGEST_CHUNK: usize = 250;
/// How long a claimed job is ours before another worker may take it (default).
const LEASE_SECONDS: i64 = 30;
/// Processors a server runs on Postgres (see [`WebhookProcessor::parallelism`]).
const POSTGRES_PROCESSORS: usize = 4;
/// Idle wait between polls.
const IDLE: StdDuration = StdDuration::from_millis(100);

/// A message to ingest, with the index of the body it came from (for its problems).
type Tagged = (usize, wakit_core::OrgId, InboundMessage);

/// What a pass's bodies hold for the batched writes, in body order.
#[derive(Default)]
struct Found {
    inbound: Vec<Tagged>,
    statuses: Vec<Reported>,
    /// Per body (by slot), the items it held that wakit does not handle.
    ignored: Vec<Vec<String>>,
}

/// A claimed job and the inbox rows it names.
struct Leased {
    id: JobId,
    token: Uuid,
    attempts: u32,
    inbox: Vec<Uuid>,
}

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

    /// How many processors one server runs. Postgres takes concurrent writers (and
    /// claims skip each other's locked jobs), so several hide each other's round trips;
    /// SQLite has one writer, where a second processor would only queue behind the first.
    pub fn parallelism(&self) -> usize {
        if self.store.concurrent_writers() {
            POSTGRES_PROCESSORS
        } else {
            1
        }
    }

    /// Claims up to one batch of jobs and processes their bodies together (every write
    /// transaction is a disk flush, so a tick pays one ingest and one finish for all of
    /// them); returns how many jobs it handled.
    pub async fn tick(&self) -> StoreResult<usize> {
        let jobs = self
            .store
            .claim_jobs(&[PROCESS_WEBHOOK], BATCH, self.lease, Utc::now())
            .await?;
        let mut work = Vec::with_capacity(jobs.len());
        for job in &jobs {
            let Some(token) = job.lease_token else {
                continue;
            };
            match job.args::<ProcessWebhook>() {
                Ok(args) => work.push(Leased {
                    id: job.id,
                    token,
                    attempts: job.attempts,
                    inbox: args.ids(),
                }),
                Err(why) => {
                    self.store.fail_job(job.id, token, &why, None).await?;
                }
            }
        }
        let mut rest = work.as_slice();
        while !rest.is_empty() {
            let (pass, tail) = rest.split_at(pass_len(rest));
            self.handle(pass).await?;
            rest = tail;
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
                    _ = self.store.wait_for_jobs(IDLE) => {}
                }
            }
        }
    }

    /// Processes the jobs' bodies together. If that fails for a reason other than the
    /// database being unavailable, each job is tried alone, so only the job with the bad
    /// body fails.
    async fn handle(&self, work: &[Leased]) -> StoreResult<()> {
        match self.finish(work).await {
            Ok(()) => Ok(()),
            Err(e @ StoreError::Unavailable(_)) => self.retry_later(work, &e).await,
            Err(_) if work.len() > 1 => {
                for one in work {
                    match self.finish(std::slice::from_ref(one)).await {
                        Ok(()) => {}
                        Err(e @ StoreError::Unavailable(_)) => {
                            self.retry_later(std::slice::from_ref(one), &e).await?
                        }
                        Err(e) => self.give_up(one, &e).await?,
                    }
                }
                Ok(())
            }
            Err(e) => match work.first() {
                Some(one) => self.give_up(one, &e).await,
                None => Ok(()),
            },
        }
    }

    /// Applies the jobs' bodies, then records every body's outcome and completes the
    /// jobs in one call.
    async fn finish(&self, work: &[Leased]) -> StoreResult<()> {
        let ids: Vec<Uuid> = work.iter().flat_map(|w| w.inbox.iter().copied()).collect();
        let outcomes = self.process_all(&ids).await?;
        let leases: Vec<_> = work.iter().map(|w| (w.id, w.token)).collect();
        let completed = self
            .store
            .inbox_finish_batch(&outcomes, &leases, Utc::now())
            .await?;
        let lost = completed.iter().filter(|done| !**done).count();
        if lost > 0 {
            // Their leases expired and another worker took them: it redoes the work,
            // which is idempotent.
            tracing::debug!(lost, "webhook jobs finished after their lease expired");
        }
        Ok(())
    }

    /// The database hiccuped: the jobs go back to the queue with a backoff (their
    /// bodies are applied again from the start; ingest is idempotent).
    async fn retry_later(&self, work: &[Leased], e: &StoreError) -> StoreResult<()> {
        for w in work {
            let backoff = Duration::seconds(2i64.saturating_pow(w.attempts.min(8)));
            self.store
                .fail_job(w.id, w.token, &e.to_string(), Some(Utc::now() + backoff))
                .await?;
        }
        Ok(())
    }

    /// A job that cannot be processed: its rows keep the error and the job is dead,
    /// kept for an operator.
    async fn give_up(&self, job: &Leased, e: &StoreError) -> StoreResult<()> {
        let outcomes: Vec<_> = job
            .inbox
            .iter()
            .map(|id| (*id, InboxOutcome::Failed(e.to_string())))
            .collect();
        if let Err(also) = self
            .store
            .inbox_finish_batch(&outcomes, &[], Utc::now())
            .await
        {
            tracing::warn!(error = %also, "cannot record the failure on the inbox rows");
        }
        self.store
            .fail_job(job.id, job.token, &e.to_string(), None)
            .await?;
        Ok(())
    }

    /// Applies stored bodies; returns each stored body's outcome (what it could not
    /// apply or did not handle stays in the inbox row).
    async fn process_all(&self, ids: &[Uuid]) -> StoreResult<Vec<(Uuid, InboxOutcome)>> {
        let items = self.store.inbox_get_batch(ids).await?;
        if items.len() < ids.len() {
            tracing::warn!(
                missing = ids.len() - items.len(),
                "process_webhook job names inbox rows that do not exist"
            );
        }
        let mut accounts = HashMap::new();
        let mut found = Found {
            ignored: vec![Vec::new(); items.len()],
            ..Found::default()
        };
        let mut problems = Vec::with_capacity(items.len());
        for (slot, item) in items.iter().enumerate() {
            match self.process(slot, item, &mut accounts, &mut found).await {
                Ok(found) => problems.push(found),
                Err(e @ StoreError::Unavailable(_)) => return Err(e),
                // One bad body must not take the others with it.
                Err(e) => problems.push(vec![e.to_string()]),
            }
        }
        // Statuses go first, as they did when each body applied its own before the pass
        // ingested the messages; the two touch different messages (outgoing vs incoming).
        statuses::apply(&*self.store, found.statuses, &mut problems).await?;
        let mut inbound = found.inbound;
        while !inbound.is_empty() {
            let rest = inbound.split_off(inbound.len().min(INGEST_CHUNK));
            let chunk = std::mem::replace(&mut inbound, rest);
            self.ingest(chunk, &mut problems).await?;
        }
        Ok(items
            .iter()
            .zip(problems.into_iter().zip(found.ignored))
            .map(|(item, (p, i))| (item.id, ignored::outcome(p, i)))
            .collect())
    }

    /// Applies one stored body's other events and adds its messages and statuses (tagged
    /// with `slot`) to `found` for the batched writes. Returns the items it could not
    /// apply.
    async fn process(
        &self,
        slot: usize,
        item: &InboxItem,
        accounts: &mut HashMap<String, Option<Account>>,
        found: &mut Found,
    ) -> StoreResult<Vec<String>> {
        let mut problems = Vec::new();
        for event in wakit_meta::parse_webhook(&item.body) {
            match event {
                WebhookEvent::Message {
                    phone_number_id,
                    from,
                    user_id,
                    parent_user_id,
                    username,
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
                    let from = Sender::parse(
                        from.as_deref(),
                        user_id.as_deref(),
                        parent_user_id.as_deref(),
                        username.as_deref(),
                    );
                    match from {
                        Ok(from) => found.inbound.push((
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
                    biz_opaque_callback_data,
                    ..
                } => {
                    let Some(account) = self.route(accounts, &phone_number_id).await? else {
                        problems.push(format!(
                            "status for {wamid} on unknown phone-number id {phone_number_id}"
                        ));
                        continue;
                    };
                    found.statuses.push(Reported {
                        slot,
                        org: account.org_id,
                        update: StatusUpdate {
                            account_id: account.id,
                            wamid,
                            status,
                            at: timestamp,
                            error: errors,
                        },
                        biz_opaque: biz_opaque_callback_data,
                    });
                }
                WebhookEvent::Errors {
                    phone_number_id: Some(pnid),
                    errors,
                } => match self.route(accounts, &pnid).await? {
                    Some(account) => meta_events::errors(&*self.store, &account, &errors).await?,
                    None => problems.push(format!("errors for unknown phone-number id {pnid}")),
                },
                WebhookEvent::Errors {
                    phone_number_id: None,
                    ..
                } => found.ignored[slot].push(ignored::unrouted_errors()),
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
                WebhookEvent::Unknown { field, .. } => {
                    found.ignored[slot].push(ignored::field(&field))
                }
            }
        }
        Ok(problems)
    }

    /// The number a phone-number id names, looked up once per pass.
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

/// How many of the leading jobs make one pass: at most [`PASS_BODIES`] bodies, and at
/// least one job.
fn pass_len(work: &[Leased]) -> usize {
    let mut bodies = 0;
    let fits = work
        .iter()
        .take_while(|w| {
            bodies += w.inbox.len();
            bodies <= PASS_BODIES
        })
        .count();
    fits.max(1)
}
