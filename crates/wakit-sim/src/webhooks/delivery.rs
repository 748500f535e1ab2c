//! Posting webhook bodies like Meta (reference §3.2, §3.6): signed exact bytes, at-least-once,
//! retried with exponential backoff on anything but a 200, several in flight at once and
//! so not necessarily in order. A body is never dropped while the sandbox runs, until
//! the retry horizon passes.

use chrono::Utc;
use rand::Rng;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::RetryPolicy;
use crate::json::to_meta_json;
use crate::records::{WebhookRecord, WebhookStats};

/// How many recent bodies [`Deliverer::records`] keeps.
const LOG_CAP: usize = 10_000;

/// The webhook sender. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Deliverer {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    url: watch::Sender<Option<String>>,
    secret: Vec<u8>,
    policy: RetryPolicy,
    permits: Semaphore,
    counters: Mutex<WebhookStats>,
    log: Mutex<VecDeque<WebhookRecord>>,
    seq: AtomicU64,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

/// Settings of a [`Deliverer`].
pub(crate) struct DeliveryConfig {
    pub url: Option<String>,
    pub secret: Vec<u8>,
    pub policy: RetryPolicy,
    pub timeout: Duration,
    pub concurrency: usize,
}

/// Counts one planned webhook for as long as it lives (see [`WebhookStats::scheduled`]).
pub(crate) struct ScheduledGuard(Deliverer);

impl Drop for ScheduledGuard {
    fn drop(&mut self) {
        let mut c = self.0.counters();
        c.scheduled = c.scheduled.saturating_sub(1);
    }
}

impl Deliverer {
    pub(crate) fn new(
        cfg: DeliveryConfig,
        cancel: CancellationToken,
        tracker: TaskTracker,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(5)))
            .user_agent("facebookexternalua")
            .build()?;
        let (url, _) = watch::channel(cfg.url);
        Ok(Deliverer {
            inner: Arc::new(Inner {
                http,
                url,
                secret: cfg.secret,
                policy: cfg.policy,
                permits: Semaphore::new(cfg.concurrency.max(1)),
                counters: Mutex::new(WebhookStats::default()),
                log: Mutex::new(VecDeque::new()),
                seq: AtomicU64::new(0),
                cancel,
                tracker,
            }),
        })
    }

    fn counters(&self) -> MutexGuard<'_, WebhookStats> {
        self.inner
            .counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn log(&self) -> MutexGuard<'_, VecDeque<WebhookRecord>> {
        self.inner.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Points deliveries at `url` (`None` holds them until one is set).
    pub(crate) fn set_url(&self, url: Option<String>) {
        self.inner.url.send_replace(url);
    }

    /// The current webhook URL.
    pub(crate) fn url(&self) -> Option<String> {
        self.inner.url.borrow().clone()
    }

    /// Marks one more webhook as planned until the guard drops.
    pub(crate) fn schedule(&self) -> ScheduledGuard {
        self.counters().scheduled += 1;
        ScheduledGuard(self.clone())
    }

    /// Delivery counters.
    pub(crate) fn stats(&self) -> WebhookStats {
        let mut s = self.counters().clone();
        s.pending = s.queued.saturating_sub(s.delivered + s.given_up);
        s
    }

    /// The last `limit` bodies, oldest first.
    pub(crate) fn records(&self, limit: usize) -> Vec<WebhookRecord> {
        let log = self.log();
        let skip = log.len().saturating_sub(limit);
        log.iter().skip(skip).cloned().collect()
    }

    /// Queues `body` (serialised in Meta's ASCII form and signed). The receiver yields
    /// `true` once it is acknowledged, `false` if it is given up or the sandbox stops.
    pub(crate) fn enqueue(&self, body: &Value) -> oneshot::Receiver<bool> {
        let text = to_meta_json(body);
        let signature = wakit_meta::signature::sign(&self.inner.secret, text.as_bytes());
        let seq = self.inner.seq.fetch_add(1, Ordering::Relaxed) + 1;
        self.counters().queued += 1;
        {
            let mut log = self.log();
            if log.len() >= LOG_CAP {
                log.pop_front();
            }
            log.push_back(WebhookRecord {
                seq,
                body: text.clone(),
                attempts: 0,
                delivered: false,
                given_up: false,
                last_error: None,
                queued_at: Utc::now(),
            });
        }
        let (tx, rx) = oneshot::channel();
        let this = self.clone();
        self.inner.tracker.spawn(async move {
            let ok = this.deliver(seq, text, signature).await;
            let _ = tx.send(ok);
        });
        rx
    }

    fn update_record(&self, seq: u64, f: impl FnOnce(&mut WebhookRecord)) {
        let mut log = self.log();
        if let Some(first) = log.front().map(|r| r.seq)
            && seq >= first
            && let Some(r) = log.get_mut((seq - first) as usize)
        {
            f(r);
        }
    }

    async fn deliver(&self, seq: u64, body: String, signature: String) -> bool {
        let queued = Instant::now();
        let cancel = &self.inner.cancel;
        let mut url_rx = self.inner.url.subscribe();
        let mut attempt: u32 = 0;
        loop {
            let url = tokio::select! {
                u = url_rx.wait_for(Option::is_some) => match u {
                    Ok(u) => u.clone().unwrap_or_default(),
                    Err(_) => return false,
                },
                _ = cancel.cancelled() => return false,
            };
            let result = tokio::select! {
                permit = self.inner.permits.acquire() => {
                    let Ok(_permit) = permit else { return false };
                    attempt += 1;
                    self.post(&url, &body, &signature).await
                }
                _ = cancel.cancelled() => return false,
            };
            {
                let mut c = self.counters();
                c.attempts += 1;
                match &result {
                    Ok(()) => c.delivered += 1,
                    Err(_) => c.failed_attempts += 1,
                }
            }
            let error = result.as_ref().err().cloned();
            self.update_record(seq, |r| {
                r.attempts = attempt;
                r.delivered = error.is_none();
                r.last_error = error.clone();
            });
            if result.is_ok() {
                return true;
            }
            tracing::debug!(seq, attempt, error = ?error, "webhook delivery failed; will retry");
            let base = self.inner.policy.delay(attempt);
            let delay = base + base.mul_f64(rand::thread_rng().gen_range(0.0..0.25));
            if queued.elapsed() + delay > self.inner.policy.give_up_after {
                self.counters().given_up += 1;
                self.update_record(seq, |r| r.given_up = true);
                tracing::warn!(
                    seq,
                    attempts = attempt,
                    "webhook given up after the retry horizon"
                );
                return false;
            }
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = cancel.cancelled() => return false,
            }
        }
    }

    /// Meta's verification GET (reference §3.1) against the current URL: `Ok(true)`
    /// when the receiver answered 200 with the challenge as its body.
    pub(crate) async fn handshake(&self, verify_token: &str) -> Result<(u16, bool), String> {
        let url = self.url().ok_or("no webhook URL is set")?;
        let challenge = format!(
            "{}",
            rand::thread_rng().gen_range(1_000_000_000u64..10_000_000_000)
        );
        let resp = self
            .inner
            .http
            .get(&url)
            .query(&[
                ("hub.mode", "subscribe"),
                ("hub.verify_token", verify_token),
                ("hub.challenge", challenge.as_str()),
            ])
            .send()
            .await
            .map_err(|e| format!("transport error: {}", e.without_url()))?;
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        Ok((status, status == 200 && body.trim() == challenge))
    }

    async fn post(&self, url: &str, body: &str, signature: &str) -> Result<(), String> {
        let resp = self
            .inner
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Hub-Signature-256", signature)
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "timeout".to_string()
                } else {
                    format!("transport error: {}", e.without_url())
                }
            })?;
        let status = resp.status();
        // Drain the body so the connection can be reused.
        let _ = resp.bytes().await;
        if status.as_u16() == 200 {
            Ok(())
        } else {
            Err(format!("HTTP {}", status.as_u16()))
        }
    }
}
