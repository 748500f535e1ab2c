//! The delivery worker: fans the event log out as soon as a commit wakes it (the event
//! stream's [`Pulse`](crate::routes::events::Pulse), not a slow poll), claims due
//! deliveries with leases and sends each in its own task: at most
//! [`OutboundConfig::per_endpoint`] attempts at once per endpoint (a gate per endpoint;
//! an endpoint with that many in flight is left out of claims), so a slow or dead
//! endpoint holds only its own deliveries. A claimed delivery that waited at its gate
//! too long for its lease is left to be claimed again. Each attempt's outcome is
//! recorded with the lease it was claimed with, by one recorder task that commits the
//! outcomes waiting in one transaction (group commit, as the webhook inbox).

use chrono::Utc;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;
use wakit_store::secrets::SecretBox;
use wakit_store::{AttemptOutcome, Delivery, NextStep, WebhookEndpoint};

use super::schedule::{MAX_ATTEMPTS, next_delay};
use super::sender::{Answer, Request, Sender};
use super::{OutboundConfig, fanout};
use crate::AppState;

/// Deliveries claimed at a time.
const CLAIM: u32 = 100;
/// Attempt outcomes recorded in one transaction at most.
const RECORD_BATCH: usize = 256;
/// Outcomes waiting to be recorded beyond which attempts wait to hand theirs over.
const RECORD_QUEUE: usize = 4096;

/// An attempt's outcome, to record: delivery id, lease token, outcome.
type Finished = (Uuid, Uuid, AttemptOutcome);
/// How long a failing endpoint may fail before it is disabled (times the retry scale).
const DISABLE_AFTER: Duration = Duration::from_secs(5 * 24 * 3600);

/// The worker; clones share their in-flight counts.
#[derive(Clone)]
pub struct Outbound {
    state: AppState,
    config: OutboundConfig,
    secrets: SecretBox,
    sender: Sender,
    in_flight: Arc<Mutex<HashMap<Uuid, usize>>>,
    gates: Arc<Mutex<HashMap<Uuid, Arc<Semaphore>>>>,
    queued: Arc<Notify>,
    /// Outcomes to the recorder, which commits whatever is waiting in one transaction
    /// (one disk flush for many attempts, not one each).
    finished: mpsc::Sender<Finished>,
    recorder: Arc<Mutex<Option<mpsc::Receiver<Finished>>>>,
}

impl Outbound {
    /// A worker over `state`, when its outbound config has a secret key.
    pub fn new(state: AppState) -> Option<Outbound> {
        let config = state.api.webhooks.clone();
        let secrets = config.secrets.clone()?;
        let (finished, recorder) = mpsc::channel(RECORD_QUEUE);
        Some(Outbound {
            finished,
            recorder: Arc::new(Mutex::new(Some(recorder))),
            sender: Sender::new(&config),
            state,
            config,
            secrets,
            in_flight: Arc::default(),
            gates: Arc::default(),
            queued: Arc::default(),
        })
    }

    /// Fans out and delivers until `cancel` fires; attempts in flight then finish.
    pub async fn run(self, cancel: CancellationToken) {
        let tracker = TaskTracker::new();
        let drained = CancellationToken::new();
        let recording = self
            .recorder
            .lock()
            .ok()
            .and_then(|mut r| r.take())
            .map(|rx| tokio::spawn(self.clone().record(rx, drained.clone())));
        tokio::join!(self.fan_out(cancel.clone()), self.deliver(&tracker, cancel));
        tracker.close();
        tracker.wait().await;
        drained.cancel();
        if let Some(recording) = recording {
            let _ = recording.await;
        }
    }

    /// Records the outcomes handed over, as many as are waiting in one transaction,
    /// until `drained` fires and nothing is left. A batch that cannot be recorded is
    /// lost with a warning: its leases run out and the deliveries go again (at least
    /// once, same `webhook-id`).
    async fn record(self, mut rx: mpsc::Receiver<Finished>, drained: CancellationToken) {
        let mut batch = Vec::with_capacity(RECORD_BATCH);
        loop {
            tokio::select! {
                n = rx.recv_many(&mut batch, RECORD_BATCH) => if n == 0 { return },
                () = drained.cancelled() => {
                    while let Ok(f) = rx.try_recv() {
                        batch.push(f);
                    }
                    if batch.is_empty() {
                        return;
                    }
                }
            }
            let items = std::mem::take(&mut batch);
            let n = items.len();
            match self.state.store.finish_deliveries(items, Utc::now()).await {
                Ok(done) => {
                    let lost = done.iter().filter(|ok| !**ok).count();
                    if lost > 0 {
                        tracing::info!(lost, "delivery leases lost; other processes have them");
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, attempts = n, "cannot record delivery attempts")
                }
            }
            // Deliveries waiting behind these (same endpoint and conversation) are due.
            self.queued.notify_one();
        }
    }

    async fn fan_out(&self, cancel: CancellationToken) {
        let pulse = self.state.api.events.pulse.clone();
        pulse.start(
            self.state.store.clone(),
            self.state.api.events.closing.clone(),
        );
        loop {
            let woken = pulse.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let more = match fanout::round(&self.state).await {
                Ok(r) => {
                    if r.queued > 0 {
                        self.queued.notify_one();
                    }
                    r.more
                }
                Err(e) => {
                    tracing::warn!(error = %e.message(), "webhook fan-out failed; trying again");
                    false
                }
            };
            if more {
                continue;
            }
            tokio::select! {
                () = &mut woken => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                () = cancel.cancelled() => return,
            }
        }
    }

    /// The endpoints with as many attempts in flight as they may have.
    fn busy(&self) -> (Vec<Uuid>, usize) {
        let counts = self.in_flight.lock().map(|m| m.clone()).unwrap_or_default();
        let total = counts.values().sum();
        let busy = counts
            .into_iter()
            .filter(|(_, n)| *n >= self.config.per_endpoint)
            .map(|(id, _)| id)
            .collect();
        (busy, total)
    }

    fn count(&self, endpoint: Uuid, delta: isize) {
        if let Ok(mut m) = self.in_flight.lock() {
            let n = m.entry(endpoint).or_default();
            *n = n.saturating_add_signed(delta);
            if *n == 0 {
                m.remove(&endpoint);
            }
        }
    }

    /// The gate of `endpoint`: [`OutboundConfig::per_endpoint`] permits.
    fn gate(&self, endpoint: Uuid) -> Option<Arc<Semaphore>> {
        let mut gates = self.gates.lock().ok()?;
        let gate = gates
            .entry(endpoint)
            .or_insert_with(|| Arc::new(Semaphore::new(self.config.per_endpoint.max(1))));
        Some(gate.clone())
    }

    /// Sends a claimed delivery once its endpoint's gate lets it, if its lease still
    /// covers a whole attempt then.
    async fn gated(&self, delivery: Delivery, endpoint: WebhookEndpoint, claimed: Instant) {
        let Some(gate) = self.gate(endpoint.id) else {
            return;
        };
        let Ok(_permit) = gate.acquire_owned().await else {
            return;
        };
        if claimed.elapsed() + self.config.timeout > self.config.lease() {
            return; // claimed again once the lease runs out
        }
        self.attempt(delivery, endpoint).await;
    }

    async fn deliver(&self, tracker: &TaskTracker, cancel: CancellationToken) {
        let lease = chrono::Duration::from_std(self.config.lease()).unwrap_or_default();
        loop {
            let (skip, total) = self.busy();
            let room = u32::try_from(self.config.in_flight.saturating_sub(total)).unwrap_or(0);
            let claimed = if room == 0 {
                Vec::new()
            } else {
                let store = &self.state.store;
                match store
                    .claim_deliveries(room.min(CLAIM), lease, Utc::now(), &skip)
                    .await
                {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot claim webhook deliveries");
                        Vec::new()
                    }
                }
            };
            let idle = claimed.is_empty();
            let at = Instant::now();
            for (delivery, endpoint) in claimed {
                self.count(endpoint.id, 1);
                let me = self.clone();
                tracker.spawn(async move {
                    let id = endpoint.id;
                    me.gated(delivery, endpoint, at).await;
                    me.count(id, -1);
                    me.queued.notify_one();
                });
            }
            if !idle {
                continue;
            }
            tokio::select! {
                () = self.queued.notified() => {}
                () = tokio::time::sleep(self.config.poll) => {}
                () = cancel.cancelled() => return,
            }
        }
    }

    /// The secrets that sign for `e` now, newest first.
    fn secrets_of(&self, e: &WebhookEndpoint) -> Result<Vec<String>, String> {
        let context = e.id.to_string();
        let mut out = Vec::new();
        if let Some(s) = &e.secret {
            out.push(
                self.secrets
                    .open(s, &context)
                    .map_err(|_| "cannot open the secret")?,
            );
        }
        if let (Some(s), Some(until)) = (&e.previous_secret, e.previous_secret_until)
            && until > Utc::now()
        {
            out.push(
                self.secrets
                    .open(s, &context)
                    .map_err(|_| "cannot open the secret")?,
            );
        }
        Ok(out)
    }

    async fn attempt(&self, d: Delivery, e: WebhookEndpoint) {
        let token = match &e.token {
            Some(t) => self.secrets.open(t, &e.id.to_string()).ok(),
            None => None,
        };
        let answer = match self.secrets_of(&e) {
            Ok(secrets) => {
                let req = Request {
                    url: &e.url,
                    msg_id: &d.msg_id,
                    body: &d.payload,
                    secrets: &secrets,
                    token: token.as_deref(),
                };
                self.sender.attempt(&req).await
            }
            Err(error) => Answer {
                status: None,
                latency: Duration::ZERO,
                body: None,
                error: Some(error),
                retry_after: None,
            },
        };
        let outcome = self.outcome(&d, &e, answer);
        let Some(token) = d.lease_token else { return };
        if self.finished.send((d.id, token, outcome)).await.is_err() {
            tracing::warn!(delivery = %d.id, "delivery attempt not recorded: the recorder stopped");
        }
    }

    /// What follows `answer`: 2xx delivered; 410 disables the endpoint; anything else
    /// is retried on the schedule, until attempts run out or the endpoint has failed
    /// for [`DISABLE_AFTER`].
    fn outcome(&self, d: &Delivery, e: &WebhookEndpoint, answer: Answer) -> AttemptOutcome {
        let now = Utc::now();
        let status = answer.status;
        let next = match status {
            Some(s) if (200..300).contains(&s) => NextStep::Delivered,
            Some(410) => NextStep::Disable("410 Gone".into()),
            _ => {
                let scale = self.config.retry_scale;
                let failing_for = e
                    .failing_since
                    .map(|t| (now - t).to_std().unwrap_or_default());
                let limit = DISABLE_AFTER.mul_f64(scale);
                match (
                    failing_for,
                    next_delay(d.attempts + 1, scale, answer.retry_after),
                ) {
                    (Some(f), _) if f >= limit => NextStep::Disable(format!(
                        "failing since {}",
                        e.failing_since.map(|t| t.to_rfc3339()).unwrap_or_default()
                    )),
                    (_, Some(delay)) if d.attempts + 1 < MAX_ATTEMPTS => NextStep::RetryAt(
                        now + chrono::Duration::from_std(delay).unwrap_or_default(),
                    ),
                    _ => NextStep::GiveUp,
                }
            }
        };
        let error = match (status, answer.error) {
            (_, Some(e)) => Some(e),
            (Some(s), None) if !(200..300).contains(&s) => Some(format!("HTTP {s}")),
            _ => None,
        };
        AttemptOutcome {
            status: status.map(i32::from),
            latency_ms: i64::try_from(answer.latency.as_millis()).unwrap_or(i64::MAX),
            response: answer.body,
            error,
            next,
        }
    }
}
