//! The dispatcher: everything wakit asks of Meta's Graph API on a number's behalf —
//! outgoing messages (`send_message`), read receipts, template and number refreshes.
//!
//! Sends are paced per number ([`Pacer`]), claimed in priority order (a reply goes ahead
//! of a bulk send), retried with backoff for a bounded time, and never sent twice: a
//! marker is set in the same database right before Meta is called (see
//! [`wakit_store::DispatchStart`]).

mod batch;
mod media_job;
mod media_send;
mod meta_jobs;
mod send;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use wakit_core::{AccountId, MessageId, OrgId};
use wakit_meta::{GraphClient, MetaError};
use wakit_store::secrets::SecretBox;
use wakit_store::{
    Account, DOWNLOAD_MEDIA, DispatchStart, Job, READ_RECEIPT, SEND_MESSAGE, SYNC_NUMBER,
    SYNC_TEMPLATES, SendAccepted, Store, StoreError, StoreResult,
};

use super::pacing::{Pacer, SharedPacer};

/// Job kinds the dispatcher runs.
pub const KINDS: [&str; 5] = [
    SEND_MESSAGE,
    READ_RECEIPT,
    SYNC_TEMPLATES,
    SYNC_NUMBER,
    DOWNLOAD_MEDIA,
];

/// How the dispatcher behaves.
#[derive(Clone, Debug)]
pub struct DispatchConfig {
    /// Send rate of a number without its own setting (messages/s).
    pub default_mps: u32,
    /// How long a retryable failure is retried before the message fails with the last error.
    pub retry_for: Duration,
    /// How long an interrupted send waits for Meta's status webhook before it is failed as
    /// "outcome unknown".
    pub reconcile_after: Duration,
    /// First retry delay (doubled per attempt, with jitter).
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// Most jobs in flight at once (waiting for their slot or for Meta).
    pub max_in_flight: usize,
    /// A job whose number has no slot within this horizon goes back to the queue.
    pub pacing_horizon: Duration,
    /// How long a claimed job is ours.
    pub lease: Duration,
    /// Idle wait between polls for due jobs.
    pub poll: Duration,
    /// Where inbound media is kept (the server's, set when the workers start).
    pub media: crate::media::MediaConfig,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            default_mps: 80,
            retry_for: Duration::from_secs(600),
            reconcile_after: Duration::from_secs(900),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            max_in_flight: 512,
            pacing_horizon: Duration::from_secs(1),
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(50),
            media: crate::media::MediaConfig::default(),
        }
    }
}

/// A number ready to call Meta for.
#[derive(Clone)]
struct Number {
    account: Account,
    token: String,
}

/// How long a number's account row and token are reused before being read again.
pub const NUMBER_TTL: Duration = Duration::from_secs(5);

struct Inner {
    store: Arc<dyn Store>,
    graph: GraphClient,
    secrets: SecretBox,
    config: DispatchConfig,
    pacer: Pacer,
    /// Set when the store shares pacing between processes (then `pacer` is unused).
    shared: Option<SharedPacer>,
    numbers: Mutex<HashMap<AccountId, (Instant, Number)>>,
    /// Send attempts started together (one transaction per group).
    begins: batch::Batcher<(OrgId, MessageId), DispatchStart>,
    /// Accepted sends recorded together, with their jobs completed.
    finishes: batch::Batcher<SendAccepted, ()>,
}

/// Most writes one group commit takes.
const GROUP: usize = 128;

/// The dispatcher worker. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

impl Dispatcher {
    /// A dispatcher calling Meta through `graph`, opening tokens with `secrets`.
    pub fn new(
        store: Arc<dyn Store>,
        graph: GraphClient,
        secrets: SecretBox,
        config: DispatchConfig,
    ) -> Self {
        let begins = {
            let store = store.clone();
            batch::Batcher::spawn(GROUP, move |items: Vec<(OrgId, MessageId)>| {
                let store = store.clone();
                async move { store.begin_dispatch_many(&items, Utc::now()).await }
            })
        };
        let finishes = {
            let store = store.clone();
            batch::Batcher::spawn(GROUP, move |items: Vec<SendAccepted>| {
                let store = store.clone();
                async move { store.finish_sends(&items).await }
            })
        };
        let shared = store
            .shares_pacing()
            .then(|| SharedPacer::new(store.clone()));
        Dispatcher {
            inner: Arc::new(Inner {
                begins,
                finishes,
                store,
                graph,
                secrets,
                config,
                pacer: Pacer::default(),
                shared,
                numbers: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Claims up to `limit` due jobs and runs them to their next state; returns how many.
    pub async fn tick_batch(&self, limit: usize) -> StoreResult<usize> {
        let jobs = self.claim(limit).await?;
        let n = jobs.len();
        let mut set = JoinSet::new();
        for job in jobs {
            let me = self.clone();
            set.spawn(async move { me.handle(job).await });
        }
        while set.join_next().await.is_some() {}
        Ok(n)
    }

    /// One batch (see [`Dispatcher::tick_batch`]).
    pub async fn tick(&self) -> StoreResult<usize> {
        self.tick_batch(64).await
    }

    /// Runs until `cancel` fires, keeping up to `max_in_flight` jobs going; on cancel,
    /// claims nothing new and lets the jobs in hand finish.
    pub async fn run(self, cancel: CancellationToken) {
        let permits = Arc::new(Semaphore::new(self.inner.config.max_in_flight));
        let mut set = JoinSet::new();
        while !cancel.is_cancelled() {
            while set.try_join_next().is_some() {}
            let free = permits.available_permits().min(256);
            let claimed = if free == 0 {
                Ok(Vec::new())
            } else {
                self.claim(free).await
            };
            let idle = match claimed {
                Ok(jobs) if !jobs.is_empty() => {
                    for job in jobs {
                        let Ok(permit) = permits.clone().acquire_owned().await else {
                            break;
                        };
                        let me = self.clone();
                        set.spawn(async move {
                            me.handle(job).await;
                            drop(permit);
                        });
                    }
                    false
                }
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "dispatcher cannot claim jobs; retrying");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = self.inner.store.wait_for_jobs(self.inner.config.poll) => {}
                }
            }
        }
        while set.join_next().await.is_some() {}
    }

    async fn claim(&self, limit: usize) -> StoreResult<Vec<Job>> {
        let lease = chrono::Duration::from_std(self.inner.config.lease)
            .unwrap_or(chrono::Duration::seconds(120));
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        self.inner
            .store
            .claim_jobs(&KINDS, limit, lease, Utc::now())
            .await
    }

    async fn handle(&self, job: Job) {
        let result = match job.kind.as_str() {
            SEND_MESSAGE => self.send_message(&job).await,
            READ_RECEIPT => self.read_receipt(&job).await,
            SYNC_TEMPLATES => self.sync_templates(&job).await,
            SYNC_NUMBER => self.sync_number(&job).await,
            DOWNLOAD_MEDIA => self.download_media(&job).await,
            other => Err(StoreError::other(format!("unknown job kind {other}"))),
        };
        if let Err(e) = result {
            // The database failed mid-job: leave the lease to expire so the job is picked
            // up again; every step is safe to repeat.
            tracing::warn!(job = %job.id, kind = %job.kind, error = %e, "dispatch job interrupted");
        }
    }

    /// The number's account and opened token, cached for a few seconds.
    async fn number(&self, org: OrgId, account: AccountId) -> StoreResult<Number> {
        if let Some((at, n)) = self.numbers().get(&account)
            && at.elapsed() < NUMBER_TTL
        {
            return Ok(n.clone());
        }
        let acct = self.inner.store.get_account(org, account).await?;
        let token =
            crate::graph::open_token(&*self.inner.store, &self.inner.secrets, &acct).await?;
        let n = Number {
            account: acct,
            token,
        };
        self.numbers().insert(account, (Instant::now(), n.clone()));
        Ok(n)
    }

    fn forget_number(&self, account: AccountId) {
        self.numbers().remove(&account);
    }

    fn numbers(&self) -> std::sync::MutexGuard<'_, HashMap<AccountId, (Instant, Number)>> {
        self.inner
            .numbers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The number's pacing rate.
    fn mps(&self, account: &Account) -> u32 {
        account
            .max_mps
            .unwrap_or(self.inner.config.default_mps)
            .clamp(1, wakit_store::MAX_MPS)
    }

    /// Waits for the number's next slot, or says when to come back.
    async fn pace(&self, account: &Account) -> Result<(), Duration> {
        let mps = self.mps(account);
        crate::metrics::send_limit(&account.phone_number_id, mps);
        let horizon = self.inner.config.pacing_horizon;
        let wait = match &self.inner.shared {
            None => self.inner.pacer.reserve(account.id, mps, horizon)?,
            Some(shared) => match shared.reserve(account.id, mps, horizon).await {
                Ok(slot) => slot?,
                Err(e) => {
                    // The database could not reserve: try again shortly, never send unpaced.
                    tracing::warn!(error = %e, "send pacing unavailable");
                    return Err(Duration::from_millis(200));
                }
            },
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// Exponential backoff with full jitter for attempt `n` (1-based), at least `floor`.
    fn backoff(&self, attempt: u32, floor: Option<Duration>) -> Duration {
        let cfg = &self.inner.config;
        let exp = cfg
            .backoff_base
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(16)))
            .min(cfg.backoff_max);
        let jittered = exp.mul_f64(rand::thread_rng().gen_range(0.5..=1.0));
        jittered.max(floor.unwrap_or(Duration::ZERO))
    }

    /// Records that Meta refused the number's token (re-authentication needed).
    async fn token_refused(&self, account: &Account, e: &MetaError) -> StoreResult<()> {
        self.forget_number(account.id);
        let record = json!({
            "status": "error",
            "error": e.message,
            "code": e.code,
            "at": Utc::now(),
        });
        tracing::error!(number = %account.phone_number_id, error = %e, "Meta refused the number's access token");
        self.inner
            .store
            .record_account_health(account.org_id, account.id, "token", record)
            .await
    }
}

/// Meta's error as stored on a failed message: the shape of a status webhook's `errors`.
fn meta_error_json(e: &MetaError) -> Value {
    let mut err = json!({ "code": e.code, "message": e.message });
    if let Some(sub) = e.subcode {
        err["error_subcode"] = json!(sub);
    }
    if let Some(d) = &e.details {
        err["error_data"] = json!({ "details": d });
    }
    if let Some(t) = &e.fbtrace_id {
        err["fbtrace_id"] = json!(t);
    }
    if e.code.is_none() {
        err["code"] = json!("meta_unreachable");
    }
    json!([err])
}

/// wakit's own reason for failing a message, in the same shape.
fn wakit_error_json(code: &str, message: &str) -> Value {
    json!([{ "code": code, "message": message }])
}

/// `from + d` in chrono terms.
fn later(from: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    from + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// The claimed job's lease token (a claimed job always has one).
fn lease(job: &Job) -> StoreResult<uuid::Uuid> {
    job.lease_token
        .ok_or(StoreError::other("claimed job without a lease"))
}
