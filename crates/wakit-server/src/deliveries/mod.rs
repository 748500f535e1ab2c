//! Outbound webhooks (issue 13): every event of the log that matches an org's endpoint
//! becomes one delivery in the durable outbox ([`fanout`]), which the delivery worker
//! ([`worker`]) POSTs — signed per Standard Webhooks ([`signature`]), to public
//! addresses only ([`ssrf`]) — and retries on the Svix schedule ([`schedule`]).
//! The event log and its stream are `routes::events`; the management API is
//! `routes::webhooks`.

pub mod fanout;
pub mod schedule;
pub mod sender;
pub mod signature;
pub mod ssrf;
pub mod worker;

use std::time::Duration;
use wakit_store::secrets::SecretBox;

/// Default cap of endpoints per organization.
pub const DEFAULT_MAX_ENDPOINTS: u32 = 20;
/// Default time an attempt may take, whole.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Outbound webhook settings.
#[derive(Clone, Debug)]
pub struct OutboundConfig {
    /// Seals and opens endpoint secrets and tokens. Without it, endpoints cannot be
    /// created (503) and no delivery goes out.
    pub secrets: Option<SecretBox>,
    /// Lets deliveries reach loopback, private and link-local addresses
    /// (`WAKIT_WEBHOOK_ALLOW_PRIVATE=on`: local development, tests).
    pub allow_private: bool,
    /// How long an attempt may take (`WAKIT_WEBHOOK_TIMEOUT_MS`).
    pub timeout: Duration,
    /// Multiplies the retry schedule and the 5 days after which a failing endpoint is
    /// disabled (`WAKIT_WEBHOOK_RETRY_SCALE`; tests compress it).
    pub retry_scale: f64,
    /// Endpoints per organization (`WAKIT_WEBHOOK_MAX_ENDPOINTS`).
    pub max_endpoints: u32,
    /// Attempts in flight at once per endpoint (one slow endpoint holds only these).
    pub per_endpoint: usize,
    /// Attempts in flight at once per process.
    pub in_flight: usize,
    /// How often the worker looks for due retries when nothing woke it.
    pub poll: Duration,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            secrets: None,
            allow_private: false,
            timeout: DEFAULT_TIMEOUT,
            retry_scale: 1.0,
            max_endpoints: DEFAULT_MAX_ENDPOINTS,
            per_endpoint: 4,
            in_flight: 256,
            poll: Duration::from_millis(250),
        }
    }
}

impl OutboundConfig {
    /// How long a claimed delivery is this process's: its attempt's time and a margin.
    /// A process killed mid-delivery leaves it claimable after this.
    pub fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(10)
    }
}
