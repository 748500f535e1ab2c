//! An org with an AI agent pointed at the sandbox model, and waits on what the
//! simulated customer receives.

use std::time::{Duration, Instant};

use wakit_core::{AgentConfig, AgentId, ConversationId, Direction, Phone};
use wakit_sim::Quirks;
use wakit_store::{AGENT_TURN, AgentSettings, MessageRecord, NewAiAgent};
use wakit_store_tests::{Backend, TestStore, fixture::secret_box};

use super::sandbox::{STORE_WAIT, World, fast_dispatch, world_with_options};
use wakit_server::workers::agents::AgentRuntimeConfig;
use wakit_server::{ApiConfig, ServeOptions};

/// The provider key the sandbox model demands.
pub const MODEL_KEY: &str = "sk-sim-agent";

/// The customer of these tests.
pub const CUSTOMER: &str = "5215511112222";

/// A world whose org has one active AI agent on the sandbox model (which demands
/// [`MODEL_KEY`]), with `settings` as its agent settings.
pub async fn agent_world(backend: Backend, settings: AgentSettings) -> Option<(World, AgentId)> {
    agent_world_with(backend, settings, AgentRuntimeConfig::default()).await
}

/// [`agent_world`] with the agent runtime's settings.
pub async fn agent_world_with(
    backend: Backend,
    settings: AgentSettings,
    runtime: AgentRuntimeConfig,
) -> Option<(World, AgentId)> {
    let ts = TestStore::fresh(backend).await?;
    let options = ServeOptions {
        drain: Duration::from_secs(5),
        agents: runtime,
        ..ServeOptions::default()
    };
    let w = world_with_options(
        ts,
        Quirks::none(),
        fast_dispatch(),
        ApiConfig::default(),
        options,
    )
    .await;
    let org = w.account.org_id;
    w.sim
        .set_model(Duration::ZERO, Some(MODEL_KEY.into()))
        .expect("model settings");
    let (config, _) = AgentConfig::from_json(serde_json::json!({
        "api_url": w.sim.model_url(), "model": "sim-model",
        "instructions": "You are the shop's assistant.",
    }))
    .expect("config");
    let id = AgentId::new();
    let new = NewAiAgent {
        id,
        name: "Sofía".into(),
        config,
        api_key: Some(secret_box().seal(MODEL_KEY, &id.to_string())),
    };
    w.ts.store.create_ai_agent(org, new).await.expect("agent");
    w.ts.store
        .set_agent_settings(org, &settings)
        .await
        .expect("settings");
    Some((w, id))
}

/// Settings with this debounce and welcome message.
pub fn settings(delay: u32, welcome: Option<&str>) -> AgentSettings {
    AgentSettings {
        response_delay_seconds: delay,
        welcome_message: welcome.map(str::to_string),
        ..AgentSettings::default()
    }
}

/// The texts the sandbox delivered to `to`, in order.
pub fn texts_to(w: &World, to: &str) -> Vec<String> {
    w.sim
        .sent_messages()
        .into_iter()
        .filter(|m| m.to == to && m.kind == "text")
        .filter_map(|m| m.request["text"]["body"].as_str().map(str::to_string))
        .collect()
}

/// Waits (bounded) until `to` received `n` texts; returns them.
pub async fn wait_texts(w: &World, to: &str, n: usize) -> Vec<String> {
    let start = Instant::now();
    loop {
        let texts = texts_to(w, to);
        if texts.len() >= n || start.elapsed() > STORE_WAIT {
            return texts;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits (bounded) until no agent turn is queued or running.
pub async fn turns_settled(w: &World) {
    let start = Instant::now();
    while start.elapsed() < STORE_WAIT {
        let counts = w.ts.store.job_counts().await.expect("job counts");
        let busy = counts.iter().any(|(kind, state, n)| {
            kind == AGENT_TURN && state != "done" && state != "dead" && *n > 0
        });
        if !busy {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("agent turns still pending after {STORE_WAIT:?}");
}

/// The customer's conversation.
pub async fn conversation(w: &World, customer: &str) -> ConversationId {
    let phone = Phone::parse(customer).expect("phone");
    w.ts.store
        .find_conversation(w.account.org_id, w.account.id, &phone.into())
        .await
        .expect("find")
        .expect("conversation")
        .id
}

/// The conversation's outgoing messages, oldest first.
pub async fn outgoing(w: &World, customer: &str) -> Vec<MessageRecord> {
    let conv = conversation(w, customer).await;
    let page =
        w.ts.store
            .page_messages(w.account.org_id, conv, 100, None)
            .await
            .expect("page");
    page.messages
        .into_iter()
        .filter(|m| m.direction == Direction::Outgoing)
        .collect()
}

/// The `messages` of the sandbox model's requests, oldest first, as (role, content).
pub fn model_conversations(w: &World) -> Vec<Vec<(String, String)>> {
    w.sim
        .model_requests()
        .iter()
        .map(|r| {
            r.body["messages"]
                .as_array()
                .map(|ms| {
                    ms.iter()
                        .map(|m| {
                            let role = m["role"].as_str().unwrap_or_default().to_string();
                            let content = m["content"].as_str().unwrap_or_default().to_string();
                            (role, content)
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// Replaces the agent's `tools`.
pub async fn set_tools(w: &World, agent: AgentId, tools: serde_json::Value) {
    change_config(w, agent, serde_json::json!({ "tools": tools })).await;
}

/// Deep-merges `patch` into the agent's configuration.
pub async fn change_config(w: &World, agent: AgentId, patch: serde_json::Value) {
    let org = w.account.org_id;
    let current = w.ts.store.get_ai_agent(org, agent).await.expect("agent");
    let (config, _) = current.config.merged(patch).expect("configuration");
    let change = wakit_store::AiAgentChange {
        name: None,
        config,
        api_key: wakit_store::SealedKeyChange::Keep,
    };
    w.ts.store
        .update_ai_agent(org, agent, change)
        .await
        .expect("update");
}
