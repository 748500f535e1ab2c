//! The AI agent runtime: runs the `agent_turn` jobs that inbound ingest queues (see
//! [`wakit_store::agent_turn`]) — one per customer message in an org with an AI agent,
//! due after the org's `response_delay_seconds`. A turn ([`turn::run`]) answers only if
//! its message is still the newest incoming one, and sends through the one send path
//! with its agent's id. Jobs are leased, so a crashed worker's turn is run again by
//! another; the sends' idempotency keys keep that from answering twice.
//!
//! Pause: a send without an agent (a person, the API, MCP) pauses the conversation's
//! agents for the org's `agent_pause_hours` (12 by default), see [`pause_after_send`].

pub mod a2a;
pub mod history;
pub mod http_tool;
pub mod mcp_http;
pub mod mcp_tool;
pub mod model;
pub mod tools;
pub mod turn;

use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use wakit_core::{ConversationId, OrgId};
use wakit_store::secrets::INLINE_SEALED;
use wakit_store::{AGENT_TURN, AgentTurn, AiAgent, Job, StoreResult, tool_header_context};

use crate::AppState;
use turn::TurnError;

/// How the runtime behaves.
#[derive(Clone, Copy, Debug)]
pub struct AgentRuntimeConfig {
    /// Longest wait for one model answer.
    pub model_timeout: Duration,
    /// Retries of a model call that may pass (timeouts, 429, 5xx) before the turn fails.
    pub retries: u32,
    /// First retry delay (doubled per retry).
    pub backoff: Duration,
    /// How long a claimed turn is ours: longer than a turn can take (its model calls
    /// with their retries), else another worker would start it again meanwhile.
    pub lease: Duration,
    /// Idle wait between polls for due turns.
    pub poll: Duration,
    /// Most turns in flight at once.
    pub max_in_flight: usize,
    /// Whether the HTTP tool and MCP servers may reach private and loopback addresses.
    pub allow_private_http: bool,
}

impl Default for AgentRuntimeConfig {
    fn default() -> Self {
        AgentRuntimeConfig {
            model_timeout: Duration::from_secs(60),
            retries: 3,
            backoff: Duration::from_millis(500),
            lease: Duration::from_secs(300),
            poll: Duration::from_millis(100),
            max_in_flight: 64,
            allow_private_http: false,
        }
    }
}

/// The runtime's shared parts. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    state: AppState,
    http: reqwest::Client,
    config: AgentRuntimeConfig,
}

impl Runtime {
    /// A runtime sending through `state` (whose Meta settings open the provider keys).
    pub fn new(state: AppState, config: AgentRuntimeConfig) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Runtime {
            state,
            http,
            config,
        }
    }

    /// The agent's provider key, unsealed for the call (never logged).
    async fn provider_key(&self, agent: &AiAgent) -> Result<Option<String>, TurnError> {
        let Some(sealed) = self
            .state
            .store
            .ai_agent_key(agent.org_id, agent.id)
            .await?
        else {
            return Ok(None);
        };
        let meta = self.state.meta.as_ref().ok_or_else(|| {
            TurnError::Send("no secret key configured to open the provider key".into())
        })?;
        meta.secrets
            .open(&sealed, &agent.id.to_string())
            .map(Some)
            .map_err(|_| TurnError::Send("the provider key cannot be opened".into()))
    }

    /// The agent with its tool header values opened for the turn (never logged). A value
    /// not sealed was stored before tool headers were sealed and is used as it is (it is
    /// sealed the next time the agent is saved).
    fn with_open_headers(&self, agent: &AiAgent) -> Result<AiAgent, TurnError> {
        let mut open = agent.clone();
        let context = tool_header_context(agent.id);
        let secrets = self.state.meta.as_ref().map(|m| &m.secrets);
        for (_, name, value) in open.config.tool_headers_mut() {
            let Some(sealed) = value.as_str().filter(|v| v.starts_with(INLINE_SEALED)) else {
                continue;
            };
            let plain = secrets
                .and_then(|s| s.open_inline(sealed, &context).ok())
                .ok_or_else(|| {
                    TurnError::Send(format!("the tool header {name} cannot be opened"))
                })?;
            *value = serde_json::Value::String(plain);
        }
        Ok(open)
    }

    /// Claims up to `limit` due turns and runs them; returns how many.
    pub async fn tick(&self, limit: u32) -> StoreResult<usize> {
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

    /// Runs until `cancel` fires, keeping up to `max_in_flight` turns going; on cancel,
    /// claims nothing new and lets the turns in hand finish.
    pub async fn run(self, cancel: CancellationToken) {
        let permits = Arc::new(Semaphore::new(self.config.max_in_flight));
        let mut set = JoinSet::new();
        while !cancel.is_cancelled() {
            while set.try_join_next().is_some() {}
            let free = permits.available_permits().min(64) as u32;
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
                    tracing::warn!(error = %e, "agent runtime cannot claim turns; retrying");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = self.state.store.wait_for_jobs(self.config.poll) => {}
                }
            }
        }
        while set.join_next().await.is_some() {}
    }

    async fn claim(&self, limit: u32) -> StoreResult<Vec<Job>> {
        let lease =
            chrono::Duration::from_std(self.config.lease).unwrap_or(chrono::Duration::minutes(5));
        self.state
            .store
            .claim_jobs(&[AGENT_TURN], limit, lease, Utc::now())
            .await
    }

    /// Runs one turn job to its end: done, retried (the database failed), or dead with
    /// the reason (the model or the send path failed: nothing more is sent for it).
    async fn handle(&self, job: Job) {
        let Some(token) = job.lease_token else { return };
        let store = &self.state.store;
        let turn = match job.args::<AgentTurn>() {
            Ok(t) => t,
            Err(why) => {
                let _ = store.fail_job(job.id, token, &why, None).await;
                return;
            }
        };
        let result = match turn::run(self, turn).await {
            Ok(outcome) => {
                metrics::counter!("wakit_agent_turns_total", "outcome" => outcome.label())
                    .increment(1);
                tracing::debug!(message = %turn.message_id, outcome = outcome.label(), "agent turn done");
                store.complete_job(job.id, token).await.map(|_| ())
            }
            Err(TurnError::Store(e)) if job.attempts < 5 => {
                tracing::warn!(message = %turn.message_id, error = %e, "agent turn interrupted; retrying");
                let retry = Utc::now() + chrono::Duration::seconds(i64::from(job.attempts) * 2);
                store
                    .fail_job(job.id, token, &e.to_string(), Some(retry))
                    .await
                    .map(|_| ())
            }
            Err(e) => {
                metrics::counter!("wakit_agent_turns_total", "outcome" => "failed").increment(1);
                tracing::warn!(message = %turn.message_id, error = %e, "agent turn failed; nothing sent for it");
                store
                    .fail_job(job.id, token, &e.to_string(), None)
                    .await
                    .map(|_| ())
            }
        };
        if let Err(e) = result {
            tracing::warn!(job = %job.id, error = %e, "agent turn's job not updated; its lease will expire");
        }
    }
}

/// After a send without an agent: pauses the conversation's agents (from now, for the
/// org's `agent_pause_hours`) when the org has an AI agent (as the API's org cache says:
/// no query for an org without agents; an agent created in the last [`crate::cache::TTL`]
/// may be missed). A failure is logged, not returned: the send itself is stored already.
pub async fn pause_after_send(state: &AppState, org: OrgId, conversation: ConversationId) {
    let store = &state.store;
    let result = async {
        if !state.api.cache.org(state, org).await?.has_ai_agents {
            return Ok(());
        }
        let mut current = store.conversation_agent(org, conversation).await?;
        current.paused_at = Some(Utc::now());
        store
            .set_conversation_agent(org, conversation, &current)
            .await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(%conversation, error = %e, "cannot pause the conversation's agents");
    }
}
