//! How a sandbox behaves: where it listens and posts, how Meta-like its webhooks are.

use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;

/// Everything [`crate::Sim::start`] needs. `SimConfig::default()` is a deterministic-enough,
/// fast sandbox on `127.0.0.1:0` with Meta-like quirks on and no webhook URL yet.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Where webhooks go (wakit's `/functions/v1/whatsapp-webhook`). Bodies wait, never
    /// dropped, until one is set (see [`crate::SimHandle::set_webhook_url`]).
    pub webhook_url: Option<String>,
    /// Meta app secret: every webhook body is signed with it.
    pub app_secret: String,
    /// Meta's webhook oddities (duplicates, reordering, ...).
    pub quirks: Quirks,
    /// Seed of every id and every random choice the sandbox makes.
    pub seed: u64,
    /// How undelivered webhooks are retried.
    pub webhook_retry: RetryPolicy,
    /// Timeout of one webhook POST attempt.
    pub webhook_timeout: Duration,
    /// How many webhook POSTs may be in flight at once.
    pub webhook_concurrency: usize,
    /// When `sent`, `delivered` and `read` follow an accepted send.
    pub status_delays: StatusDelays,
    /// Whether simulated customers read what they receive (a `read` status follows).
    pub customers_read: bool,
    /// Graph version whose webhook shapes are emitted: `conversation` objects appear in
    /// statuses only for 23 and older (reference §3.5, §8).
    pub webhook_version: u32,
    /// Simulated customers answering the business (off by default).
    pub chatty: Option<Chatty>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            webhook_url: None,
            app_secret: "sim-app-secret".to_string(),
            quirks: Quirks::meta_like(),
            seed: time_seed(),
            webhook_retry: RetryPolicy::default(),
            webhook_timeout: Duration::from_secs(10),
            webhook_concurrency: 16,
            status_delays: StatusDelays::default(),
            customers_read: true,
            webhook_version: 24,
            chatty: None,
        }
    }
}

/// A seed that differs per start, so two sandboxes never hand out the same wamids.
fn time_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64 ^ u64::from(std::process::id()).rotate_left(32))
        .unwrap_or(0x5eed)
}

/// Meta's webhook oddities (reference §3.5, §9), each a probability in `0.0..=1.0`
/// applied per accepted message.
#[derive(Clone, Debug, PartialEq)]
pub struct Quirks {
    /// A status body is delivered twice.
    pub duplicate_status: f64,
    /// An inbound message body is delivered twice (chatwoot #5433).
    pub duplicate_inbound: f64,
    /// `sent` arrives after `delivered`/`read`.
    pub reorder_statuses: f64,
    /// `delivered` is skipped; only `read` arrives.
    pub skip_delivered: f64,
    /// The `sent` webhook is delivered before the send's HTTP response returns.
    pub status_before_response: f64,
    /// Status bodies of one message are posted independently (concurrent deliveries may
    /// overtake each other). When false, each status waits until the previous one was
    /// acknowledged, so a receiver sees them strictly in order.
    pub unordered_delivery: bool,
}

impl Quirks {
    /// No oddities: every message gets `sent`, `delivered`, `read` once, in order.
    pub fn none() -> Self {
        Quirks {
            duplicate_status: 0.0,
            duplicate_inbound: 0.0,
            reorder_statuses: 0.0,
            skip_delivered: 0.0,
            status_before_response: 0.0,
            unordered_delivery: false,
        }
    }

    /// Roughly what production shows: occasional duplicates, reordering, skipped
    /// `delivered`, and statuses racing the send response.
    pub fn meta_like() -> Self {
        Quirks {
            duplicate_status: 0.1,
            duplicate_inbound: 0.05,
            reorder_statuses: 0.1,
            skip_delivered: 0.1,
            status_before_response: 0.2,
            unordered_delivery: true,
        }
    }

    /// Every oddity on every message (for tests that must see them all).
    pub fn always() -> Self {
        Quirks {
            duplicate_status: 1.0,
            duplicate_inbound: 1.0,
            reorder_statuses: 1.0,
            skip_delivered: 1.0,
            status_before_response: 1.0,
            unordered_delivery: true,
        }
    }
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks::meta_like()
    }
}

/// Webhook retry schedule: the first retry after `initial`, doubling up to `max_delay`,
/// abandoned once `give_up_after` has passed since the body was queued (Meta: 7 days).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay before the first retry.
    pub initial: Duration,
    /// Longest delay between two attempts.
    pub max_delay: Duration,
    /// How long a body is retried before it is given up.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
            give_up_after: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1-based), without jitter.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.initial.saturating_mul(factor).min(self.max_delay)
    }
}

/// Delays after acceptance at which statuses are emitted (each jittered by up to ±20%
/// when quirks are on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusDelays {
    /// `sent` (or `failed`).
    pub sent: Duration,
    /// `delivered`.
    pub delivered: Duration,
    /// `read`.
    pub read: Duration,
}

impl Default for StatusDelays {
    fn default() -> Self {
        StatusDelays {
            sent: Duration::ZERO,
            delivered: Duration::from_millis(50),
            read: Duration::from_millis(300),
        }
    }
}

/// Simulated customers who sometimes answer after reading a business message.
#[derive(Clone, Debug, PartialEq)]
pub struct Chatty {
    /// Chance (`0.0..=1.0`) that a read message gets an answer.
    pub reply_probability: f64,
    /// How long after the `read` the answer comes.
    pub delay: Range<Duration>,
    /// What customers say (one picked at random).
    pub lines: Vec<String>,
}

impl Default for Chatty {
    fn default() -> Self {
        let lines = [
            "Thanks!",
            "Ok, got it 👍",
            "Can you tell me more?",
            "¿Cuánto cuesta el envío?",
            "Perfect, see you then",
            "What are your opening hours?",
        ];
        Chatty {
            reply_probability: 0.3,
            delay: Duration::from_millis(500)..Duration::from_secs(3),
            lines: lines.iter().map(|s| s.to_string()).collect(),
        }
    }
}
