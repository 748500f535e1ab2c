//! `wakit serve` options of the AI agent runtime.

use clap::Args;
use std::time::Duration;
use wakit_server::workers::agents::AgentRuntimeConfig;

/// How AI agents call their models.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// Longest wait for one answer of an agent's model.
    #[arg(long, env = "WAKIT_AGENT_MODEL_TIMEOUT_SECONDS", default_value = "60", value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub agent_model_timeout_seconds: u64,
    /// Retries of a model call that timed out or got 429/5xx (0.5 s, 1 s, 2 s, ... apart)
    /// before the turn fails and nothing is sent for it.
    #[arg(long, env = "WAKIT_AGENT_MODEL_RETRIES", default_value = "3",
          value_parser = clap::value_parser!(u32).range(0..=10))]
    pub agent_model_retries: u32,
    /// Let agents' HTTP tools and MCP servers reach private and loopback addresses
    /// (refused by default, like outbound webhooks).
    #[arg(long, env = "WAKIT_AGENT_HTTP_ALLOW_PRIVATE")]
    pub agent_http_allow_private: bool,
}

impl AgentArgs {
    /// The runtime configuration these options describe. A turn's lease covers its
    /// model calls with their retries, so another worker never starts it meanwhile.
    pub fn config(&self) -> AgentRuntimeConfig {
        let timeout = Duration::from_secs(self.agent_model_timeout_seconds);
        let defaults = AgentRuntimeConfig::default();
        let calls = calls_per_turn(self.agent_model_retries);
        AgentRuntimeConfig {
            model_timeout: timeout,
            retries: self.agent_model_retries,
            allow_private_http: self.agent_http_allow_private,
            lease: defaults
                .lease
                .max(timeout * calls + Duration::from_secs(60)),
            ..defaults
        }
    }
}

/// The most model calls a turn may wait for: 10 rounds, each retried.
fn calls_per_turn(retries: u32) -> u32 {
    10 * (retries + 1)
}
