//! `serve`/`worker` options of outbound webhooks (the endpoints' deliveries).

use clap::Args;
use std::time::Duration;
use wakit_server::deliveries::{DEFAULT_MAX_ENDPOINTS, OutboundConfig};
use wakit_store::secrets::SecretBox;

/// Outbound webhook options.
#[derive(Debug, Clone, Args)]
pub struct OutboundArgs {
    /// Let webhook deliveries reach loopback, private, link-local and cloud metadata
    /// addresses (local development only: otherwise a URL that resolves to one is refused).
    #[arg(long, env = "WAKIT_WEBHOOK_ALLOW_PRIVATE", value_parser = super::serve::parse_switch,
          action = clap::ArgAction::Set,
          default_value = "off", value_name = "on|off")]
    pub webhook_allow_private: bool,
    /// How long one delivery attempt may take, milliseconds.
    #[arg(long, env = "WAKIT_WEBHOOK_TIMEOUT_MS", default_value_t = 15_000, value_name = "MS",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_timeout_ms: u64,
    /// Multiplies the retry schedule (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
    /// 10 h) and the 5 days after which a failing endpoint is disabled (tests shrink it).
    #[arg(
        long,
        env = "WAKIT_WEBHOOK_RETRY_SCALE",
        default_value_t = 1.0,
        value_name = "FACTOR"
    )]
    pub webhook_retry_scale: f64,
    /// Webhook endpoints per organization.
    #[arg(long, env = "WAKIT_WEBHOOK_MAX_ENDPOINTS", default_value_t = DEFAULT_MAX_ENDPOINTS,
          value_name = "N")]
    pub webhook_max_endpoints: u32,
}

impl OutboundArgs {
    /// The outbound configuration these options describe; secrets sealed with `secrets`.
    pub fn config(&self, secrets: SecretBox) -> OutboundConfig {
        OutboundConfig {
            secrets: Some(secrets),
            allow_private: self.webhook_allow_private,
            timeout: Duration::from_millis(self.webhook_timeout_ms),
            retry_scale: if self.webhook_retry_scale.is_finite() {
                self.webhook_retry_scale.max(0.0)
            } else {
                1.0
            },
            max_endpoints: self.webhook_max_endpoints,
            ..OutboundConfig::default()
        }
    }
}
