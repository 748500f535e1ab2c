//! One agent turn, for one customer message. The gates, in order: the message is still
//! the conversation's newest incoming one (a burst within the debounce gets one
//! answer); agents are not paused in the conversation; an AI agent is routed
//! ([`choose_agent`]); the 24 h window is open (an agent never tries free text outside
//! it). Then: read receipt and typing indicator; `/new` is confirmed and ends the turn
//! (the model never sees what came before it); the welcome message goes first when the
//! conversation holds no outgoing message yet; then the model loop (at most
//! [`MAX_ROUNDS`] calls, the newest-message gate re-checked before each) and the sends —
//! after the gates are checked once more — through the one send path, with the agent's
//! id and an idempotency key per triggering message and part, so a turn run twice
//! (a crash, a lost lease, two replicas) never answers twice.

use chrono::Utc;
use serde_json::{Value, json};
use wakit_api::SendRequest;
use wakit_core::{AgentId, Direction, MessageId, MessageStatus, OrgId, Protocol, ServiceWindow};
use wakit_store::{
    AgentTurn, AiAgent, Idempotency, JobArgs, MessageRecord, Priority, ReadReceipt, StoreError,
    choose_agent,
};

use super::a2a::{self, A2aTurn};
use super::history::{chat_history, context_id, is_reset, system_prompt, unanswered};
use super::mcp_tool::McpTools;
use super::model::{self, ModelError, Reply};
use super::{Runtime, tools};
use crate::error::ApiError;
use crate::outgoing::{Submit, submit};

/// Most model calls in one turn (tool rounds included).
pub const MAX_ROUNDS: usize = 10;

/// Requests the provider refuses with 400 that are retried with the error appended.
pub const MAX_REFUSED: usize = 3;

/// Sent in answer to `/new`.
pub const RESET_TEXT: &str = "Done: I have forgotten our previous conversation. How can I help?";

/// Messages read to re-check that the trigger is still the newest incoming one.
const RECHECK_WINDOW: u32 = 20;

/// How long a part of an answer waits for the previous part to reach Meta, so the
/// customer sees them in order (the dispatcher runs sends concurrently).
const PART_ORDER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How a turn ended without failing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Sent this many messages (the welcome included).
    Answered(usize),
    /// The model chose to stay silent.
    Silent,
    /// A newer incoming message arrived (its own turn answers).
    Superseded,
    /// Agents are paused in the conversation.
    Paused,
    /// No AI agent is routed.
    NoAgent,
    /// The 24 h window is closed: no free text may be sent.
    WindowClosed,
    /// `/new` was confirmed.
    Reset,
    /// The message is gone or is not a customer's.
    Gone,
}

impl Outcome {
    /// The metric label.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Answered(_) => "answered",
            Outcome::Silent => "silent",
            Outcome::Superseded => "superseded",
            Outcome::Paused => "paused",
            Outcome::NoAgent => "no_agent",
            Outcome::WindowClosed => "window_closed",
            Outcome::Reset => "reset",
            Outcome::Gone => "gone",
        }
    }
}

/// Why a turn failed.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    /// The database (the job is retried).
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The model, after its retries (the turn ends; nothing was sent for it).
    #[error("model: {0}")]
    Model(#[from] ModelError),
    /// The send path refused the answer.
    #[error("send refused: {0}")]
    Send(String),
}

/// The context every send of the turn shares.
struct Answer<'a> {
    rt: &'a Runtime,
    org: OrgId,
    account_phone: String,
    to: String,
    agent: AgentId,
    trigger: MessageId,
    /// The previous part, which the next one waits for.
    last: Option<MessageId>,
}

impl Answer<'_> {
    /// Sends `text` as part `part` of the answer to the trigger (at most once), after
    /// the previous part reached Meta (or failed, or [`PART_ORDER_WAIT`] passed).
    async fn send(&mut self, part: &str, text: &str) -> Result<(), TurnError> {
        if let Some(previous) = self.last {
            self.wait_dispatched(previous).await?;
        }
        let request = SendRequest {
            contact_phone: Some(self.to.clone()),
            account_phone: Some(self.account_phone.clone()),
            text: Some(text.to_string()),
            ..SendRequest::default()
        };
        let send = Submit {
            request: &request,
            idempotency: Some(Idempotency {
                key: format!("agent-turn:{}:{part}", self.trigger),
                // A re-run of the turn may word the answer differently: the key alone
                // names the send, so the first one stands.
                request_hash: "agent-turn".into(),
            }),
            agent_id: Some(self.agent),
            priority: Priority::Interactive,
        };
        let id = submit(&self.rt.state, self.org, send)
            .await
            .map_err(send_error)?;
        self.last = Some(id);
        Ok(())
    }

    async fn wait_dispatched(&self, id: MessageId) -> Result<(), TurnError> {
        let start = std::time::Instant::now();
        while start.elapsed() < PART_ORDER_WAIT {
            let m = self.rt.state.store.get_message(self.org, id).await?;
            if m.external_id.is_some() || m.status == MessageStatus::Failed {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

fn send_error(e: ApiError) -> TurnError {
    TurnError::Send(format!("{}: {}", e.code(), e.message()))
}

/// Sorts messages in the order wakit stored them. Meta's timestamps of incoming
/// messages have whole seconds, so by message time a customer's message can sort
/// before an answer sent in the same second, before it.
fn in_arrival_order(messages: &mut [MessageRecord]) {
    messages.sort_by_key(|m| (m.created_at, m.id));
}

/// Whether `id` is the newest incoming message of `messages` (in arrival order).
fn is_newest_incoming(messages: &[MessageRecord], id: MessageId) -> bool {
    messages
        .iter()
        .rev()
        .find(|m| m.direction == Direction::Incoming)
        .is_some_and(|m| m.id == id)
}

/// Runs the turn of `turn`.
pub async fn run(rt: &Runtime, turn: AgentTurn) -> Result<Outcome, TurnError> {
    let (org, store) = (turn.org_id, &rt.state.store);
    let msg = match store.get_message(org, turn.message_id).await {
        Ok(m) if m.direction == Direction::Incoming => m,
        Ok(_) | Err(StoreError::NotFound(_)) => return Ok(Outcome::Gone),
        Err(e) => return Err(e.into()),
    };
    let settings = store.agent_settings(org).await?;
    let now = Utc::now();
    let state = store.conversation_agent(org, msg.conversation_id).await?;
    if state.is_paused(now, settings.pause_hours) {
        return Ok(Outcome::Paused);
    }
    let agents = store.list_ai_agents(org).await?;
    let Some(agent) = choose_agent(&agents, &state, &settings).cloned() else {
        return Ok(Outcome::NoAgent);
    };
    let limit = agent.config.history_limit();
    let read = store
        .read_conversation(org, msg.account_id, &msg.contact_phone, limit)
        .await?;
    let Some(mut read) = read.filter(|r| r.conversation.id == msg.conversation_id) else {
        return Ok(Outcome::Superseded);
    };
    in_arrival_order(&mut read.page.messages);
    if !is_newest_incoming(&read.page.messages, msg.id) {
        return Ok(Outcome::Superseded);
    }
    if ServiceWindow::at(read.newest_incoming, now)
        .closed_reason()
        .is_some()
    {
        return Ok(Outcome::WindowClosed);
    }
    let account = store.get_account(org, msg.account_id).await?;
    if let Some(wamid) = &msg.external_id {
        let receipt = ReadReceipt {
            account_id: msg.account_id,
            wamid: wamid.clone(),
            typing: true,
        };
        store
            .enqueue_job(receipt.job(Some(org), now, Priority::Interactive.value()))
            .await?;
    }
    let mut reply = Answer {
        rt,
        org,
        account_phone: format!("+{}", account.phone.digits()),
        to: msg.contact_phone.to_string(),
        agent: agent.id,
        trigger: msg.id,
        last: None,
    };
    if is_reset(&msg.content) {
        reply.send("reset", RESET_TEXT).await?;
        return Ok(Outcome::Reset);
    }
    let mut sent = 0;
    let never_answered = read.page.older.is_none()
        && !read
            .page
            .messages
            .iter()
            .any(|m| m.direction == Direction::Outgoing);
    if let Some(welcome) = settings
        .welcome_message
        .as_deref()
        .filter(|_| never_answered)
    {
        reply.send("welcome", welcome).await?;
        sent += 1;
    }
    let name = read.conversation.contact.name.as_deref();
    let texts = match agent.config.protocol {
        Protocol::A2a => {
            let turn = A2aTurn {
                org_id: org,
                conversation_id: msg.conversation_id,
                agent_id: agent.id,
                contact_phone: reply.to.clone(),
                contact_name: name.map(str::to_string),
                context_id: context_id(msg.conversation_id, &read.page.messages),
            };
            a2a_turn(rt, &agent, &msg, &turn, unanswered(&read.page.messages)).await?
        }
        Protocol::ChatCompletions => {
            let local_now = local_time(rt, org, now).await?;
            let system = system_prompt(&agent.config.instructions, &local_now, name, &reply.to);
            let mut messages = vec![json!({"role": "system", "content": system})];
            let history = chat_history(&read.page.messages, agent.id, limit as usize, now);
            messages.extend(history);
            model_loop(rt, &agent, &msg, messages).await?
        }
    };
    let Some(texts) = texts else {
        return Ok(Outcome::Superseded);
    };
    if !still_newest(rt, org, &msg).await? {
        return Ok(Outcome::Superseded);
    }
    let state = store.conversation_agent(org, msg.conversation_id).await?;
    if state.is_paused(Utc::now(), settings.pause_hours) {
        return Ok(Outcome::Paused);
    }
    for (i, text) in texts.iter().enumerate() {
        reply.send(&i.to_string(), text).await?;
        sent += 1;
    }
    Ok(match sent {
        0 => Outcome::Silent,
        n => Outcome::Answered(n),
    })
}

/// Asks an A2A agent about `texts` (`Some(answer)`, empty: silent), or `None` when a
/// newer message arrived before the call.
async fn a2a_turn(
    rt: &Runtime,
    agent: &AiAgent,
    msg: &MessageRecord,
    turn: &A2aTurn,
    texts: Vec<String>,
) -> Result<Option<Vec<String>>, TurnError> {
    if texts.is_empty() {
        return Ok(Some(Vec::new()));
    }
    if !still_newest(rt, agent.org_id, msg).await? {
        return Ok(None);
    }
    let key = rt.provider_key(agent).await?;
    let url = agent.config.api_url.trim();
    let answer = a2a::ask(&rt.http, &rt.config, url, key.as_deref(), turn, &texts).await?;
    Ok(Some(answer))
}

/// Calls the model until it answers (`Some(texts)`, empty: silent), or `None` when a
/// newer message arrived before a call.
async fn model_loop(
    rt: &Runtime,
    agent: &AiAgent,
    msg: &MessageRecord,
    messages: Vec<Value>,
) -> Result<Option<Vec<String>>, TurnError> {
    let key = rt.provider_key(agent).await?;
    let agent = &rt.with_open_headers(agent)?;
    let mcp = McpTools::connect(&agent.config, rt.config.allow_private_http).await;
    let answer = model_rounds(rt, agent, msg, messages, key, &mcp).await;
    mcp.close().await;
    answer
}

/// [`model_loop`]'s calls, with the turn's MCP servers connected.
async fn model_rounds(
    rt: &Runtime,
    agent: &AiAgent,
    msg: &MessageRecord,
    mut messages: Vec<Value>,
    key: Option<String>,
    mcp: &McpTools,
) -> Result<Option<Vec<String>>, TurnError> {
    let tools = tools::definitions(&agent.config, mcp);
    let base = agent.config.base_url();
    let mut refused = 0;
    for _ in 0..MAX_ROUNDS {
        if !still_newest(rt, agent.org_id, msg).await? {
            return Ok(None);
        }
        let body = model::request_body(&agent.config, &messages, &tools);
        let done = match model::complete(&rt.http, &rt.config, &base, key.as_deref(), &body).await {
            Ok(done) => done,
            // The provider refused the request as made (a bad tool call, say): tell the
            // model and let it try again, a few times.
            Err(e) if e.status == Some(400) && refused < MAX_REFUSED => {
                refused += 1;
                let said = format!("Previous request failed with error: {}", e.message);
                messages.push(json!({"role": "system", "content": said}));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(tokens) = done.total_tokens {
            metrics::counter!("wakit_agent_tokens_total").increment(tokens);
        }
        match done.reply {
            Reply::Respond(texts) => return Ok(Some(texts)),
            Reply::Tools { message, calls } => {
                messages.push(message);
                for call in &calls {
                    let allow = rt.config.allow_private_http;
                    messages.push(tools::run(&agent.config, mcp, call, allow).await);
                }
            }
        }
    }
    Err(ModelError::new(format!("no answer within {MAX_ROUNDS} model calls"), false).into())
}

/// Whether `msg` is still its conversation's newest incoming message.
async fn still_newest(rt: &Runtime, org: OrgId, msg: &MessageRecord) -> Result<bool, TurnError> {
    let mut page = rt
        .state
        .store
        .page_messages(org, msg.conversation_id, RECHECK_WINDOW, None)
        .await?;
    in_arrival_order(&mut page.messages);
    Ok(is_newest_incoming(&page.messages, msg.id))
}

/// `now` in the org's timezone (UTC when it names none wakit knows).
async fn local_time(
    rt: &Runtime,
    org: OrgId,
    now: chrono::DateTime<Utc>,
) -> Result<String, TurnError> {
    let tz = rt.state.store.get_org(org).await?.timezone;
    Ok(match tz.parse::<chrono_tz::Tz>() {
        Ok(zone) => now
            .with_timezone(&zone)
            .format("%A %Y-%m-%d %H:%M %Z")
            .to_string(),
        Err(_) => now.format("%A %Y-%m-%d %H:%M UTC").to_string(),
    })
}
